"""/vote and the vote buttons on proposal cards."""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import replace
from typing import Any

from handlers.communities.identity import check_unlinked, superseded, voter_of
from handlers.core.context import Context
from handlers.core.errors import BadArguments, BadBallot, NotEligible, NotFound, VotingClosed
from handlers.core.events import BallotCast
from handlers.core.markup import code
from handlers.core.registry import Param, Registry
from handlers.core.types import Reply
from handlers.proposals.cards import refresh
from handlers.proposals.commands import check_open, find_proposal
from handlers.voting.ballots import (
    ballot_usage,
    encode_selection,
    format_selection,
    parse_ballot,
)
from handlers.wallets.ballots import split_signature
from handlers.wallets.signed_votes import signed_ballot
from handlers.wallets.voting import (
    override_for,
    receipt_parts,
    require_linked_wallet,
    weigh_vote,
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
    ballot_text, signature_text = split_signature(ballot_text)
    try:
        selection = parse_ballot(proposal.method, proposal.choices, ballot_text)
    except (BadArguments, BadBallot) as error:
        raise type(error)(error.message, usage=usage) from None
    member = await ctx.member()
    if (
        ctx.deps.policy.voting.require_wallet
        and ctx.event.where.platform not in ctx.deps.wallets.exempt_platforms
    ):
        await require_linked_wallet(ctx.deps, member)
    await check_unlinked(ctx.deps, await ctx.community(), member)
    signed = await signed_ballot(ctx, proposal, member, selection, signature_text, usage)
    strategy = ctx.deps.strategies.parse(proposal.strategy)
    # One person, one ballot: accounts linked to one address on several platforms vote
    # as the lowest-id account, so a vote here replaces the vote cast on the other.
    voter = await voter_of(ctx.deps, member)
    weight = await weigh_vote(ctx.deps, strategy, voter, proposal)
    if weight.value <= 0 and proposal.strategy != "member":
        raise NotEligible(
            f"You had no voting power on #{proposal.number} at its snapshot "
            f"({receipt_parts(weight.breakdown)}); nothing was recorded."
        )
    request = CastRequest(
        proposal_id=proposal.id,
        community_id=proposal.community_id,
        member_id=voter.id,
        selection=encode_selection(proposal.method, selection),
        weight=weight.value,
        breakdown=weight.breakdown,
        at=now,
        signature=signed.record,
        delivery=ctx.event.key,  # a redelivered update gets its first receipt back
    )
    override = await override_for(ctx.deps, strategy, voter, proposal, weight, now)
    others = await superseded(ctx.deps, proposal, member, voter, now)
    if override is None and not others:
        outcome = await ctx.deps.storage.ballots.cast(request)
    else:  # this voter's power leaves their delegate's ballot in the same transaction
        extra = [override] if override is not None else []
        together = [replace(r, delivery=request.delivery) for r in [request, *extra, *others]]
        outcome = (await ctx.deps.storage.ballots.cast_many(together))[0]
    if outcome.refused is not None:
        raise VotingClosed(f"Proposal #{proposal.number} {REFUSED[outcome.refused]}.")
    shown = format_selection(proposal.method, proposal.choices, selection)
    parts = receipt_parts(weight.breakdown)
    text = (
        f"Vote recorded on #{proposal.number}: {shown} (weight {weight.value:g}: {parts})."
        + (" It replaces your earlier ballot." if outcome.replaced else "")
        + (" Signed by your wallet (EIP-712)." if signed.record else "")
        + f"\nReceipt: {code(outcome.receipt or '')}"
        + signed.hint
    )
    if not outcome.replaced and not outcome.replayed:  # a replay was credited the first time
        await ctx.deps.events.publish(ctx.deps, BallotCast(ctx, proposal, member))
    replies = [Reply(text, private=True)]
    if not proposal.hidden:
        replies.append(refresh(proposal))
    return replies


COMMANDS = Registry()
# One member's votes are handled in the order they arrived: the vote path awaits the
# database several times before its ballot is queued, so two quick ballots from one
# member (a double tap, a changed mind) could otherwise be stored out of order and
# the earlier one would count. asyncio.Lock wakes waiters first in, first out, and it
# is taken before the handler's first await. Other members are not held up.
voter_locks: weakref.WeakValueDictionary[tuple[str, str], asyncio.Lock] = (
    weakref.WeakValueDictionary()
)


def in_arrival_order(ctx: Context) -> asyncio.Lock:
    key = (ctx.actor.platform, ctx.actor.user_id)
    lock = voter_locks.get(key)
    if lock is None:
        lock = voter_locks[key] = asyncio.Lock()
    return lock


@COMMANDS.command(
    "vote",
    "vote on a proposal (your last ballot counts)",
    USAGE,
    Param("id", int, "the proposal number", autocomplete="proposal"),
    Param("ballot", str, "your choice(s) in the proposal's form", rest=True, autocomplete="choice"),
    writes=True,
    private=True,
)
async def vote(ctx: Context, args: dict[str, Any]) -> list[Reply]:
    async with in_arrival_order(ctx):
        proposal = await find_proposal(ctx, args["id"], cached=True)
        return await cast_vote(ctx, proposal, args["ballot"])


@COMMANDS.press("vote")
async def press_vote(ctx: Context, args: tuple[str, ...]) -> list[Reply]:
    if len(args) != 2 or not all(a.isdigit() for a in args):
        raise BadArguments("That vote button is malformed.")
    async with in_arrival_order(ctx):
        proposal = await ctx.deps.storage.proposals.by_id(int(args[0]))
        community = await ctx.community()
        if proposal is None or proposal.community_id != community.id:
            raise NotFound("That proposal is not part of this community.")
        index = int(args[1])
        if index >= len(proposal.choices):
            raise BadArguments("That vote button is out of date.")
        return await cast_vote(ctx, proposal, str(index + 1))
