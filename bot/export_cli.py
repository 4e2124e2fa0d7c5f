"""`govbot export <ledger> --format csv|json [--out FILE]`: the ledgers, for anyone to check.

Each ledger is one entry in `LEDGERS`: a name, the query that yields its rows, and its
columns (documented in README, "Exported ledgers"). Adding a ledger is adding one entry.

* `proposals` — every proposal with its rules and, once closed, its published result.
* `ballots` — every counted ballot: proposal, voter (member number and display name),
  selection, weight, time, receipt, whether it was wallet-signed. Ballots of a
  hidden-tally proposal appear only after it closes.
* `battles` — every arena battle; the model names only once it is revealed.
* `contributions` — every reputation ledger row (message text is never stored).

Secrets are never read: no nonces, no signatures (only whether a ballot was signed), no
message text, no prompts or outputs. Times are ISO 8601 UTC. In CSV, list and object
cells are canonical JSON text.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from bot.settings import Settings
from storage import Storage, open_storage
from storage.records import dumps

CONTRIBUTION_COLUMNS = (
    "id",
    "community_id",
    "kind",
    "giver",
    "giver_name",
    "receiver",
    "receiver_name",
    "emoji",
    "platform",
    "channel_id",
    "message_id",
    "subject",
    "weight",
    "counted",
    "reason",
    "at",
    "retracted_at",
)


def _iso(value: float | None) -> str | None:
    return None if value is None else datetime.fromtimestamp(value, UTC).isoformat()


async def contribution_rows(storage: Storage) -> AsyncIterator[dict[str, Any]]:
    async for row in storage.contributions.export():
        giver = (
            f"{row['giver_platform']}:{row['giver_user']}" if row["giver_id"] is not None else None
        )
        yield {
            "id": row["id"],
            "community_id": row["community_id"],
            "kind": row["kind"],
            "giver": giver or "community",
            "giver_name": row["giver_name"],
            "receiver": f"{row['receiver_platform']}:{row['receiver_user']}",
            "receiver_name": row["receiver_name"],
            "emoji": row["emoji"],
            "platform": row["platform"],
            "channel_id": row["channel_id"],
            "message_id": row["message_id"],
            "subject": row["subject"],
            "weight": row["weight"],
            "counted": bool(row["counted"]),
            "reason": row["reason"],
            "at": _iso(row["at"]),
            "retracted_at": _iso(row["retracted_at"]),
        }


Exporter = Callable[[Storage], AsyncIterator[dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class Ledger:
    rows: Exporter
    columns: tuple[str, ...]
    help: str


PROPOSAL_COLUMNS = (
    "id",
    "community_id",
    "number",
    "title",
    "body",
    "choices",
    "method",
    "strategy",
    "quorum",
    "threshold",
    "hidden",
    "profile",
    "author_id",
    "status",
    "created_at",
    "ends_at",
    "closed_at",
    "eligible_power",
    "outcome",
    "winner",
    "totals",
    "voters",
    "total_power",
    "result_hash",
)


async def proposal_rows(storage: Storage) -> AsyncIterator[dict[str, Any]]:
    async for p in storage.public.all_proposals():
        result = p.result or {}
        winner = result.get("winner")
        yield {
            "id": p.id,
            "community_id": p.community_id,
            "number": p.number,
            "title": p.title,
            "body": p.body,
            "choices": list(p.choices),
            "method": p.method,
            "strategy": p.strategy,
            "quorum": p.quorum,
            "threshold": p.threshold,
            "hidden": p.hidden,
            "profile": p.profile,
            "author_id": p.author_id,
            "status": p.status,
            "created_at": _iso(p.created_at),
            "ends_at": _iso(p.ends_at),
            "closed_at": _iso(p.closed_at),
            "eligible_power": p.eligible_power,
            "outcome": result.get("outcome"),
            "winner": None if winner is None else p.choices[winner],
            "totals": result.get("totals"),
            "voters": result.get("voters"),
            "total_power": result.get("total_power"),
            "result_hash": p.result_hash,
        }


BALLOT_COLUMNS = (
    "proposal_id",
    "community_id",
    "number",
    "member_id",
    "voter_name",
    "selection",
    "weight",
    "cast_at",
    "receipt",
    "signed",
)


async def ballot_rows(storage: Storage) -> AsyncIterator[dict[str, Any]]:
    async for b in storage.public.all_ballots():
        if b["hidden"] and b["status"] == "open":
            continue  # sealed like the tally until the proposal closes
        yield {
            "proposal_id": b["proposal_id"],
            "community_id": b["community_id"],
            "number": b["number"],
            "member_id": b["member_id"],
            "voter_name": b["voter_name"],
            "selection": json.loads(b["selection"]),
            "weight": b["weight"],
            "cast_at": _iso(b["cast_at"]),
            "receipt": b["receipt"],
            "signed": b["signature"] is not None,
        }


BATTLE_COLUMNS = (
    "id",
    "community_id",
    "status",
    "model_a",
    "model_b",
    "author_id",
    "created_at",
    "reveal_at",
    "revealed_at",
    "ratings",
    "result",
)


async def battle_rows(storage: Storage) -> AsyncIterator[dict[str, Any]]:
    async for b in storage.public.all_battles():
        revealed = b["status"] == "revealed"
        yield b | {
            "model_a": b["model_a"] if revealed else None,  # blind until the reveal
            "model_b": b["model_b"] if revealed else None,
            "created_at": _iso(b["created_at"]),
            "reveal_at": _iso(b["reveal_at"]),
            "revealed_at": _iso(b["revealed_at"]),
        }


LEDGERS: dict[str, Ledger] = {
    "proposals": Ledger(proposal_rows, PROPOSAL_COLUMNS, "proposals and their results"),
    "ballots": Ledger(ballot_rows, BALLOT_COLUMNS, "counted ballots (hidden ones once closed)"),
    "battles": Ledger(battle_rows, BATTLE_COLUMNS, "arena battles (models once revealed)"),
    "contributions": Ledger(contribution_rows, CONTRIBUTION_COLUMNS, "the reputation ledger"),
}


def _cell(value: Any) -> Any:
    return dumps(value) if isinstance(value, list | dict) else value


async def write_export(storage: Storage, what: str, fmt: str, out: TextIO) -> int:
    """Write one export to `out`; returns the number of rows."""
    ledger = LEDGERS[what]
    rows, columns = ledger.rows, ledger.columns
    count = 0
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\n")
        writer.writeheader()
        async for row in rows(storage):
            writer.writerow({k: _cell(v) for k, v in row.items()})
            count += 1
        return count
    out.write("[")
    async for row in rows(storage):
        out.write(("\n" if count == 0 else ",\n") + json.dumps(row, ensure_ascii=False))
        count += 1
    out.write("\n]\n")
    return count


def add_parser(sub: Any) -> None:
    export = sub.add_parser("export", help="write a ledger as CSV or JSON")
    export.add_argument("what", choices=sorted(LEDGERS), help="which ledger")
    export.add_argument("--format", choices=("csv", "json"), default="csv")
    export.add_argument("--out", type=Path, default=None, help="file (default: stdout)")


async def export_command(args: argparse.Namespace, settings: Settings) -> int:
    storage = await open_storage(settings.database_url)
    try:
        if args.out is None:
            count = await write_export(storage, args.what, args.format, sys.stdout)
        else:
            with args.out.open("w", encoding="utf-8", newline="") as out:
                count = await write_export(storage, args.what, args.format, out)
    finally:
        await storage.close()
    print(f"exported {count} {args.what} rows", file=sys.stderr)
    return 0
