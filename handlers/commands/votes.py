"""/vote and the vote buttons on proposal cards."""

from __future__ import annotations

from typing import Any

from handlers.cards import refresh
from handlers.commands.proposals import check_open, find_proposal
from handlers.context import Context
from handlers.errors import BadArguments, NotEligible, NotFound, VotingClosed
from handlers.markup import code
from handlers.registry import Param, Registry
from handlers.types import Reply
from handlers.voting.ballots import (
    ballot_usage,
    encode_selection,
    format_selection,
    parse_ballot,
)
from storage.records import ProposalRecord
from storage.repos.ballots import CastRequest

USAGE = (
    "/vote <id> <ballot> — single: /vote 3 yes · approval: /vote 3 a, c · "
    "ranked: /vote 3 b > a > c · weighted: /vote 3 a=70, b=30"
)
REFUSED = {
    "closed": "is closed",
    "cancelled": "was cancelled",
    "ended": "has ended",
    "missing": "no longer exists",
}


async def cast_vote(ctx: Context, proposal: ProposalRecord, ballot_text: str) -> list[Reply]:
    """Parse, weigh and durably store a ballot; reply privately with the receipt."""
    check_open(proposal)
    now = ctx.now()
    if now >= proposal.ends_at:
        raise VotingClosed(f"Voting on #{proposal.number} has ended; the result is coming.")
    usage = ballot_usage(proposal.method).replace("<id>", str(proposal.number))
    try:
        selection = parse_ballot(proposal.method, proposal.choices, ballot_text)
    except BadArguments as error:
        raise BadArguments(error.message, usage=usage) from None
    if ctx.deps.policy.voting.require_wallet:
        raise NotEligible(
            "This community requires a linked wallet to vote, and wallet linking is not "
            "enabled on this server yet. An admin can set voting.require_wallet = false."
        )
    member = await ctx.member()
    strategy = ctx.deps.strategies.parse(proposal.strategy)
    weight = await strategy.weigh(member, proposal)
    outcome = await ctx.deps.storage.ballots.cast(
        CastRequest(
            proposal_id=proposal.id,
            community_id=proposal.community_id,
            member_id=member.id,
            selection=encode_selection(proposal.method, selection),
            weight=weight.value,
            breakdown=weight.breakdown,
            at=now,
        )
    )
    if outcome.refused is not None:
        raise VotingClosed(f"Proposal #{proposal.number} {REFUSED[outcome.refused]}.")
    shown = format_selection(proposal.method, proposal.choices, selection)
    parts = ", ".join(f"{k} {v:g}" for k, v in weight.breakdown.items())
    text = (
        f"Vote recorded on #{proposal.number}: {shown} (weight {weight.value:g}: {parts})."
        + (" It replaces your earlier ballot." if outcome.replaced else "")
        + f"\nReceipt: {code(outcome.receipt or '')}"
    )
    replies = [Reply(text, private=True)]
    if not proposal.hidden:
        replies.append(refresh(proposal))
    return replies


def register(registry: Registry) -> None:
    @registry.command(
        "vote",
        "vote on a proposal (your last ballot counts)",
        USAGE,
        Param("id", int, "the proposal number", autocomplete="proposal"),
        Param(
            "ballot", str, "your choice(s) in the proposal's form", rest=True, autocomplete="choice"
        ),
        writes=True,
    )
    async def vote(ctx: Context, args: dict[str, Any]) -> list[Reply]:
        proposal = await find_proposal(ctx, args["id"], cached=True)
        return await cast_vote(ctx, proposal, args["ballot"])

    @registry.press("vote")
    async def press_vote(ctx: Context, args: tuple[str, ...]) -> list[Reply]:
        if len(args) != 2 or not all(a.isdigit() for a in args):
            raise BadArguments("That vote button is malformed.")
        proposal = await ctx.deps.storage.proposals.by_id(int(args[0]))
        community = await ctx.community()
        if proposal is None or proposal.community_id != community.id:
            raise NotFound("That proposal is not part of this community.")
        index = int(args[1])
        if index >= len(proposal.choices):
            raise BadArguments("That vote button is out of date.")
        return await cast_vote(ctx, proposal, str(index + 1))
