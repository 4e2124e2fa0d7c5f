"""`govbot audit verify|export`: check the log (from the database or a file), publish it.

* `govbot audit verify` — the database's chain, every closed proposal re-tallied, and
  the working tables against the log.
* `govbot audit verify --log FILE [--checkpoint HASH@INDEX]… [--receipt HASH]…` — a
  downloaded log with no database: the chain, the re-tallies, each checkpoint copied
  from chat, each receipt looked up. `-` reads standard input.
* `govbot audit export [--since N] [--community ID|KEY] [--out FILE]` — the log as JSON
  lines, exactly as `/c/<community>/audit.jsonl` serves it (sealed payloads withheld).

Exit 0 only when everything checks out; 1 with the first problem (naming the line of
the file, or the entry); 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from bot.settings import Settings
from handlers.audit.logfile import to_line
from handlers.audit.publish import published
from handlers.audit.verify import Receipt, VerifyReport, parse_checkpoint, verify, verify_file
from storage import open_storage


def add_parser(sub: Any) -> None:
    audit = sub.add_parser("audit", help="audit log tools")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    check = audit_sub.add_parser("verify", help="re-check the hash chain and re-tally every result")
    check.add_argument(
        "--log", type=str, default=None, help="a downloaded log (JSON lines; - for stdin)"
    )
    check.add_argument(
        "--checkpoint",
        action="append",
        default=[],
        metavar="HASH@INDEX",
        help="a checkpoint copied from chat (repeatable; needs --log)",
    )
    check.add_argument(
        "--receipt",
        action="append",
        default=[],
        metavar="HASH",
        help="a ballot receipt to find in the log (repeatable; needs --log)",
    )
    export = audit_sub.add_parser("export", help="write the audit log as JSON lines")
    export.add_argument("--since", type=int, default=0, help="only entries after this index")
    export.add_argument(
        "--community", default=None, help="as that community's page publishes it (id or key)"
    )
    export.add_argument("--out", type=Path, default=None, help="file (default: stdout)")


async def audit_command(args: argparse.Namespace, settings: Settings) -> int:
    if args.audit_command == "export":
        return await export_command(args, settings)
    if args.log is None:
        if args.checkpoint or args.receipt:
            print("govbot: --checkpoint and --receipt check a downloaded log: add --log FILE")
            return 2
        return await verify_command(settings)
    return await verify_log_command(args.log, args.checkpoint, args.receipt)


async def verify_command(settings: Settings) -> int:
    storage = await open_storage(settings.database_url)
    try:
        report = await verify(storage)
    finally:
        await storage.close()
    if report.ok:
        print(
            f"audit OK: {report.entries} entries chained, "
            f"{report.proposals_checked} closed proposals re-tallied and matching, "
            f"{report.epochs_checked} reward epochs recomputed and matching"
            + (
                f", {report.seatings_checked} council seats matching their elections"
                if report.seatings_checked
                else ""
            )
            + (
                f", {report.draws_checked} dispute "
                f"{'jury' if report.draws_checked == 1 else 'juries'} re-drawn and rulings matching"
                if report.draws_checked
                else ""
            )
            + (
                f", {report.role_states_checked} role states matching their audit entries"
                if report.role_states_checked
                else ""
            )
        )
        return 0
    print(f"audit FAILED after {report.entries} good entries: {report.problems[0]}")
    return 1


def _lines(stream: TextIO) -> Iterator[str]:
    yield from stream


async def verify_log_command(path: str, checkpoints: list[str], receipts: list[str]) -> int:
    try:
        anchors = [parse_checkpoint(text) for text in checkpoints]
    except ValueError as error:
        print(f"govbot: --checkpoint {error}")
        return 2
    wanted = [r.strip().lower() for r in receipts]
    if path == "-":
        report = await verify_file(_lines(sys.stdin), checkpoints=anchors, receipts=wanted)
    else:
        try:
            stream = open(path, encoding="utf-8", newline="")  # noqa: SIM115 - closed below
        except OSError as error:
            print(f"govbot: cannot read {path}: {error.strerror}")
            return 2
        try:
            report = await verify_file(_lines(stream), checkpoints=anchors, receipts=wanted)
        except UnicodeDecodeError:
            report = VerifyReport(problems=["the file is not UTF-8 text"])
        finally:
            stream.close()
    return _print_file_report(report, wanted)


def _print_file_report(report: VerifyReport, wanted: list[str]) -> int:
    if not report.ok:
        print(f"log FAILED after {report.entries} good entries: {report.problems[0]}")
        return 1
    index, digest = report.head
    withheld = (
        f", {report.withheld} withheld (sealed for now: their links checked, content later)"
        if report.withheld
        else ""
    )
    print(
        f"log OK: {report.entries} entries chained{withheld}, "
        f"{report.proposals_checked} closed proposals re-tallied and matching; "
        f"head {digest}@{index}"
    )
    if report.checkpoints_matched:
        print(f"checkpoints: {report.checkpoints_matched} matching")
    missing = 0
    for receipt in wanted:
        found = report.receipts.get(receipt)
        if found is None:
            print(f"receipt {receipt}: NOT in the log")
            missing += 1
        else:
            print(_receipt_line(found))
    return 1 if missing else 0


RECEIPT_STATUS = {
    "counted": "the ballot that counted in the result",
    "open": "the voter's current ballot; the proposal is still open",
    "replaced": "replaced by a later ballot of the same voter",
    "withheld": "sealed until the proposal closes (hidden tally)",
}


def _receipt_line(receipt: Receipt) -> str:
    name = f"proposal #{receipt.number}" if receipt.number is not None else "a proposal"
    where = f"entry {receipt.index}" + (f" (line {receipt.line})" if receipt.line else "")
    return (
        f"receipt {receipt.hash}: {where}, a ballot on {name} (community {receipt.community}): "
        f"{RECEIPT_STATUS[receipt.status]}"
    )


async def export_command(args: argparse.Namespace, settings: Settings) -> int:
    if args.since < 0:
        print("govbot: --since must be an entry index ≥ 0", file=sys.stderr)
        return 2
    storage = await open_storage(settings.database_url)
    try:
        community_id = None
        if args.community is not None:
            community = await storage.public.community(str(args.community))
            if community is None:
                print(f"govbot: no community {args.community!r}", file=sys.stderr)
                return 2
            community_id = community.id
        out = sys.stdout if args.out is None else args.out.open("w", encoding="utf-8")
        count = 0
        try:
            async for entry in published(storage, community_id=community_id, since=args.since):
                out.write(to_line(entry) + "\n")
                count += 1
        finally:
            if args.out is not None:
                out.close()
    finally:
        await storage.close()
    print(f"exported {count} audit entries", file=sys.stderr)
    return 0
