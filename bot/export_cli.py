"""`govbot export <what> --format csv|json [--out FILE]`: the ledgers, for anyone to check.

`contributions` writes every ledger row: who credited whom (platform account and display
name), the kind, emoji, platform, channel and message id, weight, whether it counted
(and why not), when, and when it was retracted. Message text is never stored, so it is
never exported. Other exports (proposals, ballots, battles) register in EXPORTERS.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from bot.settings import Settings
from storage import Storage, open_storage

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
EXPORTERS: dict[str, tuple[Exporter, tuple[str, ...]]] = {
    "contributions": (contribution_rows, CONTRIBUTION_COLUMNS),
}


async def write_export(storage: Storage, what: str, fmt: str, out: TextIO) -> int:
    """Write one export to `out`; returns the number of rows."""
    rows, columns = EXPORTERS[what]
    count = 0
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\n")
        writer.writeheader()
        async for row in rows(storage):
            writer.writerow(row)
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
    export.add_argument("what", choices=sorted(EXPORTERS))
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
