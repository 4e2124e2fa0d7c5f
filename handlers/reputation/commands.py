"""/rep, /top, /helpful, /unhelpful: reputation explained, ranked and marked by hand.

The credits themselves come from `listeners.py`; these commands read snapshots and let
a member mark a reply as helpful (`/helpful` as a reply to it).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from handlers.communities.identity import voter_of
from handlers.core.context import Context
from handlers.core.deps import Deps
from handlers.core.errors import BadArguments, NotAllowed, NotFound, WrongPlace
from handlers.core.markup import bold
from handlers.core.registry import Param, Registry
from handlers.core.types import Command, Reply
from handlers.reputation.ledger import Place, member_credit
from handlers.reputation.listeners import event_time, member_of, policy_of, service_of
from handlers.reputation.policy import KIND_LABELS
from storage.records import MemberRecord
from storage.repos.contributions import Retraction
from storage.repos.reputation import SnapshotInfo, SnapshotRow

REASONS = {
    "self": "you cannot credit yourself",
    "young_account": "your account is younger than the minimum age",
    "daily_cap": "today's limit of credits to this member is reached",
}
TOP_MAX = 50


# ----- presentation ------------------------------------------------------------------------
def split_rounded(total: float, parts: list[float], digits: int = 1) -> tuple[float, list[float]]:
    """Round the parts so the shown parts add up to the shown total (largest remainder)."""
    scale = 10**digits
    units = round(total * scale)
    floors = [math.floor(p * scale) for p in parts]
    order = sorted(range(len(parts)), key=lambda i: parts[i] * scale - floors[i], reverse=True)
    missing = units - sum(floors)
    if missing >= 0:
        for i in order[:missing]:
            floors[i] += 1
    else:
        for i in order[::-1][:-missing]:
            floors[i] -= 1
    return units / scale, [f / scale for f in floors]


def _by_platform(received: dict[str, float], accounts: int) -> list[str]:
    """Where the credits came from, per platform (raw credit received, before trust)."""
    if not received:
        return []
    parts = " · ".join(f"{platform} {value:.1f}" for platform, value in received.items())
    linked = f" (one person, {accounts} linked accounts)" if accounts > 1 else ""
    return [f"Credits by platform: {parts}{linked}"]


def _signed(value: float) -> str:
    return f"{value:+.1f}"


def _percent(rank: int, members: int) -> str:
    return f"top {max(1, round(100 * rank / max(members, 1)))}%"


async def _source_names(deps: Deps, rows: list[SnapshotRow]) -> dict[str, str]:
    ids = {int(key[2:]) for row in rows for key, _ in row.sources if key.startswith("m:")}
    names = await deps.storage.members.names(ids)
    found = {f"m:{i}": name for i, name in names.items()}
    found.update({f"k:{kind}": label for kind, label in KIND_LABELS.items()})
    return found


def _when(snapshot: SnapshotInfo) -> str:
    return datetime.fromtimestamp(snapshot.computed_at, UTC).strftime("%Y-%m-%d %H:%M UTC")


async def _find_member(ctx: Context, name: str) -> MemberRecord:
    community = await ctx.community()
    wanted = name.strip().lstrip("@")
    found = await ctx.deps.storage.members.member_by_account(
        community.id, ctx.actor.platform, wanted
    ) or await ctx.deps.storage.members.find_by_name(community.id, wanted)
    if found is None:
        raise NotFound(f'No member called "{wanted[:40]}" here yet.', usage="/rep [member]")
    return found


async def _dispute_lines(deps: Deps, account_ids: list[int]) -> list[str]:
    """The credits one can dispute (`/dispute credit:<id> …`) and those disputes voided."""
    lines: list[str] = []
    recent = await deps.storage.disputes.recent_credits(account_ids)
    if recent:
        shown = " · ".join(
            f"credit:{first} {KIND_LABELS.get(kind, kind)}{f' ×{n}' if n > 1 else ''} {w:.1f}"
            for first, kind, n, w in recent
        )
        lines.append(f"Recent credits: {shown}")
    for number, count, weight in await deps.storage.disputes.voided_for(account_ids):
        lines.append(
            f"{count} credit{'s' if count != 1 else ''} ({weight:.1f}) voided by dispute d{number}"
        )
    return lines


COMMANDS = Registry()


@COMMANDS.command(
    "rep",
    "a member's reputation: score, rank, where it came from, 30-day change",
    "/rep [member]",
    Param("member", str, "whose reputation (default: yours)", required=False, rest=True),
)
async def rep(ctx: Context, args: dict[str, Any]) -> list[Reply]:
    policy = await policy_of(ctx)
    community = await ctx.community()
    me = await ctx.member()
    await service_of(ctx.deps).note_actor(me, ctx.actor, policy)
    account = me if not args["member"] else await _find_member(ctx, args["member"])
    # one reputation per person: accounts linked to one wallet share the lowest id's
    target = await voter_of(ctx.deps, account)
    accounts = await ctx.deps.storage.identity.accounts(account)
    snapshot = await service_of(ctx.deps).current(community.id, policy)
    row = (
        None
        if snapshot is None
        else await ctx.deps.storage.reputation.score(snapshot.id, target.id)
    )
    disputed = await _dispute_lines(ctx.deps, [a.id for a in accounts])
    if snapshot is None or row is None or row.score <= 0:
        who = "You have" if account.id == me.id else f"{account.display_name} has"
        return [
            Reply(
                "\n".join(
                    [
                        f"{who} no reputation yet. It grows when members react to your "
                        "messages, mark your answers /helpful, and when you vote.",
                        *disputed,
                    ]
                ),
                meta={"score": 0.0, "parts": {}},
            )
        ]
    names = await _source_names(ctx.deps, [row])
    received = await ctx.deps.storage.identity.received_by_platform([a.id for a in accounts])
    kinds = sorted(row.parts.items(), key=lambda kv: -kv[1])
    shown_total, shown_parts = split_rounded(row.score, [v for _, v in kinds])
    by_kind = " · ".join(
        f"{KIND_LABELS.get(k, k)} {v:.1f}" for (k, _), v in zip(kinds, shown_parts, strict=True)
    )
    sources = " · ".join(f"{names.get(key, key)} {value:.1f}" for key, value in row.sources)
    lines = [
        f"Reputation of {bold(account.display_name)}: {bold(f'{shown_total:.1f}')} · "
        f"rank {row.rank} of {snapshot.members} ({_percent(row.rank, snapshot.members)})",
        f"By kind: {by_kind}",
        f"Top sources: {sources or 'none'}",
        *_by_platform(received, len(accounts)),
        f"Change over 30 days: {_signed(row.change_30d)}",
        *disputed,
        f"As of {_when(snapshot)}, from {snapshot.events:,} counted credits.",
    ]
    meta = {
        "score": row.score,
        "parts": row.parts,
        "shown_parts": dict(zip([k for k, _ in kinds], shown_parts, strict=True)),
        "shown_total": shown_total,
        "rank": row.rank,
        "snapshot": snapshot.id,
        "by_platform": received,
        "accounts": [a.id for a in accounts],
    }
    return [Reply("\n".join(lines), meta=meta)]


@COMMANDS.command(
    "top",
    "the reputation leaderboard",
    f"/top [n up to {TOP_MAX}]",
    Param("n", int, f"how many members (1–{TOP_MAX}, default 10)", required=False),
)
async def top(ctx: Context, args: dict[str, Any]) -> list[Reply]:
    n = 10 if args["n"] is None else args["n"]
    if not 1 <= n <= TOP_MAX:
        raise BadArguments(
            f"<n> must be between 1 and {TOP_MAX}.", usage=f"/top [n up to {TOP_MAX}]"
        )
    policy = await policy_of(ctx)
    community = await ctx.community()
    snapshot = await service_of(ctx.deps).current(community.id, policy)
    rows = [] if snapshot is None else await ctx.deps.storage.reputation.top(snapshot.id, n)
    rows = [r for r in rows if r.score > 0]
    if snapshot is None or not rows:
        return [Reply("No reputation here yet: react, reply and mark answers /helpful.")]
    names = await _source_names(ctx.deps, rows)
    member_names = await ctx.deps.storage.members.names({r.member_id for r in rows})
    lines = [f"Reputation, top {len(rows)} (as of {_when(snapshot)}):"]
    for row in rows:
        kind = max(row.parts.items(), key=lambda kv: kv[1])[0] if row.parts else ""
        source = names.get(row.sources[0][0], "") if row.sources else ""
        lines.append(
            f"{row.rank}. {member_names.get(row.member_id, '?')} {row.score:.1f} "
            f"({_percent(row.rank, snapshot.members)}) · mostly "
            f"{KIND_LABELS.get(kind, kind)} · top source {source} · "
            f"30 days {_signed(row.change_30d)}"
        )
    return [Reply("\n".join(lines))]


async def _marked(ctx: Context, undo: bool) -> list[Reply]:
    command = ctx.event.payload
    assert isinstance(command, Command) and command.reply_to is not None
    author = command.reply_to_author
    if author is None:
        raise WrongPlace("I can't tell who wrote that message.")
    if author.is_bot:
        raise NotAllowed("My own messages can't be marked helpful.")
    policy = await policy_of(ctx)
    service = service_of(ctx.deps)
    giver = await ctx.member()
    ref = command.reply_to
    if (author.platform, author.user_id) == (ctx.actor.platform, ctx.actor.user_id):
        raise NotAllowed("You can't mark your own message as helpful.")
    already = await ctx.deps.storage.contributions.live_mark(
        "helpful", ref.platform, ref.channel_id, ref.message_id, giver.id
    )
    if undo:
        if not already:
            raise NotFound("You haven't marked that message as helpful.")
        await service.record(
            Retraction(
                giver.community_id,
                ref.platform,
                ref.channel_id,
                ref.message_id,
                giver.id,
                event_time(ctx),
                kinds=("helpful",),
            )
        )
        return [Reply(f"Helpful mark on {author.display_name}'s message removed.", private=True)]
    if already:
        raise NotAllowed("You already marked that message as helpful.")
    await service.note_actor(giver, ctx.actor, policy)
    receiver = await member_of(ctx, author)
    outcome = await service.record(
        member_credit(
            policy,
            "helpful",
            giver,
            receiver,
            Place(ref.platform, ref.channel_id, ref.message_id),
            event_time(ctx),
            giver_created=ctx.actor.account_created,
        )
    )
    text = f"Marked {author.display_name}'s message as a helpful answer."
    if not outcome.counted:
        why = REASONS.get(outcome.reason or "", "not counted")
        text += f" It is logged but not counted: {why}."
    return [Reply(text, private=True, meta={"counted": outcome.counted})]


@COMMANDS.command(
    "helpful",
    "mark the message you reply to as a helpful answer",
    "/helpful (as a reply to the answer)",
    writes=True,
    needs_reply=True,
    private=True,
)
async def helpful(ctx: Context, args: dict[str, Any]) -> list[Reply]:
    return await _marked(ctx, undo=False)


@COMMANDS.command(
    "unhelpful",
    "take back your helpful mark on the message you reply to",
    "/unhelpful (as a reply to the answer)",
    writes=True,
    needs_reply=True,
    private=True,
)
async def unhelpful(ctx: Context, args: dict[str, Any]) -> list[Reply]:
    return await _marked(ctx, undo=True)
