"""A council election: nominations, then a proposal with the candidates, then seats.

* Nominations close: more candidates than seats → the election proposal opens (built by
  /propose's own draft path, so its card, ballots, tally and audit are a proposal's);
  fewer than seats and not extended yet → nominations stay open once more, by as long
  again; otherwise (as many as the seats, or still too few) → whoever stood is seated
  unopposed and the empty seats are announced as vacancies.
* The proposal closes (`ProposalClosed`, or the job catching up after a crash): its
  `result["winners"]` are seated, strongest first into cohort 1 at the first election.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from typing import Any

from handlers.core.deps import Deps
from handlers.core.errors import DomainError
from handlers.core.events import CouncilSeatsChanged
from handlers.councils.terms import (
    HOUR,
    cohort_sizes,
    placements,
    ranked_winners,
    term_of,
    term_seconds,
)
from handlers.proposals.cards import when
from handlers.proposals.opening import new_proposal
from handlers.proposals.options import build_draft
from handlers.voting.methods.parsing import loose_key
from handlers.voting.rules.params import MAX_ELECTION_CHOICES
from storage.records import ProposalRecord
from storage.repos.council_records import (
    CouncilRecord,
    ElectionRecord,
    NewElection,
    Notice,
    SeatRecord,
)
from storage.repos.proposals import NewProposal

log = logging.getLogger(__name__)

MAX_CANDIDATES = MAX_ELECTION_CHOICES
_SEPARATORS = re.compile(r"[,>=|]")


def seats_text(n: int) -> str:
    return f"{n} seat{'s' if n != 1 else ''}"


def choice_labels(names: list[str]) -> list[str]:
    """Candidates' display names as ballot choices: without the characters ballots use
    as separators, never only digits (they would read as choice numbers), distinct."""
    labels: list[str] = []
    seen: set[str] = set()
    for name in names:
        text = _SEPARATORS.sub(" ", name)
        text = "".join(ch for ch in text if unicodedata.category(ch) != "Cc")
        text = " ".join(text.split())[:70]
        if not loose_key(text) or loose_key(text).isdigit():
            text = f"member {text}".strip()
        label, n = text, 2
        while label.casefold() in seen or loose_key(label) in seen:
            label, n = f"{text} ({n})", n + 1
        seen.update((label.casefold(), loose_key(label)))
        labels.append(label)
    return labels


def election_title(council: CouncilRecord, election: ElectionRecord) -> str:
    what = {"first": "first election", "regular": "election", "by": "by-election"}[election.kind]
    cohort = f", cohort {election.cohort}" if council.cohorts > 1 and election.cohort else ""
    return f"Council {council.name} {what}: {seats_text(election.seats)}{cohort}"


def nomination_notice(council: CouncilRecord, election: ElectionRecord) -> str:
    closes = election.nomination_closes or 0.0
    bars = []
    if council.min_reputation:
        bars.append(f"a reputation of at least {council.min_reputation:g}")
    if council.require_wallet:
        bars.append("a linked wallet")
    needs = f" (candidates need {' and '.join(bars)})" if bars else ""
    term = ""
    if election.term_start is not None and election.term_end is not None:
        term = f" for the term {when(election.term_start)} – {when(election.term_end)}"
    return (
        f"{election_title(council, election)}{term}. Nominations are open until "
        f"{when(closes)}{needs}: /stand {council.name} (and /withdraw {council.name})."
    )


async def new_election_proposal(
    deps: Deps, council: CouncilRecord, election: ElectionRecord, labels: list[str], now: float
) -> NewProposal:
    """The election as a proposal, through /propose's own checks (`build_draft`)."""
    option_values: dict[str, Any] = {"seats": str(election.seats), **council.options}
    values = {
        "title": election_title(council, election),
        "choices": " | ".join(labels),
        "method": council.method,
        "weight": council.electorate,
        "hours": str(council.voting_hours),
        "body": (
            f"Elect {seats_text(election.seats)} of council {council.name}"
            + (
                f" for the term until {when(election.term_end)}."
                if election.term_end is not None
                else f" for {council.term_days:g} days."
            )
        ),
        **option_values,
    }
    draft = build_draft(values, deps.policy)
    return await new_proposal(
        deps, draft, community_id=council.community_id, author_id=council.created_by, now=now
    )


