"""Plain records the repositories return: no ORM objects leak above storage."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


def dumps(obj: Any) -> str:
    """Canonical JSON: sorted keys, no spaces, UTF-8 kept, so equal data hashes equally."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class Place:
    """Where something posts its cards: the chat it was created in (a council, a dispute)."""

    platform: str
    space_id: str
    channel_id: str
    thread_id: str | None = None


@dataclass(frozen=True, slots=True)
class CommunityRecord:
    id: int
    key: str
    name: str
    settings: dict[str, Any]


@dataclass(frozen=True, slots=True)
class MemberRecord:
    id: int
    community_id: int
    platform: str
    user_id: str
    display_name: str
    first_seen: float
    account_created: float | None


@dataclass(frozen=True, slots=True)
class ProposalRecord:
    id: int
    community_id: int
    number: int
    title: str
    body: str
    choices: tuple[str, ...]
    method: str
    strategy: str
    snapshot: str | None
    quorum: str | None
    threshold: float | None
    hidden: bool
    profile: str | None
    author_id: int
    status: str
    created_at: float
    ends_at: float
    closed_at: float | None
    eligible_power: float | None
    result: dict[str, Any] | None
    result_hash: str | None
    announced: bool
    options: dict[str, Any] = field(default_factory=dict)  # the method's own options

    @classmethod
    def from_row(cls, row: Any) -> ProposalRecord:
        m = row._mapping
        return cls(
            id=m["id"],
            community_id=m["community_id"],
            number=m["number"],
            title=m["title"],
            body=m["body"],
            choices=tuple(json.loads(m["choices"])),
            method=m["method"],
            strategy=m["strategy"],
            snapshot=m["snapshot"],
            quorum=m["quorum"],
            threshold=m["threshold"],
            hidden=bool(m["hidden"]),
            profile=m["profile"],
            author_id=m["author_id"],
            status=m["status"],
            created_at=m["created_at"],
            ends_at=m["ends_at"],
            closed_at=m["closed_at"],
            eligible_power=m["eligible_power"],
            result=json.loads(m["result"]) if m["result"] else None,
            result_hash=m["result_hash"],
            announced=bool(m["announced"]),
            options=json.loads(m["options"]) if m.get("options") else {},
        )


@dataclass(frozen=True, slots=True)
class BallotRecord:
    proposal_id: int
    member_id: int
    selection: list[Any]
    weight: float
    breakdown: dict[str, Any]
    cast_at: float
    receipt: str
    signature: str | None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    seq: int
    at: float
    community_id: int | None
    kind: str
    subject: str
    payload: dict[str, Any]
    prev_hash: str
    hash: str
