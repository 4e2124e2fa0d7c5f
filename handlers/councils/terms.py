"""Terms, cohorts and the election calendar: pure arithmetic, shared with `audit verify`.

A council of S seats with `cohorts=2` is two cohorts of ⌈S/2⌉ and ⌊S/2⌋ seats. The first
election fills every seat: the winners ranked first (most first-preference or approval
weight, ties to the earlier candidate) take cohort 1 and a full term, the others cohort
2 and half a term, so from then on half the council is elected every half term — the
staggering the Arbitrum Security Council uses. With `cohorts=1` every seat is elected
together, once a term.

Each regular election fills its cohort's seats for the term that starts when the
sitting cohort's term ends, and opens its nominations `lead` before that: time for the
nomination window, its one possible extension, and the vote, so the winners are known
before the term they serve begins.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from storage.repos.council_records import CouncilRecord, ElectionRecord, Placement

HOUR = 3600.0
DAY = 86400.0
COVERING = ("first", "regular")  # by-elections refill a seat; they move no calendar


def cohort_sizes(seats: int, cohorts: int) -> list[int]:
    """Seats per cohort, cohort 1 first: [⌈S/2⌉, ⌊S/2⌋] or [S]."""
    if cohorts == 1:
        return [seats]
    return [math.ceil(seats / 2), seats // 2]


def lead_seconds(nomination_hours: float, voting_hours: float) -> float:
    """Nominations (possibly extended once by as long again), then the vote."""
    return (2 * nomination_hours + voting_hours) * HOUR


def term_seconds(council: CouncilRecord) -> float:
    return council.term_days * DAY


def cycle_seconds(term_days: float, cohorts: int) -> float:
    """Time between two regular elections: the term, or half of it with two cohorts."""
    return term_days * DAY / cohorts


def council_lead(council: CouncilRecord) -> float:
    return lead_seconds(council.nomination_hours, council.voting_hours)


def ranked_winners(winners: Sequence[int], totals: Sequence[float]) -> list[int]:
    """Winning choice indexes, strongest first (ties: the earlier choice)."""
    return sorted(winners, key=lambda i: (-float(totals[i]) if i < len(totals) else 0.0, i))


def placements(
    council: CouncilRecord,
    election: ElectionRecord,
    members: Sequence[int],
    *,
    start: float,
) -> list[Placement]:
    """Seats for the winners, in rank order, taking office at `start`.

    The first election splits them into cohorts (cohort 1 first, with the full term);
    any other election seats its own cohort until the end of the term it fills."""
    if election.kind == "first":
        sizes = cohort_sizes(council.seats, council.cohorts)
        full = start + term_seconds(council)
        short = start + term_seconds(council) / council.cohorts
        out = []
        for rank, member in enumerate(members):
            cohort = 1 if rank < sizes[0] else 2
            out.append(Placement(member, cohort, start, full if cohort == 1 else short))
        return out
    assert election.term_end is not None, "regular and by-elections know their term's end"
    return [Placement(m, election.cohort, start, election.term_end) for m in members]


def term_of(council: CouncilRecord, election: ElectionRecord, at: float) -> tuple[float, float]:
    """When the winners of `election`, decided at `at`, take office and until when (for
    the first election: cohort 1's term)."""
    start = at if election.term_start is None else max(election.term_start, at)
    if election.kind == "first":
        return start, start + term_seconds(council)
    assert election.term_end is not None
    return start, election.term_end


def cohort_term_end(council: CouncilRecord, election: ElectionRecord, cohort: int) -> float | None:
    """When the term `election` filled for `cohort` ends (None: not decided yet)."""
    if election.status != "seated" or election.term_start is None:
        return None
    if election.kind == "first":
        share = 1.0 if cohort == 1 else 1.0 / council.cohorts
        return election.term_start + term_seconds(council) * share
    return election.term_end


def next_regular(
    council: CouncilRecord, elections: Sequence[ElectionRecord]
) -> tuple[int, float] | None:
    """(cohort, term start) of the next regular election, or None before the first
    election has seated anyone. The cohort whose term ends first goes next."""
    upcoming: list[tuple[float, int]] = []
    for cohort, size in enumerate(cohort_sizes(council.seats, council.cohorts), 1):
        if size == 0:
            continue
        ends = [
            end
            for e in elections
            if e.kind in COVERING and e.cohort in (0, cohort)
            if (end := cohort_term_end(council, e, cohort)) is not None
        ]
        if ends:
            upcoming.append((max(ends), cohort))
    if not upcoming:
        return None
    start, cohort = min(upcoming)
    return cohort, start


def veto_needed(seats: int) -> int:
    """Votes for a veto: two thirds of the seats held when the veto vote opened, ⌈2n/3⌉."""
    return (2 * seats + 2) // 3