async def close_nominations(
    deps: Deps, council: CouncilRecord, election: ElectionRecord, now: float
) -> None:
    storage = deps.storage.councils
    standing = await storage.candidacies(election.id)
    count = len(standing)
    if count > election.seats:
        labels = choice_labels([c.name for c in standing])
        try:
            new = await new_election_proposal(deps, council, election, labels, now)
        except DomainError as error:  # e.g. an electorate strategy that is gone
            log.warning("council election cannot open council=%s: %s", council.id, error.message)
            await storage.fail_election(
                election.id,
                error.message,
                [
                    Notice(
                        "text",
                        f"{election_title(council, election)} could not open: {error.message}",
                    )
                ],
                at=now,
            )
            return

        def opened(proposal: ProposalRecord) -> list[Notice]:
            text = (
                f"Nominations for council {council.name} closed: {count} candidates for "
                f"{seats_text(election.seats)}. Vote on #{proposal.number} until "
                f"{when(proposal.ends_at)}."
            )
            return [Notice("text", text), Notice("card", proposal_id=proposal.id)]

        await storage.open_vote(election.id, new, [c.member_id for c in standing], opened, at=now)
        return
    if count < election.seats and not election.extended:
        closes = now + council.nomination_hours * HOUR
        text = (
            f"Only {count} candidate{'s' if count != 1 else ''} for "
            f"{seats_text(election.seats)} on council {council.name}: nominations are "
            f"extended once, until {when(closes)}. /stand {council.name}"
        )
        await storage.extend(election.id, closes, count, [Notice("text", text)], at=now)
        return
    await seat(deps, council, election, [c.member_id for c in standing], None, "unopposed", now)


async def seat(
    deps: Deps,
    council: CouncilRecord,
    election: ElectionRecord,
    members: list[int],
    proposal: ProposalRecord | None,
    outcome: str,
    now: float,
) -> list[SeatRecord] | None:
    """Seat `members` (strongest first) for the election's term; announce it."""
    decided_at = proposal.closed_at if proposal is not None and proposal.closed_at else now
    start, end = term_of(council, election, decided_at)
    chosen = placements(council, election, members, start=start)
    names = await deps.storage.members.names({p.member_id for p in chosen})

    def notices(seated: list[SeatRecord]) -> list[Notice]:
        return [Notice("text", seating_text(council, election, seated, names, proposal, now))]

    seated = await deps.storage.councils.seat_winners(
        election.id,
        chosen,
        proposal_id=proposal.id if proposal is not None else None,
        outcome=outcome,
        term_start=start,
        term_end=end,
        notices=notices,
        at=now,
    )
    if seated:
        await deps.events.publish(deps, CouncilSeatsChanged(council.community_id, council.id))
    return seated


def seating_text(
    council: CouncilRecord,
    election: ElectionRecord,
    seated: list[SeatRecord],
    names: dict[int, str],
    proposal: ProposalRecord | None,
    now: float,
) -> str:
    how = f"elected on #{proposal.number}" if proposal is not None else "elected unopposed"
    if not seated:
        head = f"Council {council.name}: nobody was elected"
        if proposal is not None:
            head += f" on #{proposal.number}"
    else:
        parts = []
        for s in seated:
            cohort = f"cohort {s.cohort}, " if council.cohorts > 1 else ""
            parts.append(
                f"{names.get(s.member_id, f'member {s.member_id}')} ({cohort}until "
                f"{when(s.term_end)})"
            )
        head = f"Council {council.name}: {how}: {', '.join(parts)}"
        starts = min(s.term_start for s in seated)
        if starts > now:
            head += f"; they take their seats on {when(starts)}"
    vacant = election.seats - len(seated)
    if vacant > 0:
        head += f". {seats_text(vacant).capitalize()} left vacant until the next election"
    return head + "."


async def seat_from_result(
    deps: Deps,
    council: CouncilRecord,
    election: ElectionRecord,
    proposal: ProposalRecord,
    now: float,
) -> list[SeatRecord] | None:
    """The election proposal closed: seat its winners (each election once)."""
    result = proposal.result or {}
    outcome = str(result.get("outcome", "no_votes"))
    winners = [int(i) for i in result.get("winners", [])] if outcome == "passed" else []
    order = ranked_winners(winners, [float(t) for t in result.get("totals", [])])
    candidates = election.candidates or []
    members = [candidates[i] for i in order if i < len(candidates)]
    return await seat(deps, council, election, members, proposal, outcome, now)


def next_election(council: CouncilRecord, cohort: int, start: float, *, now: float) -> NewElection:
    """The regular election of `cohort` for the term starting at `start`."""
    return NewElection(
        kind="regular",
        cohort=cohort,
        seats=cohort_sizes(council.seats, council.cohorts)[cohort - 1],
        term_start=start,
        term_end=start + term_seconds(council),
        nomination_closes=now + council.nomination_hours * HOUR,
    )


def first_election(council_seats: int, nomination_hours: float, *, now: float) -> NewElection:
    return NewElection(
        kind="first",
        cohort=0,
        seats=council_seats,
        term_start=None,
        term_end=None,
        nomination_closes=now + nomination_hours * HOUR,
    )
