"""`govbot audit verify`: re-check the hash chain, re-tally every closed proposal and
recompute every closed reward epoch's allocation (handlers/rewards/verify.py).

The audit log alone is enough to recompute every result: `proposal.opened` carries the
rules (method, choices, quorum, threshold, the method's options; its hash seeds the lots
that break multi-winner ties), `ballot.cast` every ballot (the last one per
member counts), `proposal.closed` the published result. Verification also cross-checks
the working tables against the log, so a row altered by hand (a ballot, a stored
result) is named, as is a truncated log.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from handlers.proposals.counting import tally_ballots
from handlers.rewards.verify import verify_epochs
from storage import Storage
from storage.records import dumps
from storage.repos.audit import GENESIS, entry_hash


@dataclass
class VerifyReport:
    entries: int = 0
    proposals_checked: int = 0
    epochs_checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class _Trail:
    opened: dict[str, Any]
    opened_hash: str = ""
    ballots: dict[int, tuple[list[Any], float, str]] = field(default_factory=dict)
    closed: dict[str, Any] | None = None
    closed_hash: str | None = None


async def verify(storage: Storage) -> VerifyReport:
    """Stops at the first broken link (everything after it is untrustworthy)."""
    report = VerifyReport()
    trails: dict[int, _Trail] = {}
    prev, expected = GENESIS, 1
    async for entry, text in storage.audit.entries():
        where = f"audit entry {entry.seq} ({entry.kind} {entry.subject})"
        if entry.seq != expected:
            report.problems.append(f"{where}: expected entry {expected}; entries are missing")
            return report
        if entry.prev_hash != prev:
            report.problems.append(f"{where}: its link to the previous entry is broken")
            return report
        digest = entry_hash(
            prev, entry.seq, entry.at, entry.community_id, entry.kind, entry.subject, text
        )
        if digest != entry.hash:
            report.problems.append(f"{where}: its content does not match its hash (altered)")
            return report
        prev, expected = entry.hash, expected + 1
        report.entries += 1
        payload = entry.payload
        if entry.kind == "proposal.opened":
            trails[payload["id"]] = _Trail(opened=payload, opened_hash=entry.hash)
        elif entry.kind == "ballot.cast" and payload["proposal"] in trails:
            trails[payload["proposal"]].ballots[payload["member"]] = (
                payload["selection"],
                payload["weight"],
                entry.hash,
            )
        elif entry.kind == "proposal.closed" and payload["proposal"] in trails:
            trails[payload["proposal"]].closed = payload["result"]
            trails[payload["proposal"]].closed_hash = entry.hash
    for trail in trails.values():
        if trail.closed is not None:
            report.proposals_checked += 1
        problem = await _check_proposal(storage, trail)
        if problem:
            report.problems.append(problem)
            return report
    for proposal in await storage.proposals.all_closed():
        if proposal.id not in trails or trails[proposal.id].closed is None:
            report.problems.append(
                f"proposal #{proposal.number} (community {proposal.community_id}) is closed "
                "but the audit log has no closing entry for it"
            )
            return report
    report.epochs_checked, problem = await verify_epochs(storage)
    if problem:
        report.problems.append(problem)
    return report


async def _check_proposal(storage: Storage, trail: _Trail) -> str | None:
    opened = trail.opened
    name = f"proposal #{opened['number']} (community {opened['community_id']})"
    if trail.closed is not None:
        recount = tally_ballots(
            opened["method"],
            tuple(opened["choices"]),
            [(selection, weight) for selection, weight, _ in trail.ballots.values()],
            quorum=opened["quorum"],
            threshold=opened["threshold"],
            eligible_power=trail.closed.get("eligible_power"),
            options=opened.get("options") or {},
            seed=trail.opened_hash,
        ).to_json()
        if dumps(recount) != dumps(trail.closed):
            return (
                f"{name}: re-tallying the logged ballots gives {_brief(recount)}, "
                f"but the published result is {_brief(trail.closed)}"
            )
    stored = await storage.proposals.by_id(opened["id"])
    if stored is None:
        return f"{name}: in the audit log but missing from the database"
    if trail.closed is not None:
        if stored.result is None or dumps(stored.result) != dumps(trail.closed):
            return f"{name}: the stored result differs from the audit log"
        if stored.result_hash != trail.closed_hash:
            return f"{name}: the stored audit hash differs from the closing entry's hash"
    rows = {b.member_id: b for b in await storage.ballots.for_proposal(opened["id"])}
    if set(rows) != set(trail.ballots):
        return f"{name}: the ballots table and the audit log list different voters"
    for member_id, (selection, weight, receipt) in trail.ballots.items():
        row = rows[member_id]
        if (dumps(row.selection), row.weight, row.receipt) != (dumps(selection), weight, receipt):
            return f"{name}: the stored ballot of member {member_id} differs from the audit log"
    return None


def _brief(result: dict[str, Any]) -> str:
    return json.dumps(
        {k: result.get(k) for k in ("outcome", "winner", "totals")}, ensure_ascii=False
    )
