"""Closing proposals: tally from the stored ballots, exactly once, and announce the result.

The tally runs inside the storage layer's closing transaction (see
`ProposalRepo.close`), so the counted ballots are exactly those committed before the
close; `govbot audit verify` re-runs `tally_proposal` from the audit log's ballots.
"""

from __future__ import annotations

import logging
from typing import Any

from handlers.core.deps import Deps
from handlers.core.events import ProposalClosed
from handlers.core.types import Reply, Where
from handlers.proposals.cards import refresh, result_card
from handlers.proposals.counting import tally_proposal
from storage.records import BallotRecord, ProposalRecord

log = logging.getLogger(__name__)


async def close_proposal(
    deps: Deps, proposal: ProposalRecord, *, by: int | None
) -> ProposalRecord | None:
    """Close now; None when someone (any process) closed or cancelled it first.

    Eligible power is read at close for strategies whose electorate grows while a vote
    runs (one member, one vote: members seen by then); it is recorded in the result, so
    the audit log holds every input of the tally.
    """
    strategy = deps.strategies.parse(proposal.strategy)
    eligible = await strategy.eligible_power(proposal.community_id)
    seed = await deps.storage.proposals.opened_hash(proposal.id)  # lots drawn from it

    async def decide(locked: ProposalRecord, ballots: list[BallotRecord]) -> dict[str, Any]:
        return tally_proposal(locked, ballots, eligible, seed=seed).to_json()

    closed = await deps.storage.proposals.close(proposal.id, decide, at=deps.clock.now(), by=by)
    if closed is not None:
        await deps.events.publish(deps, ProposalClosed(closed))
        log.info(
            "proposal closed community=%s number=%s outcome=%s",
            closed.community_id,
            closed.number,
            (closed.result or {}).get("outcome"),
        )
    return closed


async def announce(deps: Deps, proposal: ProposalRecord) -> list[Reply]:
    """The result card for every place the proposal's card was posted, by one process only."""
    if not await deps.storage.proposals.claim_announcement(proposal.id):
        return []
    card = await result_card(deps, proposal)
    places = await deps.storage.cards.find("proposal", proposal.community_id, proposal.id)
    replies = [
        Reply(
            card.text,
            image=card.image,
            title=card.title,
            where=Where(platform, "", channel),
            meta={"reply_to_message": message},
        )
        for platform, channel, message in places
    ]
    return [*replies, refresh(proposal)]


async def close_due(deps: Deps) -> list[Reply]:
    """Close every proposal past its end (also those that ended while the bot was down)."""
    replies: list[Reply] = []
    for proposal in await deps.storage.proposals.due(deps.clock.now()):
        closed = await close_proposal(deps, proposal, by=None)
        if closed is not None:
            replies.extend(await announce(deps, closed))
    for proposal in await deps.storage.proposals.unannounced():
        replies.extend(await announce(deps, proposal))
    return replies
