"""Decisions proposals take about a council: a veto of a passed proposal, a recall.

* Veto window. When a proposal of one of a council's `veto_profiles` passes, the council
  gets a veto vote (method basic, `weight=council:<name>`) lasting `veto_hours`; the
  veto carries when at least two thirds of the seats held when it opened vote for it
  (⌈2n/3⌉, abstentions and against don't count toward it). Until then the proposal's
  result card reads "subject to veto by council … until …", then "final" or "vetoed".
* Recall. `/recall <council> <member>` opens a community proposal (basic, the council's
  electorate, threshold `recall_threshold`, default 2/3); when it passes the member's
  seat ends at once and a by-election for the rest of the term is scheduled, unless too
  little of it is left to hold one (then the seat waits for the next regular election).
"""

from __future__ import annotations

import logging

from handlers.core.deps import Deps
from handlers.core.errors import DomainError
from handlers.core.events import CouncilSeatsChanged
from handlers.councils.elections import seats_text
from handlers.councils.terms import HOUR, council_lead, veto_needed
from handlers.proposals.cards import when
from handlers.proposals.opening import new_proposal
from handlers.proposals.options import build_draft
from storage.records import ProposalRecord
from storage.repos.council_records import (
    CouncilRecord,
    ElectionRecord,
    MotionRecord,
    NewElection,
    Notice,
    SeatRecord,
)
from storage.repos.proposals import NewProposal

log = logging.getLogger(__name__)


def veto_hours(deps: Deps, council: CouncilRecord) -> float:
    return float(council.powers.get("veto_hours") or deps.councils.veto_hours)


def recall_threshold(deps: Deps, council: CouncilRecord) -> float:
    return float(council.powers.get("recall_threshold") or deps.councils.recall_threshold)


def council_spec(council: CouncilRecord) -> str:
    return f"council:{council.name}"


def veto_since(council: CouncilRecord) -> float:
    """When the council's veto power over its current profiles began: proposals closed
    until then were never its to veto (the closing listener saw no such power)."""
    return float(council.powers.get("veto_since", council.created_at))


async def open_vetoes(
    deps: Deps, proposal: ProposalRecord, now: float, *, only: CouncilRecord | None = None
) -> None:
    """A passed proposal of a vetoable profile: each council holding that power votes
    (once per council and proposal: the storage refuses a second veto motion)."""
    if (proposal.result or {}).get("outcome") != "passed" or not proposal.profile:
        return
    councils = [only] if only else await deps.storage.councils.in_community(proposal.community_id)
    for council in councils:
        if proposal.profile not in council.powers.get("veto_profiles", []):
            continue
        seated = len(await deps.storage.councils.active_seats(council.id, now))
        if seated == 0:
            log.info("council %s has nobody seated: no veto of #%s", council.id, proposal.number)
            continue
        needed = veto_needed(seated)
        try:
            draft = build_draft(
                {
                    "title": f"Veto #{proposal.number} {proposal.title}"[:200],
                    "method": "basic",
                    "weight": council_spec(council),
                    "hours": str(veto_hours(deps, council)),
                    "quorum": str(needed),
                    "body": (
                        f"#{proposal.number} passed. Council {council.name} may veto it: "
                        f"vote for to veto; it takes {needed} of the {seated} seated members."
                    ),
                },
                deps.policy,
            )
        except DomainError as error:
            log.warning("veto vote cannot open council=%s: %s", council.id, error.message)
            continue
        new = NewProposal(
            community_id=proposal.community_id,
            title=draft.title,
            body=draft.body,
            choices=draft.choices,
            method=draft.method,
            strategy=council_spec(council),
            snapshot=None,
            quorum=draft.quorum,
            threshold=None,
            hidden=False,
            profile=None,
            author_id=council.created_by,
            created_at=now,
            ends_at=now + draft.hours * HOUR,
            eligible_power=float(seated),
            options=draft.options,
        )

        def notices(
            veto: ProposalRecord,
            council: CouncilRecord = council,
            needed: int = needed,
            seated: int = seated,
        ) -> list[Notice]:
            text = (
                f"#{proposal.number} {proposal.title} passed, subject to veto by council "
                f"{council.name} until {when(veto.ends_at)}: its members vote on "
                f"#{veto.number}; a veto needs {needed} of the {seated} seats."
            )
            return [Notice("text", text), Notice("card", proposal_id=veto.id)]

        await deps.storage.council_motions.open_veto(
            council.id, proposal, new, needed=needed, seats=seated, notices=notices, at=now
        )


