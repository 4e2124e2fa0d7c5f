"""Records of the council aggregate and the audit payloads written for them.

Plain frozen dataclasses (no ORM object leaves storage), shared by the council
repositories (`storage/repos/councils.py`, `storage/repos/council_motions.py`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from storage.records import Place
from storage.schema_councils import council_motions, council_seats


@dataclass(frozen=True, slots=True)
class CouncilRecord:
    id: int
    community_id: int
    name: str
    seats: int
    term_days: float
    method: str
    options: dict[str, Any]
    cohorts: int
    electorate: str
    nomination_hours: float
    voting_hours: float
    min_reputation: float | None
    require_wallet: bool
    powers: dict[str, Any]
    home: Place
    created_by: int
    created_at: float

    @classmethod
    def from_row(cls, row: Any) -> CouncilRecord:
        m = row._mapping
        return cls(
            id=m["id"],
            community_id=m["community_id"],
            name=m["name"],
            seats=m["seats"],
            term_days=m["term_days"],
            method=m["method"],
            options=json.loads(m["options"] or "{}"),
            cohorts=m["cohorts"],
            electorate=m["electorate"],
            nomination_hours=m["nomination_hours"],
            voting_hours=m["voting_hours"],
            min_reputation=m["min_reputation"],
            require_wallet=bool(m["require_wallet"]),
            powers=json.loads(m["powers"] or "{}"),
            home=Place(m["home_platform"], m["home_space"], m["home_channel"], m["home_thread"]),
            created_by=m["created_by"],
            created_at=m["created_at"],
        )


@dataclass(frozen=True, slots=True)
class ElectionRecord:
    id: int
    council_id: int
    community_id: int
    kind: str  # first | regular | by
    cohort: int  # 0: every cohort
    seats: int
    term_start: float | None
    term_end: float | None
    status: str
    nomination_closes: float | None
    extended: bool
    candidates: list[int] | None
    proposal_id: int | None
    seat_id: int | None
    created_at: float
    finished_at: float | None

    @classmethod
    def from_row(cls, row: Any) -> ElectionRecord:
        m = row._mapping
        return cls(
            id=m["id"],
            council_id=m["council_id"],
            community_id=m["community_id"],
            kind=m["kind"],
            cohort=m["cohort"],
            seats=m["seats"],
            term_start=m["term_start"],
            term_end=m["term_end"],
            status=m["status"],
            nomination_closes=m["nomination_closes"],
            extended=bool(m["extended"]),
            candidates=json.loads(m["candidates"]) if m["candidates"] else None,
            proposal_id=m["proposal_id"],
            seat_id=m["seat_id"],
            created_at=m["created_at"],
            finished_at=m["finished_at"],
        )


@dataclass(frozen=True, slots=True)
class CandidacyRecord:
    election_id: int
    member_id: int
    name: str
    stood_at: float
    withdrawn_at: float | None


@dataclass(frozen=True, slots=True)
class SeatRecord:
    id: int
    council_id: int
    community_id: int
    member_id: int
    cohort: int
    term_start: float
    term_end: float
    election_id: int
    proposal_id: int | None
    seated_at: float
    ended_at: float | None
    end_reason: str | None

    def active(self, now: float) -> bool:
        """Holding the seat at `now`: the term has begun, not ended, nobody unseated them."""
        return self.ended_at is None and self.term_start <= now < self.term_end

    @classmethod
    def from_row(cls, row: Any) -> SeatRecord:
        m = row._mapping
        return cls(*(m[c.name] for c in council_seats.columns))


@dataclass(frozen=True, slots=True)
class MotionRecord:
    id: int
    council_id: int
    community_id: int
    kind: str  # veto | recall
    proposal_id: int
    subject_proposal_id: int | None
    seat_id: int | None
    needed: float | None
    status: str  # open | carried | failed
    opened_at: float
    decided_at: float | None

    @classmethod
    def from_row(cls, row: Any) -> MotionRecord:
        m = row._mapping
        return cls(*(m[c.name] for c in council_motions.columns))


@dataclass(frozen=True, slots=True)
class NoticeRecord:
    id: int
    council_id: int
    community_id: int
    kind: str  # text | card | refresh
    text: str
    proposal_id: int | None
    created_at: float


@dataclass(frozen=True, slots=True)
class Notice:
    """Something to announce once the transaction commits."""

    kind: str  # text: say `text` · card: post the proposal's card · refresh: re-render it
    text: str = ""
    proposal_id: int | None = None


@dataclass(frozen=True, slots=True)
class NewCouncil:
    community_id: int
    name: str
    seats: int
    term_days: float
    method: str
    options: dict[str, Any]
    cohorts: int
    electorate: str
    nomination_hours: float
    voting_hours: float
    min_reputation: float | None
    require_wallet: bool
    powers: dict[str, Any]
    home: Place
    created_by: int


@dataclass(frozen=True, slots=True)
class NewElection:
    kind: str
    cohort: int
    seats: int
    term_start: float | None
    term_end: float | None
    nomination_closes: float | None  # None: scheduled (pending), opened later
    seat_id: int | None = None


@dataclass(frozen=True, slots=True)
class Placement:
    """One winner's seat: which cohort, which term."""

    member_id: int
    cohort: int
    term_start: float
    term_end: float


def council_subject(council_id: int) -> str:
    return f"council:{council_id}"


def council_payload(council: CouncilRecord) -> dict[str, Any]:
    return {
        "name": council.name,
        "seats": council.seats,
        "term_days": council.term_days,
        "method": council.method,
        "options": council.options,
        "cohorts": council.cohorts,
        "electorate": council.electorate,
        "nomination_hours": council.nomination_hours,
        "voting_hours": council.voting_hours,
        "min_reputation": council.min_reputation,
        "require_wallet": council.require_wallet,
        "powers": council.powers,
        "by": council.created_by,
    }


def election_payload(election: ElectionRecord) -> dict[str, Any]:
    return {
        "election": election.id,
        "kind": election.kind,
        "cohort": election.cohort,
        "seats": election.seats,
        "term_start": election.term_start,
        "term_end": election.term_end,
        "closes": election.nomination_closes,
        "seat": election.seat_id,
    }


def seat_payload(seat: SeatRecord) -> dict[str, Any]:
    return {
        "seat": seat.id,
        "election": seat.election_id,
        "member": seat.member_id,
        "cohort": seat.cohort,
        "term_start": seat.term_start,
        "term_end": seat.term_end,
        "proposal": seat.proposal_id,
    }
