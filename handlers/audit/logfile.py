"""The published audit log: one JSON object per line (README, "The log format").

A line carries everything needed to recompute its entry's hash without the database:

    {"index": 7, "prev": "<64 hex>", "hash": "<64 hex>", "at": "1800000000.0",
     "community": 1, "kind": "ballot.cast", "subject": "proposal:2",
     "payload": "{\\"member\\":3,…}"}

`payload` is the entry's canonical JSON *as text*, exactly the bytes that were hashed,
and `at` the exact text of the time that was hashed, so a verifier in any language
hashes strings and never re-formats a number. An entry whose content is sealed for now
(a ballot on a hidden-tally proposal that is still open, another community's entry)
has `"payload": null` and `"withheld": "<why>"`; its hash is given, and its links to
its neighbours still check.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from storage.records import AuditEntry

HEX64 = re.compile(r"^[0-9a-f]{64}$")
KEYS = ("index", "prev", "hash", "at", "community", "kind", "subject", "payload")


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One entry as the verifier sees it, from the database or from a line of a file."""

    index: int
    prev: str
    hash: str
    at: str  # the hashed text of the time (Python's repr of the stored float)
    community: int | None
    kind: str
    subject: str
    payload: str | None  # canonical JSON text; None when withheld
    withheld: str | None = None
    line: int | None = None  # the line of the file it came from

    @property
    def place(self) -> str:
        """How a problem names this entry: by line for a file, by index for the database."""
        if self.line is None:
            return f"audit entry {self.index} ({self.kind} {self.subject})"
        return f"line {self.line} (entry {self.index}, {self.kind} {self.subject})"


class BadLine(ValueError):
    """A line that is not a log entry; the message names the line."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line


def from_stored(entry: AuditEntry, text: str) -> LogEntry:
    return LogEntry(
        entry.seq,
        entry.prev_hash,
        entry.hash,
        repr(entry.at),
        entry.community_id,
        entry.kind,
        entry.subject,
        text,
    )


def withhold(entry: LogEntry, reason: str) -> LogEntry:
    return LogEntry(
        entry.index,
        entry.prev,
        entry.hash,
        entry.at,
        entry.community,
        entry.kind,
        entry.subject,
        None,
        reason,
    )


def to_line(entry: LogEntry) -> str:
    """The entry as one line of JSON (no newline inside, keys in the documented order)."""
    obj: dict[str, object] = {
        "index": entry.index,
        "prev": entry.prev,
        "hash": entry.hash,
        "at": entry.at,
        "community": entry.community,
        "kind": entry.kind,
        "subject": entry.subject,
        "payload": entry.payload,
    }
    if entry.withheld is not None:
        obj["withheld"] = entry.withheld
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def parse_line(text: str, line: int) -> LogEntry:
    """One line → LogEntry, or BadLine naming what is wrong with it."""
    try:
        obj = json.loads(text)
    except ValueError:
        raise BadLine(line, "not a JSON object (a truncated or edited line?)") from None
    if not isinstance(obj, dict):
        raise BadLine(line, "not a JSON object")
    missing = [k for k in KEYS if k not in obj]
    if missing:
        raise BadLine(line, f"missing {', '.join(missing)}")
    extra = set(obj) - set(KEYS) - {"withheld"}
    if extra:
        raise BadLine(line, f"unknown field {sorted(extra)[0]}")
    index = obj["index"]
    if not isinstance(index, int) or isinstance(index, bool) or index < 1:
        raise BadLine(line, "index must be a positive integer")
    for key in ("prev", "hash"):
        if not isinstance(obj[key], str) or not HEX64.match(obj[key]):
            raise BadLine(line, f"{key} must be 64 lowercase hex digits")
    for key in ("at", "kind", "subject"):
        if not isinstance(obj[key], str):
            raise BadLine(line, f"{key} must be a string")
    community = obj["community"]
    if community is not None and (not isinstance(community, int) or isinstance(community, bool)):
        raise BadLine(line, "community must be an integer or null")
    payload, withheld = obj["payload"], obj.get("withheld")
    if payload is None:
        if not isinstance(withheld, str):
            raise BadLine(line, "payload is null but the entry does not say why (withheld)")
    elif not isinstance(payload, str):
        raise BadLine(line, "payload must be the canonical JSON text (a string)")
    elif withheld is not None:
        raise BadLine(line, "an entry with a payload cannot be withheld")
    return LogEntry(
        index,
        obj["prev"],
        obj["hash"],
        obj["at"],
        community,
        obj["kind"],
        obj["subject"],
        payload,
        withheld,
        line,
    )


def read_lines(lines: Iterable[str]) -> Iterator[LogEntry]:
    """Parse a log file's lines in order; raises BadLine at the first bad one.

    Blank lines are not allowed between entries (a missing line must not hide); a
    single newline at the very end of the file is the usual ending.
    """
    blank: int | None = None
    for number, raw in enumerate(lines, 1):
        text = raw.rstrip("\n").rstrip("\r")
        if not text.strip():
            blank = blank or number
            continue
        if blank is not None:
            raise BadLine(blank, "an empty line inside the log")
        yield parse_line(text, number)