async def catch_up_vetoes(deps: Deps, now: float) -> None:
    """Veto votes the closing listener never opened (the process stopped between the
    proposal's close and its veto): every passed proposal of a vetoable profile closed
    after the council got that power, without a veto motion of that council."""
    for council in await deps.storage.councils.every():
        profiles = list(council.powers.get("veto_profiles") or [])
        if not profiles:
            continue
        closed = await deps.storage.proposals.closed_since(
            council.community_id, veto_since(council), profiles
        )
        for proposal in closed:
            if (proposal.result or {}).get("outcome") != "passed":
                continue
            motions = await deps.storage.council_motions.vetoes_of(proposal.id)
            if any(m.council_id == council.id for m in motions):
                continue
            log.info("opening a missed veto council=%s proposal=%s", council.id, proposal.id)
            await open_vetoes(deps, proposal, now, only=council)


def veto_votes(veto: ProposalRecord) -> float:
    """Votes for the veto in its closed result (0 if it was cancelled)."""
    if veto.status != "closed":
        return 0.0
    totals = (veto.result or {}).get("totals") or [0.0]
    return float(totals[0])


async def decide_veto(deps: Deps, motion: MotionRecord, veto: ProposalRecord, now: float) -> None:
    council = await deps.storage.councils.get(motion.council_id)
    subject = await deps.storage.proposals.by_id(motion.subject_proposal_id or 0)
    if council is None or subject is None:
        return
    votes = veto_votes(veto)
    needed = float(motion.needed or 0)
    vetoed = veto.status == "closed" and votes >= needed
    if vetoed:
        text = (
            f"#{subject.number} {subject.title} is vetoed by council {council.name}: "
            f"{votes:g} of the {needed:g} votes needed on #{veto.number}."
        )
    else:
        text = (
            f"#{subject.number} {subject.title} is final: council {council.name} did not "
            f"veto it ({votes:g} for, {needed:g} needed, #{veto.number})."
        )
    await deps.storage.council_motions.decide_veto(
        motion.id,
        vetoed=vetoed,
        votes_for=votes,
        notices=[Notice("text", text), Notice("refresh", proposal_id=subject.id)],
        at=now,
    )


async def new_recall_proposal(
    deps: Deps, council: CouncilRecord, name: str, author_id: int, now: float
) -> NewProposal:
    threshold = recall_threshold(deps, council)
    draft = build_draft(
        {
            "title": f"Recall {name} from council {council.name}"[:200],
            "method": "basic",
            "weight": council.electorate,
            "hours": str(council.voting_hours),
            "threshold": str(threshold),
            "body": (
                f"Vote for to unseat {name} from council {council.name} now; the seat is "
                f"then filled by a by-election. Passes with {threshold:.0%} of for/against."
            ),
        },
        deps.policy,
    )
    return await new_proposal(
        deps, draft, community_id=council.community_id, author_id=author_id, now=now
    )


async def decide_recall(
    deps: Deps, motion: MotionRecord, proposal: ProposalRecord, now: float
) -> None:
    council = await deps.storage.councils.get(motion.council_id)
    seat = await deps.storage.councils.seat(motion.seat_id or 0)
    if council is None or seat is None:
        return
    carried = proposal.status == "closed" and (proposal.result or {}).get("outcome") == "passed"
    name = (await deps.storage.members.names({seat.member_id})).get(seat.member_id, "a member")
    lead = council_lead(council)

    def by_election(recalled: SeatRecord) -> NewElection | None:
        if recalled.term_end - now <= lead:
            return None
        return NewElection(
            kind="by",
            cohort=recalled.cohort,
            seats=1,
            term_start=None,
            term_end=recalled.term_end,
            nomination_closes=None,
            seat_id=recalled.id,
        )

    def notices(unseated: SeatRecord | None, scheduled: ElectionRecord | None) -> list[Notice]:
        if not carried:
            outcome = (proposal.result or {}).get("outcome", proposal.status)
            return [
                Notice(
                    "text",
                    f"The recall of {name} from council {council.name} failed (#{proposal.number}:"
                    f" {str(outcome).replace('_', ' ')}); they keep their seat.",
                )
            ]
        if unseated is None:
            return [Notice("text", f"The recall of {name} passed, but the seat had ended already.")]
        text = f"{name} is recalled from council {council.name} (#{proposal.number} passed)."
        if scheduled is not None:
            text += (
                f" A by-election fills the seat until {when(unseated.term_end)}; its "
                f"nominations open next: /stand {council.name}."
            )
        else:
            text += (
                f" Too little of the term is left for a by-election: the seat stays vacant "
                f"until {when(unseated.term_end)}."
            )
        return [Notice("text", text)]

    await deps.storage.council_motions.decide_recall(
        motion.id, carried=carried, by_election=by_election, notices=notices, at=now
    )
    if carried:
        await deps.events.publish(deps, CouncilSeatsChanged(council.community_id, council.id))


def by_election_text(council: CouncilRecord, election: ElectionRecord) -> str:
    return (
        f"By-election for council {council.name}: {seats_text(election.seats)} until "
        f"{when(election.term_end or 0)}. Nominations are open until "
        f"{when(election.nomination_closes or 0)}: /stand {council.name}."
    )
