"""/propose, /describe, /proposals, /proposal, /close, /cancel."""

from __future__ import annotations

from typing import Any

from handlers.communities.fanout import copies_elsewhere
from handlers.core.context import Context
from handlers.core.errors import NotAllowed, NotFound, VotingClosed
from handlers.core.events import ProposalOpening
from handlers.core.registry import Param, Registry
from handlers.core.types import Reply
from handlers.proposals.cards import header, proposal_card, refresh, result_card, when
from handlers.proposals.closing import announce, close_proposal
from handlers.proposals.opening import new_proposal
from handlers.proposals.options import MAX_BODY, USAGE, build_draft, parse_propose_text
from handlers.voting import methods
from storage.records import ProposalRecord

ID = Param("id", int, "the proposal number, e.g. 12", autocomplete="proposal")


async def find_proposal(ctx: Context, number: int, *, cached: bool = False) -> ProposalRecord:
    community = await ctx.community()
    proposal = await ctx.deps.storage.proposals.get(community.id, number, cached=cached)
    if proposal is None:
        raise NotFound(f"There is no proposal #{number} here. See /proposals.")
    return proposal


async def check_author_or_admin(ctx: Context, proposal: ProposalRecord, verb: str) -> int:
    """The acting member's id; refuses anyone else without creating a member row for them."""
    if not ctx.is_admin:
        actor = ctx.actor
        known = await ctx.deps.storage.members.find(
            proposal.community_id, actor.platform, actor.user_id
        )
        if known is None or known.id != proposal.author_id:
            raise NotAllowed(f"Only the author of #{proposal.number} or an admin can {verb} it.")
    member = await ctx.member()
    return member.id


def check_open(proposal: ProposalRecord) -> None:
    if proposal.status != "open":
        raise VotingClosed(f"Proposal #{proposal.number} is already {proposal.status}.")


async def check_may_propose(ctx: Context) -> None:
    rules = ctx.deps.policy.proposals
    await ctx.deps.events.check(ctx.deps, ProposalOpening(ctx))  # e.g. a minimum reputation
    if rules.who_may_propose == "admins" and not ctx.is_admin:
        raise NotAllowed("Only admins can open proposals in this community.")
    if (
        rules.who_may_propose == "role"
        and not ctx.is_admin
        and rules.propose_role not in ctx.actor.roles
    ):
        raise NotAllowed(f'Only members with the role "{rules.propose_role}" can open proposals.')


COMMANDS = Registry()


@COMMANDS.command(
    "propose",
    "open a proposal with its choices and voting rules",
    USAGE,
    Param("title", str, "what is being decided"),
    Param("choices", str, "the choices, separated by |", required=False),
    Param("method", str, f"{', '.join(methods.NAMES[:-1])} or {methods.NAMES[-1]}", False),
    Param("weight", str, "the weighting strategy, e.g. member", required=False),
    Param("electorate", str, "who votes, e.g. council:<name> (same as weight=)", False),
    Param("hours", str, "how long voting lasts", required=False),
    Param("quorum", str, '"20%" of eligible weight, or a number', required=False),
    Param("threshold", str, "the share the winner needs, e.g. 66%", required=False),
    Param("hidden", str, "yes to hide the tally until close", required=False),
    Param("profile", str, "a preset defined by the admins", required=False),
    Param("body", str, "the description (or later with /describe)", required=False),
    Param("seats", str, "seats to fill (stv, approval committees)", required=False),
    Param("rule", str, "approval: pav|seqpav|phragmen|mes; budget: mes|greedy", False),
    Param("stv_rule", str, "stv: gregory (Scottish rules) or meek", required=False),
    Param("budget", str, "budget: the money to split (costs after each choice)", False),
    writes=True,
    text_parser=parse_propose_text,
    examples=(
        "/propose Pick a logo | circle | square | triangle method=ranked hours=48",
        "/propose Steering group | ann | bob | cyd | dee method=stv seats=2",
        "/propose Q1 grants | evals 4000 | hosting 2500 | red-teaming 3000 "
        "method=budget budget=6000",
    ),
)
async def propose(ctx: Context, args: dict[str, Any]) -> list[Reply]:
    await check_may_propose(ctx)
    draft = build_draft(args, ctx.deps.policy)
    ctx.deps.strategies.parse(draft.weight)  # a bad weight= is refused before the rest
    community = await ctx.community()
    member = await ctx.member()
    open_mine = [
        p
        for p in await ctx.deps.storage.proposals.in_community(community.id, limit=500)
        if p.author_id == member.id
    ]
    limit = ctx.deps.policy.proposals.max_open_per_member
    if len(open_mine) >= limit:
        raise NotAllowed(f"You already have {limit} open proposals; close one first.")
    now = ctx.now()
    proposal = await ctx.deps.storage.proposals.create(
        await new_proposal(ctx.deps, draft, community_id=community.id, author_id=member.id, now=now)
    )
    card = await proposal_card(ctx.deps, proposal)
    posted = Reply(
        card.text,
        buttons=card.buttons,
        card=card.card,
        title=card.title,
        thread_title=f"#{proposal.number} {proposal.title}"[:100],
    )
    # One community across platforms: its own card and thread on each other one.
    return [posted, *copies_elsewhere(ctx.deps, community.id, ctx.event.where, posted)]


