"""A verifier written from the README's audit section alone, as an outsider would write one.

It imports nothing from govbot: it reads JSON lines, re-hashes each entry as the
document describes, checks the links, and re-counts the totals of closed single-choice
and approval proposals (the last ballot per member counts; a ballot adds its weight to
each chosen index). It answers the first bad line and why, or None.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

ZEROS = "0" * 64
FIELDS = {"index", "prev", "hash", "at", "community", "kind", "subject", "payload"}


def canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(line: dict[str, Any]) -> str:
    body = canonical(
        {
            "at": line["at"],
            "community": line["community"],
            "kind": line["kind"],
            "payload": line["payload"],
            "seq": line["index"],
            "subject": line["subject"],
        }
    )
    return hashlib.sha256(f"{line['prev']}\n{body}".encode()).hexdigest()


@dataclass
class Outcome:
    bad_line: int | None = None
    reason: str = ""
    entries: int = 0
    withheld: int = 0
    recounted: int = 0
    hashes: dict[int, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.bad_line is None


def check(text: str) -> Outcome:
    out = Outcome()
    prev, expected = ZEROS, 1
    opened: dict[int, dict[str, Any]] = {}
    ballots: dict[int, dict[int, dict[str, Any]]] = {}
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for number, raw in enumerate(lines, 1):

        def bad(reason: str, number: int = number) -> Outcome:
            out.bad_line, out.reason = number, reason
            return out

        try:
            line = json.loads(raw)
        except ValueError:
            return bad("not JSON")
        if not isinstance(line, dict) or not set(line) >= FIELDS:
            return bad("missing fields")
        if line["index"] != expected:
            return bad(f"index {line['index']}, expected {expected}")
        if line["prev"] != prev:
            return bad("prev is not the previous hash")
        if line["payload"] is None:
            if not line.get("withheld"):
                return bad("null payload without a reason")
            out.withheld += 1
        elif entry_hash(line) != line["hash"]:
            return bad("hash does not match")
        prev, expected = line["hash"], expected + 1
        out.entries += 1
        out.hashes[line["index"]] = line["hash"]
        if line["payload"] is None:
            continue
        payload = json.loads(line["payload"])
        kind = line["kind"]
        if kind == "proposal.opened":
            opened[payload["id"]] = payload
            ballots[payload["id"]] = {}
        elif kind == "ballot.cast" and payload["proposal"] in ballots:
            ballots[payload["proposal"]][payload["member"]] = payload
        elif kind == "proposal.closed" and payload["proposal"] in opened:
            rules = opened[payload["proposal"]]
            if rules["method"] not in ("single", "approval"):
                continue
            totals = [0.0] * len(rules["choices"])
            counted = ballots[payload["proposal"]].values()
            for ballot in counted:
                for index in ballot["selection"]:
                    totals[index] += ballot["weight"]
            result = payload["result"]
            if [float(t) for t in result["totals"]] != totals or result["voters"] != len(counted):
                return bad(f"recounted totals {totals} differ from {result['totals']}")
            out.recounted += 1
    return out
