"""`govbot audit verify`: re-check the hash chain, re-tally every closed proposal,
recompute every closed reward epoch's allocation (handlers/rewards/verify.py) and
re-derive every council seat from its election's result (handlers/councils/audit.py).

The audit log alone is enough to recompute every result: `proposal.opened` carries the
rules (method, choices, quorum, threshold, the method's options; its hash seeds the lots
that break multi-winner ties), `ballot.cast` every ballot (the last one per
member counts), `proposal.closed` the published result. One verifier (`check_entries`)
walks any ordered stream of entries — the database's (`verify`) or a downloaded file's
(`verify_file`) — so both paths check exactly the same things. With the database it
also cross-checks the working tables against the log, so a row altered by hand (a
ballot, a stored result) is named, as is a truncated log. With a file it can also check
checkpoints copied from chat and find a member's receipt.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterable, AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any

from handlers.audit.logfile import BadLine, LogEntry, from_stored, read_lines
from handlers.councils.audit import verify_councils
from handlers.disputes.audit import verify_disputes
from handlers.proposals.counting import tally_ballots
from handlers.reach.roles.audit import verify_roles
from handlers.rewards.verify import verify_epochs
from storage import Storage
from storage.records import dumps
from storage.repos.audit import GENESIS, chain_hash


@dataclass(frozen=True, slots=True)
class Receipt:
    """Where a ballot's receipt (its entry's hash) sits in the log, and whether it counts."""

    hash: str
    index: int
    line: int | None
    proposal_id: int
    number: int | None  # the proposal's number in its community (None: opening not seen)
    community: int | None
    status: str  # "counted" | "replaced" | "open" | "withheld"


@dataclass
class VerifyReport:
    entries: int = 0
    proposals_checked: int = 0
    epochs_checked: int = 0
    seatings_checked: int = 0  # council seats re-derived from their elections' results
    role_states_checked: int = 0  # role states matched to their last audit entry
    draws_checked: int = 0  # dispute juries recomputed from the log (and their rulings)
    withheld: int = 0
    head: tuple[int, str] = (0, GENESIS)
    problems: list[str] = field(default_factory=list)
    receipts: dict[str, Receipt] = field(default_factory=dict)
    checkpoints_matched: int = 0

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
    ended: bool = False  # closed or cancelled


class _Stop(Exception):
    """The first problem: everything after a broken link is untrustworthy."""


@dataclass
class _Walk:
    report: VerifyReport
    checkpoints: dict[int, str]
    wanted: frozenset[str]
    trails: dict[int, _Trail] = field(default_factory=dict)
    found: dict[str, tuple[LogEntry, int, int]] = field(default_factory=dict)
    prev: str = GENESIS
    expected: int = 1

    def fail(self, problem: str) -> None:
        self.report.problems.append(problem)
        raise _Stop

    def feed(self, entry: LogEntry) -> None:
        where = entry.place
        if entry.index != self.expected:
            if entry.line is None:
                self.fail(f"{where}: expected entry {self.expected}; entries are missing")
            if self.expected == 1:
                self.fail(
                    f"{where}: the log starts at entry {entry.index}; verifying needs it "
                    "from entry 1 (download it without since=)"
                )
            if entry.index > self.expected:
                self.fail(
                    f"{where}: expected entry {self.expected}; entries are missing or out of order"
                )
            self.fail(f"{where}: expected entry {self.expected}; entries are out of order")
        if entry.prev != self.prev:
            self.fail(f"{where}: its link to the previous entry is broken")
        if entry.payload is None:
            self.report.withheld += 1
        else:
            digest = chain_hash(
                self.prev,
                entry.index,
                entry.at,
                entry.community,
                entry.kind,
                entry.subject,
                entry.payload,
            )
            if digest != entry.hash:
                self.fail(f"{where}: its content does not match its hash (altered)")
        if entry.index in self.checkpoints and self.checkpoints[entry.index] != entry.hash:
            self.fail(
                f"checkpoint {self.checkpoints[entry.index]}@{entry.index} does not match "
                f"{where}, whose hash is {entry.hash}: the log differs from what was anchored"
            )
        if entry.index in self.checkpoints:
            self.report.checkpoints_matched += 1
        self.prev, self.expected = entry.hash, self.expected + 1
        self.report.entries += 1
        self.report.head = (entry.index, entry.hash)
        if entry.payload is None:
            if entry.kind == "ballot.cast" and entry.hash in self.wanted:
                proposal = _subject_id(entry.subject)
                self.found[entry.hash] = (entry, proposal, -1)
            return
        self._follow(entry, where)

    def _follow(self, entry: LogEntry, where: str) -> None:
        if entry.kind not in TALLIED:
            return
        payload = _payload(entry, self)
        try:
            if entry.kind == "proposal.opened":
                self.trails[payload["id"]] = _Trail(opened=payload, opened_hash=entry.hash)
                return
            proposal = payload["proposal"]
            trail = self.trails.get(proposal)
            if entry.kind == "ballot.cast":
                if entry.hash in self.wanted:
                    self.found[entry.hash] = (entry, proposal, payload["member"])
                if trail is not None:
                    trail.ballots[payload["member"]] = (
                        payload["selection"],
                        payload["weight"],
                        entry.hash,
                    )
            elif trail is not None and entry.kind == "proposal.cancelled":
                trail.ended = True
            elif trail is not None and entry.kind == "proposal.closed":
                trail.closed, trail.closed_hash, trail.ended = payload["result"], entry.hash, True
                self.report.proposals_checked += 1
                problem = recount(trail, entry.line)
                if problem:
                    self.fail(problem)
        except (KeyError, TypeError, ValueError) as error:
            self.fail(f"{where}: its payload lacks what a {entry.kind} entry holds ({error})")

    def receipts(self) -> None:
        for digest, (entry, proposal, member) in self.found.items():
            trail = self.trails.get(proposal)
            if member < 0:
                status = "withheld"
            elif trail is None:
                status = "open"
            elif trail.ballots.get(member, (None, None, ""))[2] != digest:
                status = "replaced"
            else:
                status = "counted" if trail.ended else "open"
            self.report.receipts[digest] = Receipt(
                digest,
                entry.index,
                entry.line,
                proposal,
                None if trail is None else trail.opened.get("number"),
                entry.community,
                status,
            )


TALLIED = ("proposal.opened", "ballot.cast", "proposal.closed", "proposal.cancelled")


def _subject_id(subject: str) -> int:
    _, _, tail = subject.partition(":")
    return int(tail) if tail.isdigit() else -1


def _payload(entry: LogEntry, walk: _Walk) -> dict[str, Any]:
    try:
        payload = json.loads(entry.payload or "")
    except ValueError:
        walk.fail(f"{entry.place}: its payload is not JSON")
    if not isinstance(payload, dict):
        walk.fail(f"{entry.place}: its payload is not a JSON object")
    return payload


def recount(trail: _Trail, line: int | None = None) -> str | None:
    """None when re-tallying the logged ballots gives the published result."""
    opened = trail.opened
    assert trail.closed is not None
    name = f"proposal #{opened['number']} (community {opened['community_id']})"
    recounted = tally_ballots(
        opened["method"],
        tuple(opened["choices"]),
        [(selection, weight) for selection, weight, _ in trail.ballots.values()],
        quorum=opened["quorum"],
        threshold=opened["threshold"],
        eligible_power=trail.closed.get("eligible_power"),
        options=opened.get("options") or {},
        seed=trail.opened_hash,  # the opening entry's hash seeds the lots that break ties
    ).to_json()
    if dumps(recounted) == dumps(trail.closed):
        return None
    at = "" if line is None else f", closed at line {line}"
    return (
        f"{name}{at}: re-tallying the logged ballots gives {_brief(recounted)}, "
        f"but the published result is {_brief(trail.closed)}"
    )


async def check_entries(
    entries: AsyncIterable[LogEntry] | Iterable[LogEntry],
    *,
    checkpoints: Iterable[tuple[int, str]] = (),
    receipts: Iterable[str] = (),
) -> tuple[VerifyReport, dict[int, _Trail]]:
    """Walk entries in order: the chain, each closed proposal's re-tally, checkpoints."""
    walk = _Walk(VerifyReport(), dict(checkpoints), frozenset(r.lower() for r in receipts))
    try:
        if isinstance(entries, AsyncIterable):
            async for entry in entries:
                walk.feed(entry)
        else:
            for entry in entries:
                walk.feed(entry)
    except _Stop:
        return walk.report, walk.trails
    except BadLine as error:
        walk.report.problems.append(str(error))
        return walk.report, walk.trails
    last = walk.report.head[0]
    for index, digest in sorted(walk.checkpoints.items()):
        if index > last:
            walk.report.problems.append(
                f"checkpoint {digest}@{index} is past the end of the log (last entry {last}): "
                "the log is truncated, or older than the checkpoint"
            )
            break
    walk.receipts()
    return walk.report, walk.trails


