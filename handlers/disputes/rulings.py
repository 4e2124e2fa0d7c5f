"""Deciding a dispute and letting the ruling apply itself.

At a round's deadline: jurors who never answered lapse and the next members in the
draw order are asked instead (up to `max_replacements` per round, with
`replacement_hours` more); when nobody is left to ask, the round is ruled by the
majority of the votes cast (a tie, or no vote, leaves the target standing). A first
ruling can be appealed for `appeal_hours`; when that passes (or after the appeal
round) the ruling is final and applies itself:

* credit upheld → its credits are voided (reputation recomputed from the ledger
  without them; `/rep` says "voided by dispute dN");
* result upheld → the result is annulled (the card says "annulled by dispute dN") and
  a re-vote opens with the same choices, method, weighting and duration;
* battle upheld → its ratings leave the leaderboard;
* epoch upheld → its allocation is recomputed without every credit (and battle)
  disputes voided, the same total, and stored as amended (`handlers.rewards.amend`);
* rejected → the disputer's bond stays forfeited.

Jurors who voted with the final outcome earn a `juror` credit of `juror_credit`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from handlers.communities.fanout import copies_elsewhere
from handlers.core.deps import Deps
from handlers.core.types import Reply
from handlers.disputes.council import council_outcome
from handlers.disputes.draw import majority
from handlers.disputes.show import card_key, effects_text, home_of, juror_notices, votes_line
from handlers.rewards.amend import amended_inputs, amended_summary
from storage.repos.disputes import CLOSED, OPEN, RULED, Credit, DisputeRecord, Effects, JurorRecord
from storage.repos.proposals import NewProposal

log = logging.getLogger(__name__)
HOUR = 3600.0
AGREES = {"upheld": "uphold", "rejected": "reject"}


def tally(jurors: list[JurorRecord]) -> tuple[str, dict[str, Any]]:
    """The round's outcome and the revealed votes (choice and salt, for the commitments)."""
    voted = [j for j in jurors if j.status == "voted" and j.vote is not None]
    up = sum(1 for j in voted if j.vote == "uphold")
    down = sum(1 for j in voted if j.vote == "reject")
    shown = {
        "votes": {str(j.member_id): [j.vote, j.salt] for j in voted},
        "uphold": up,
        "reject": down,
    }
    return majority(up, down), shown


async def revote_of(deps: Deps, dispute: DisputeRecord, now: float) -> NewProposal | None:
    """The re-vote an annulled result gets: the same question, asked again."""
    proposal = await deps.storage.proposals.by_id(int(dispute.target.partition(":")[2]))
    if proposal is None:
        return None
    strategy = deps.strategies.parse(proposal.strategy)
    duration = max(proposal.ends_at - proposal.created_at, HOUR)
    body = (
        f"Re-vote of #{proposal.number}: its result was annulled by dispute {dispute.ref}.\n\n"
        + proposal.body
    )
    return NewProposal(
        community_id=proposal.community_id,
        title=f"Re-vote: {proposal.title}"[:200],
        body=body[:4000],
        choices=proposal.choices,
        method=proposal.method,
        strategy=proposal.strategy,
        snapshot=await strategy.snapshot(proposal.community_id),
        quorum=proposal.quorum,
        threshold=proposal.threshold,
        hidden=proposal.hidden,
        profile=proposal.profile,
        author_id=proposal.author_id,
        created_at=now,
        ends_at=now + duration,
        eligible_power=await strategy.eligible_power(proposal.community_id),
        options=proposal.options,
    )


async def effects_of(deps: Deps, dispute: DisputeRecord, now: float) -> Effects:
    if dispute.outcome != "upheld":
        return Effects()
    entries = await deps.storage.disputes.entries(dispute.id)
    details: dict[str, Any] = next(
        (e.payload.get("details", {}) for e in entries if e.kind == "dispute.opened"), {}
    )
    if dispute.kind == "credit":
        return Effects(void=tuple(int(i) for i in details.get("credits", [])))
    if dispute.kind == "result":
        return Effects(revote=await revote_of(deps, dispute, now))
    if dispute.kind == "battle":
        return Effects(battle=int(details["battle"]))
    if dispute.kind == "epoch":
        return Effects(amend=await amendment(deps, dispute, int(details["epoch"])))
    return Effects()


async def amendment(deps: Deps, dispute: DisputeRecord, epoch_id: int) -> dict[str, Any] | None:
    """An upheld epoch dispute's amended allocation: without every voided credit so far."""
    epoch = await deps.storage.rewards.by_id(epoch_id)
    if epoch is None or epoch.status != "closed":
        return None
    voided = frozenset((await deps.storage.disputes.voids()).keys())
    inputs = await amended_inputs(deps, epoch, voided)
    result, summary = amended_summary(epoch.summary or {}, inputs, dispute.ref)
    return {
        "epoch": epoch.id,
        "number": epoch.number,
        "inputs": inputs,
        "result": result,
        "summary": summary,
    }


