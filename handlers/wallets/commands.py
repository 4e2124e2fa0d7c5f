"""/link, /verify, /wallet, /unlink, /delegate, /undelegate."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from handlers.core.context import Context
from handlers.core.errors import BadArguments, NotAllowed, NotFound, WrongPlace
from handlers.core.events import WalletLinked, WalletUnlinked
from handlers.core.markup import block, code
from handlers.core.registry import Param, Registry
from handlers.core.types import Reply
from handlers.wallets.linking import (
    LINK_USAGE,
    VERIFY_USAGE,
    check_signed,
    finish_link,
    parse_address,
    split_verify_text,
    start_link,
)
from storage.records import MemberRecord

DELEGATE_USAGE = "/delegate <member name or 0x address>"


def _check_place(ctx: Context, command: str) -> None:
    if not ctx.deps.wallets.policy.allow_link_in_groups and not ctx.event.where.is_private:
        raise WrongPlace(f"For your privacy, use /{command} in a private chat with the bot.")


def _when(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M UTC")


async def _find_member(ctx: Context, name: str) -> MemberRecord:
    community = await ctx.community()
    found = await ctx.deps.storage.members.find_by_name(community.id, name.lstrip("@"))
    if found is None:
        raise NotFound(f'No member named "{name[:40]}" here.', usage=DELEGATE_USAGE)
    return found


COMMANDS = Registry()


@COMMANDS.command(
    "link",
    "link your Ethereum wallet: replies privately with a message to sign",
    LINK_USAGE,
    Param("address", str, "your wallet's 0x… address", max_length=60),
    writes=True,
    examples=("/link 0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2",),
    private=True,
)
async def link(ctx: Context, args: dict[str, Any]) -> list[Reply]:
    _check_place(ctx, "link")
    address = parse_address(args["address"], LINK_USAGE)
    community = await ctx.community()
    member = await ctx.member()
    policy = ctx.deps.wallets.policy
    message = await start_link(
        ctx.deps.storage,
        policy,
        community=community,
        member=member,
        address=address,
        now=ctx.now(),
    )
    minutes = f"{policy.link_ttl_minutes:g}"
    text = (
        f"To link {address}, sign this exact message with that wallet (personal_sign / "
        f"“Sign message”), then send /verify <signature> within {minutes} minutes:"
        + block(message.text())
    )
    if policy.signing_page and policy.signing_page_url:
        text += f"\nOr sign it in your browser: {policy.signing_page_url}?n={message.nonce}"
    return [Reply(text, private=True, meta={"nonce": message.nonce})]


@COMMANDS.command(
    "verify",
    "finish linking: the signature of the message /link sent you",
    VERIFY_USAGE,
    Param("signature", str, "the 0x… signature", rest=True),
    writes=True,
    private=True,
)
async def verify(ctx: Context, args: dict[str, Any]) -> list[Reply]:
    _check_place(ctx, "verify")
    signature_text, message_text = split_verify_text(args["signature"])
    member = await ctx.member()
    now = ctx.now()
    storage, policy = ctx.deps.storage, ctx.deps.wallets.policy
    pending, verified, signature = await check_signed(
        storage,
        policy,
        ctx.deps.wallets.chain,
        member=member,
        signature_text=signature_text,
        message_text=message_text,
        now=now,
    )
    await finish_link(
        storage, policy, pending=pending, verified=verified, signature=signature, now=now
    )
    kind = " (a contract wallet, checked with EIP-1271)" if verified.kind == "contract" else ""
    after = await ctx.deps.events.publish(ctx.deps, WalletLinked(member, verified.address))
    return [
        Reply(
            f"Linked {verified.address}{kind} to you in this community. Your votes can now "
            "count your tokens. See /wallet.",
            private=True,
        ),
        *after,
    ]


@COMMANDS.command("wallet", "show your linked wallet and delegation", "/wallet", private=True)
async def wallet(ctx: Context, args: dict[str, Any]) -> list[Reply]:
    member = await ctx.member()
    repo = ctx.deps.storage.wallets
    link = await repo.active(member.id, fresh=True)
    lines = []
    if link is None:
        lines.append("You have no linked wallet. Link one with /link <address>.")
    else:
        kind = "contract wallet (EIP-1271)" if link.kind == "contract" else "wallet"
        lines.append(f"Your {kind}: {code(link.address)} (linked {_when(link.linked_at)}).")
    delegation = await ctx.deps.storage.delegations.active_delegation(member.id)
    if delegation is not None:
        to = delegation.delegate_address
        if delegation.delegate_id is not None:
            names = await ctx.deps.storage.members.names({delegation.delegate_id})
            to = names.get(delegation.delegate_id, f"member {delegation.delegate_id}")
        lines.append(f"You delegate your voting power to {to}. Stop with /undelegate.")
    return [Reply("\n".join(lines), private=True)]


@COMMANDS.command("unlink", "remove your linked wallet", "/unlink", writes=True, private=True)
async def unlink(ctx: Context, args: dict[str, Any]) -> list[Reply]:
    member = await ctx.member()
    removed = await ctx.deps.storage.wallets.unlink(member.id, at=ctx.now())
    if removed is None:
        raise NotFound("You have no linked wallet to remove.")
    after = await ctx.deps.events.publish(ctx.deps, WalletUnlinked(member, removed.address))
    return [Reply(f"Unlinked {removed.address}.", private=True), *after]


@COMMANDS.command(
    "delegate",
    "lend your voting power to another member or address",
    DELEGATE_USAGE,
    Param("to", str, "a member's name or a 0x address", rest=True, max_length=200),
    writes=True,
    private=True,
)
async def delegate(ctx: Context, args: dict[str, Any]) -> list[Reply]:
    community = await ctx.community()
    member = await ctx.member()
    repo = ctx.deps.storage.wallets
    target = args["to"].strip()
    delegate_id: int | None = None
    address: str | None = None
    if target.lower().startswith("0x"):
        address = parse_address(target, DELEGATE_USAGE)
        holder = await repo.by_address(community.id, address)
        delegate_id = None
        shown = address
        if holder is not None:
            delegate_id = holder.member_id
        mine = await repo.active(member.id, fresh=True)
        if mine is not None and mine.address == address:
            raise BadArguments("You can't delegate to yourself.", usage=DELEGATE_USAGE)
    else:
        found = await _find_member(ctx, target)
        delegate_id, shown = found.id, found.display_name
    if delegate_id == member.id:
        raise BadArguments("You can't delegate to yourself.", usage=DELEGATE_USAGE)
    if delegate_id is not None:
        theirs = await ctx.deps.storage.delegations.active_delegation(delegate_id)
        mine = await repo.active(member.id)
        if theirs is not None and (
            theirs.delegate_id == member.id
            or (mine is not None and theirs.delegate_address == mine.address)
        ):
            raise NotAllowed(
                f"{shown} delegates to you; delegating back would make a cycle. "
                "One of you must /undelegate first."
            )
    await ctx.deps.storage.delegations.delegate(
        community.id,
        member.id,
        delegate_id=delegate_id,
        delegate_address=address,
        at=ctx.now(),
    )
    return [
        Reply(
            f"You now delegate your voting power to {shown}. It counts in proposals that "
            "open from now on, unless you vote yourself. Stop with /undelegate.",
            private=True,
        )
    ]


@COMMANDS.command(
    "undelegate",
    "take back your voting power",
    "/undelegate",
    writes=True,
    private=True,
)
async def undelegate(ctx: Context, args: dict[str, Any]) -> list[Reply]:
    member = await ctx.member()
    removed = await ctx.deps.storage.delegations.undelegate(member.id, at=ctx.now())
    if removed is None:
        raise NotFound("You are not delegating your voting power.")
    return [
        Reply(
            "You no longer delegate; proposals that open from now on count only your own vote.",
            private=True,
        )
    ]