async def _stored(storage: Storage) -> AsyncIterator[LogEntry]:
    async for entry, text in storage.audit.entries():
        yield from_stored(entry, text)


async def verify(storage: Storage) -> VerifyReport:
    """The database's log, then its working tables against the log."""
    report, trails = await check_entries(_stored(storage))
    if not report.ok:
        return report
    for trail in trails.values():
        problem = await _check_tables(storage, trail)
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
    results = {pid: t.closed for pid, t in trails.items() if t.closed is not None}
    report.seatings_checked, problem = await verify_councils(storage, results)
    if problem:
        report.problems.append(problem)
        return report
    report.role_states_checked, problem = await verify_roles(storage)
    if problem:
        report.problems.append(problem)
        return report
    report.draws_checked, problem = await verify_disputes(storage)
    if problem:
        report.problems.append(problem)
    return report


async def verify_file(
    lines: Iterable[str],
    *,
    checkpoints: Iterable[tuple[int, str]] = (),
    receipts: Iterable[str] = (),
) -> VerifyReport:
    """A downloaded log, with no database: chain, re-tallies, checkpoints, receipts."""
    report, _ = await check_entries(read_lines(lines), checkpoints=checkpoints, receipts=receipts)
    return report


async def _check_tables(storage: Storage, trail: _Trail) -> str | None:
    opened = trail.opened
    name = f"proposal #{opened['number']} (community {opened['community_id']})"
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


def parse_checkpoint(text: str) -> tuple[int, str]:
    """`HASH@INDEX` (as the checkpoint message shows it) → (index, hash)."""
    digest, at, index = text.strip().partition("@")
    digest = digest.lower()
    if not at or not index.isdigit() or len(digest) != 64 or not _is_hex(digest):
        raise ValueError(f"{text[:80]!r} is not HASH@INDEX (64 hex digits @ an entry number)")
    return int(index), digest


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdef" for c in text)


def _brief(result: dict[str, Any]) -> str:
    return json.dumps(
        {k: result.get(k) for k in ("outcome", "winner", "totals")}, ensure_ascii=False
    )