def coherent(deps: Deps, dispute: DisputeRecord, jurors: list[JurorRecord]) -> list[Credit]:
    """Credits for the jurors who voted with the final outcome (every round)."""
    weight = deps.disputes.juror_credit
    agree = AGREES.get(dispute.outcome or "")
    if weight <= 0 or agree is None:
        return []
    return [
        Credit(dispute.community_id, j.member_id, "juror", weight, f"dispute:{dispute.id}")
        for j in jurors
        if j.status == "voted" and j.vote == agree
    ]


def announce(deps: Deps, dispute: DisputeRecord, text: str) -> list[Reply]:
    """The card refreshed everywhere, and `text` at the dispute's home and elsewhere."""
    placed = Reply(text, where=home_of(dispute))
    return [
        Reply("", card=card_key(dispute), edit=True),
        placed,
        *copies_elsewhere(deps, dispute.community_id, home_of(dispute), placed),
    ]


async def close(deps: Deps, dispute: DisputeRecord, now: float) -> list[Reply]:
    """Make the ruling final and apply it."""
    effects = await effects_of(deps, dispute, now)
    jurors = await deps.storage.disputes.jurors(dispute.id)
    closed = await deps.storage.disputes.close(
        dispute.id, effects, coherent(deps, dispute, jurors), at=now
    )
    if closed is None:
        return []
    record, _ = closed
    if record.kind == "credit" and deps.reputation.service is not None:
        community = await deps.storage.communities.get(record.community_id)
        service = deps.reputation.service
        await service.current(record.community_id, service.policy_for(community), force_fresh=True)
    round_jurors = [j for j in jurors if j.round == record.round]
    text = (
        f"Dispute {record.ref} is final ({votes_line(round_jurors)}): {effects_text(deps, record)}"
    )
    return announce(deps, record, text)


async def rule(
    deps: Deps,
    dispute: DisputeRecord,
    now: float,
    decide: Callable[[list[JurorRecord]], tuple[str, dict[str, Any]]] = tally,
) -> list[Reply]:
    appeal_hours = deps.disputes.appeal_hours
    appeal_until = now + appeal_hours * HOUR if dispute.round == 1 and appeal_hours > 0 else None
    ruled = await deps.storage.disputes.rule(
        dispute.id, dispute.round, decide, appeal_until=appeal_until, at=now
    )
    if ruled is None:
        return []
    if appeal_until is None:
        return await close(deps, ruled, now)
    jurors = await deps.storage.disputes.jurors(ruled.id, ruled.round)
    text = (
        f"Dispute {ruled.ref} is ruled {ruled.outcome} ({votes_line(jurors)}). Either party "
        f"may /appeal {ruled.ref} within {appeal_hours:g} h; then it applies itself."
    )
    return announce(deps, ruled, text)


async def advance(deps: Deps, dispute: DisputeRecord, now: float) -> list[Reply]:
    if dispute.status == OPEN and dispute.decider == "jury" and dispute.deadline <= now:
        policy = deps.disputes
        added = await deps.storage.disputes.replace_lapsed(
            dispute.id,
            dispute.round,
            limit=policy.max_replacements,
            extend_to=now + policy.replacement_hours * HOUR,
            at=now,
        )
        if added:
            fresh = await deps.storage.disputes.get(dispute.id)
            assert fresh is not None
            return [Reply("", card=card_key(fresh), edit=True)] + await juror_notices(
                deps, fresh, added
            )
        return await rule(deps, dispute, now)
    if dispute.status == OPEN and dispute.decider == "council" and dispute.proposal_id:
        proposal = await deps.storage.proposals.by_id(dispute.proposal_id)
        if proposal is not None and proposal.status != "open":
            outcome, shown = council_outcome(proposal)
            return await rule(deps, dispute, now, lambda _jurors: (outcome, shown))
        return []
    if dispute.status == RULED and (dispute.appeal_until or 0) <= now:
        return await close(deps, dispute, now)
    return []


async def run_disputes(deps: Deps) -> list[Reply]:
    """The dispute job: every deadline and appeal window that passed."""
    now = deps.clock.now()
    replies: list[Reply] = []
    for dispute in await deps.storage.disputes.due(now):
        if dispute.status == CLOSED:
            continue
        try:
            replies.extend(await advance(deps, dispute, now))
        except Exception:  # one dispute's trouble must not stall the others
            log.exception("dispute job failed dispute=%s", dispute.id)
    return replies
