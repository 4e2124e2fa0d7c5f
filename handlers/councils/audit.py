"""`govbot audit verify` for councils: every seat must follow from the audit log.

Replayed from the `council.*` entries alone (the chain itself is checked first by
`handlers.audit.verify`, which hands over the re-tallied results of the closed
proposals):

* the candidates an election's proposal lists are exactly those standing when
  nominations closed (stood, not withdrawn), in the order they stood;
* an election decided by a proposal seats exactly the winners of that proposal's logged
  result (`result["winners"]`, nobody if it did not pass), strongest first — and, at a
  first election with two cohorts, the strongest ⌈S/2⌉ in cohort 1 with the full term;
* an election decided without a vote seats exactly who stood, never more than its seats;
* a veto is carried exactly when its vote's logged "for" total reaches ⌈2n/3⌉ of the n
  seats held when it opened; a recall unseats exactly when its vote passed;
* the seats table says what the log says: every seat, its term, and how it ended.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from handlers.councils.terms import DAY, cohort_sizes, ranked_winners, veto_needed
from storage import Storage
from storage.records import AuditEntry
from storage.repos.council_records import SeatRecord


@dataclass
class _Election:
    council: int
    opened: dict[str, Any]
    standing: dict[int, str] = field(default_factory=dict)  # member → name, in stood order
    vote: dict[str, Any] | None = None
    seated: list[dict[str, Any]] = field(default_factory=list)
    closed: dict[str, Any] | None = None


@dataclass
class CouncilTrail:
    """The council entries of the log, gathered while the chain is walked."""

    councils: dict[int, dict[str, Any]] = field(default_factory=dict)
    elections: dict[int, _Election] = field(default_factory=dict)
    seats: dict[int, dict[str, Any]] = field(default_factory=dict)
    ended: dict[int, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    vetoes: dict[int, dict[str, Any]] = field(default_factory=dict)  # motion → opened
    veto_decisions: dict[int, dict[str, Any]] = field(default_factory=dict)
    recalls: dict[int, dict[str, Any]] = field(default_factory=dict)
    recall_decisions: dict[int, dict[str, Any]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    seatings: int = 0

    def add(self, entry: AuditEntry) -> None:
        p = entry.payload
        council = int(p.get("council", 0))
        kind = entry.kind
        if kind == "council.created":
            self.councils[council] = p
        elif kind in ("council.nomination_opened", "council.by_election"):
            election = self.elections.get(p["election"])
            if election is None:
                self.elections[p["election"]] = _Election(council, p)
            else:  # a scheduled by-election opening its nominations
                election.opened = p
        elif kind == "council.candidate" and p["election"] in self.elections:
            standing = self.elections[p["election"]].standing
            standing.pop(p["member"], None)  # stood again after withdrawing: at the back
            standing[p["member"]] = p["name"]
        elif kind == "council.withdrawn" and p["election"] in self.elections:
            self.elections[p["election"]].standing.pop(p["member"], None)
        elif kind == "council.election_opened" and p["election"] in self.elections:
            election = self.elections[p["election"]]
            election.vote = p
            expected = _in_order(election.standing)
            if list(p["candidates"]) != expected:
                self.problems.append(
                    f"council {council} election {p['election']}: its ballot lists "
                    f"{p['candidates']}, but {expected} were standing"
                )
        elif kind == "council.seated" and p["election"] in self.elections:
            self.elections[p["election"]].seated.append(p)
            self.seats[p["seat"]] = p
        elif kind == "council.election_closed" and p["election"] in self.elections:
            self.elections[p["election"]].closed = p
        elif kind == "council.term_ended":
            self.ended[p["seat"]] = ("term", p)
        elif kind == "council.unseated":
            self.ended[p["seat"]] = ("recalled", p)
        elif kind == "council.veto_opened":
            self.vetoes[p["motion"]] = p
        elif kind == "council.veto_decided":
            self.veto_decisions[p["motion"]] = p
        elif kind == "council.recall_opened":
            self.recalls[p["motion"]] = p
        elif kind == "council.recall_decided":
            self.recall_decisions[p["motion"]] = p


def _in_order(standing: dict[int, str]) -> list[int]:
    """Who was standing, in the order they stood (the log is in commit order)."""
    return list(standing)


def _expected_seats(
    trail: CouncilTrail, election: _Election, results: dict[int, dict[str, Any]]
) -> list[int] | str:
    """The members this election had to seat, strongest first (or the problem)."""
    if election.vote is None:  # decided without a vote: whoever stood
        members = _in_order(election.standing)
        if len(members) > int(election.opened["seats"]):
            return (
                f"{len(members)} stood for {election.opened['seats']} seats, yet no vote was held"
            )
        return members
    result = results.get(election.vote["proposal"])
    if result is None:
        return f"its proposal {election.vote['proposal']} has no logged result"
    winners = [int(i) for i in result.get("winners", [])] if result["outcome"] == "passed" else []
    candidates = list(election.vote["candidates"])
    order = ranked_winners(winners, [float(t) for t in result.get("totals", [])])
    return [candidates[i] for i in order]


def _check_election(
    trail: CouncilTrail, election_id: int, election: _Election, results: dict[int, dict[str, Any]]
) -> str | None:
    name = f"council {election.council} election {election_id}"
    if election.closed is None:
        return None if not election.seated else f"{name}: seats without a closing entry"
    expected = _expected_seats(trail, election, results)
    if isinstance(expected, str):
        return f"{name}: {expected}"
    seated = [int(s["member"]) for s in election.seated]
    if seated != expected or list(election.closed["seated"]) != expected:
        return f"{name}: seated {seated}, but its result elects {expected}"
    council = trail.councils.get(election.council)
    if council is None:
        return f"{name}: its council has no creation entry"
    kind = election.opened["kind"]
    term = float(council["term_days"]) * DAY
    starts = {float(s["term_start"]) for s in election.seated}
    if len(starts) > 1:
        return f"{name}: its winners' terms start at different times"
    sizes = cohort_sizes(int(council["seats"]), int(council["cohorts"]))
    for rank, seat in enumerate(election.seated):
        start = float(seat["term_start"])
        if kind == "first":
            cohort = 1 if rank < sizes[0] else 2
            end = start + (term if cohort == 1 else term / int(council["cohorts"]))
        else:
            cohort, end = int(election.opened["cohort"]), float(election.opened["term_end"])
        if int(seat["cohort"]) != cohort or abs(float(seat["term_end"]) - end) > 1e-6:
            return (
                f"{name}: member {seat['member']} was seated in cohort {seat['cohort']} until "
                f"{seat['term_end']}, but the rules give cohort {cohort} until {end}"
            )
        if election.opened.get("term_start") is not None and start < float(
            election.opened["term_start"]
        ):
            return f"{name}: member {seat['member']} took office before the term began"
    return None


def _check_motions(trail: CouncilTrail, results: dict[int, dict[str, Any]]) -> str | None:
    for motion, decided in trail.veto_decisions.items():
        opened = trail.vetoes.get(motion)
        if opened is None:
            return f"veto {motion}: decided but never opened"
        if float(opened["needed"]) != float(veto_needed(int(opened["seats"]))):
            return f"veto {motion}: needs {opened['needed']} votes, not two thirds of the seats"
        result = results.get(opened["veto_proposal"])
        votes = float((result or {}).get("totals", [0.0])[0]) if result else 0.0
        vetoed = result is not None and votes >= float(opened["needed"])
        if bool(decided["vetoed"]) != vetoed:
            needed = float(opened["needed"])
            if decided["vetoed"]:
                why = f"only {votes:g} of the {needed:g} votes needed were cast for it"
            else:
                why = f"its {votes:g} votes for it reached the {needed:g} needed"
            return f"veto {motion} of proposal {opened['proposal']}: logged as " + (
                f"{'vetoed' if decided['vetoed'] else 'not vetoed'}, but {why}"
            )
    for motion, decided in trail.recall_decisions.items():
        opened = trail.recalls.get(motion)
        if opened is None:
            return f"recall {motion}: decided but never opened"
        result = results.get(opened["proposal"])
        carried = result is not None and result.get("outcome") == "passed"
        if bool(decided["carried"]) != carried:
            return (
                f"recall {motion}: logged as carried={decided['carried']}, its vote says {carried}"
            )
        ended = trail.ended.get(int(opened["seat"]))
        unseated = (
            ended is not None
            and ended[0] == "recalled"
            and (int(ended[1].get("proposal") or 0) == int(opened["proposal"]))
        )
        if unseated and not carried:
            return f"recall {motion}: the member was unseated though the recall failed"
    for seat_id, (reason, payload) in trail.ended.items():
        if reason != "recalled":
            continue
        motions = [m for m, o in trail.recalls.items() if int(o["proposal"]) == payload["proposal"]]
        if not motions or not trail.recall_decisions.get(motions[0], {}).get("carried"):
            return f"seat {seat_id}: unseated without a recall that carried"
    return None


def _seat_matches(row: SeatRecord, logged: dict[str, Any]) -> bool:
    return (
        row.member_id == logged["member"]
        and row.election_id == logged["election"]
        and row.cohort == logged["cohort"]
        and row.term_start == logged["term_start"]
        and row.term_end == logged["term_end"]
        and row.proposal_id == logged["proposal"]
    )


async def check_councils(
    storage: Storage, trail: CouncilTrail, results: dict[int, dict[str, Any]]
) -> str | None:
    """The first problem with the councils, or None. `results`: closed proposal id →
    its logged (and already re-tallied) result."""
    if trail.problems:
        return trail.problems[0]
    for election_id, election in trail.elections.items():
        problem = _check_election(trail, election_id, election, results)
        if problem:
            return problem
        trail.seatings += len(election.seated)
    problem = _check_motions(trail, results)
    if problem:
        return problem
    rows = {s.id: s for s in await storage.councils.all_seats()}
    if set(rows) != set(trail.seats):
        extra = sorted(set(rows) ^ set(trail.seats))
        return f"council seats {extra}: in the seats table or the audit log, not both"
    for seat_id, row in rows.items():
        logged = trail.seats[seat_id]
        if not _seat_matches(row, logged):
            return f"council seat {seat_id}: the seats table differs from its council.seated entry"
        ended = trail.ended.get(seat_id)
        if (row.ended_at is None) != (ended is None) or (
            ended is not None and row.end_reason != ended[0]
        ):
            return f"council seat {seat_id}: how it ended differs from the audit log"
    for motion in await storage.council_motions.motions():
        decided = (
            trail.veto_decisions.get(motion.id)
            if motion.kind == "veto"
            else trail.recall_decisions.get(motion.id)
        )
        if decided is None:
            if motion.status != "open":
                return f"council motion {motion.id}: decided in the table, not in the log"
            continue
        carried = bool(decided.get("vetoed" if motion.kind == "veto" else "carried"))
        if motion.status != ("carried" if carried else "failed"):
            return f"council motion {motion.id}: its status differs from the audit log"
    return None


async def verify_councils(
    storage: Storage, results: dict[int, dict[str, Any]]
) -> tuple[int, str | None]:
    """(council seats checked, the first problem or None); `results`: each closed
    proposal's logged result, already re-tallied by the chain walk."""
    trail = CouncilTrail()
    async for entry, _ in storage.audit.entries():
        if entry.kind.startswith("council."):
            trail.add(entry)
    problem = await check_councils(storage, trail, results)
    return trail.seatings, problem