@COMMANDS.command(
    "describe",
    "set a proposal's description",
    f"/describe <id> <text up to {MAX_BODY:,} characters>",
    ID,
    Param("text", str, "the description", rest=True, max_length=MAX_BODY),
    writes=True,
)
async def describe(ctx: Context, args: dict[str, Any]) -> list[Reply]:
    proposal = await find_proposal(ctx, args["id"])
    check_open(proposal)
    member_id = await check_author_or_admin(ctx, proposal, "describe")
    await ctx.deps.storage.proposals.set_body(proposal.id, args["text"], by=member_id, at=ctx.now())
    return [Reply(f"Description of #{proposal.number} updated."), refresh(proposal)]


@COMMANDS.command("proposals", "list the open proposals", "/proposals")
async def proposals(ctx: Context, args: dict[str, Any]) -> list[Reply]:
    community = await ctx.community()
    found = await ctx.deps.storage.proposals.in_community(community.id)
    if not found:
        return [Reply("No open proposals. Open one with /propose.")]
    lines = ["Open proposals:"]
    lines += [f"  {header(p)} · {p.method} · ends {when(p.ends_at)}" for p in found]
    lines.append("See one with /proposal <id>.")
    return [Reply("\n".join(lines))]


@COMMANDS.command("proposal", "show one proposal's card", "/proposal <id>", ID)
async def proposal(ctx: Context, args: dict[str, Any]) -> list[Reply]:
    found = await find_proposal(ctx, args["id"])
    if found.status == "closed":  # asked for by name: the full result, with its chart
        card = await result_card(ctx.deps, found)
    else:
        card = await proposal_card(ctx.deps, found)
    return [Reply(card.text, buttons=card.buttons, image=card.image, title=card.title)]


@COMMANDS.command(
    "close",
    "end a proposal now and post its result (author or admin)",
    "/close <id>",
    ID,
    writes=True,
)
async def close(ctx: Context, args: dict[str, Any]) -> list[Reply]:
    found = await find_proposal(ctx, args["id"])
    check_open(found)
    member_id = await check_author_or_admin(ctx, found, "close")
    closed = await close_proposal(ctx.deps, found, by=member_id)
    if closed is None:
        raise VotingClosed(f"Proposal #{found.number} was closed a moment ago.")
    replies = await announce(ctx.deps, closed)
    origin = ctx.event.where
    posted_here = any(
        r.where is not None
        and (r.where.platform, r.where.channel_id) == (origin.platform, origin.channel_id)
        for r in replies
    )
    result = replies if posted_here else [await result_card(ctx.deps, closed), *replies]
    return [*result, refresh(closed)]  # the live card stops offering vote buttons


@COMMANDS.command(
    "cancel",
    "cancel a proposal without a result (author or admin)",
    "/cancel <id>",
    ID,
    writes=True,
)
async def cancel(ctx: Context, args: dict[str, Any]) -> list[Reply]:
    found = await find_proposal(ctx, args["id"])
    check_open(found)
    member_id = await check_author_or_admin(ctx, found, "cancel")
    cancelled = await ctx.deps.storage.proposals.cancel(found.id, by=member_id, at=ctx.now())
    if cancelled is None:
        raise VotingClosed(f"Proposal #{found.number} was closed a moment ago.")
    note = f"Proposal #{found.number} is cancelled; no result will be counted."
    return [Reply(note), refresh(cancelled)]
