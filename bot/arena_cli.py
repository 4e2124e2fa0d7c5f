"""`govbot arena leaderboard | import | export`: the arena from the command line.

Battle files use FastChat's format, one JSON object per line (`model_a`, `model_b`,
`winner` ∈ model_a | model_b | tie | tie (bothbad), `judge`, `tstamp`), so results from
other arenas can be ranked with ours and ours with theirs.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from bot.settings import Settings
from handlers.arena import bt
from handlers.arena.battles import BattleRow, counts_of, parse_battle
from handlers.arena.board import board_text, stored_leaderboard, stored_rows
from storage import open_storage
from storage.repos.arena import QueuedPair

PAIR_FIELDS = ("prompt", "model_a", "output_a", "model_b", "output_b")


def add_parser(sub: Any) -> None:
    arena = sub.add_parser("arena", help="arena leaderboard, import and export")
    arena_sub = arena.add_subparsers(dest="arena_command", required=True)
    board = arena_sub.add_parser("leaderboard", help="Bradley–Terry leaderboard")
    board.add_argument("--battles", type=Path, help="a FastChat battles .jsonl instead of the DB")
    board.add_argument("--json", action="store_true", help="print JSON objects")
    board.add_argument("--rounds", type=int, default=None, help="bootstrap rounds")
    board.add_argument("--min-battles", type=int, default=None)
    board.add_argument("--anchor", help="MODEL=VALUE, e.g. mixtral-8x7b-instruct-v0.1=1114")
    board.add_argument(
        "--fastchat", action="store_true", help="FastChat's optimiser and stopping rule"
    )
    imp = arena_sub.add_parser("import", help="queue pre-generated prompt/output pairs")
    imp.add_argument("file", type=Path, help=f".jsonl with {', '.join(PAIR_FIELDS)}")
    exp = arena_sub.add_parser("export", help="every rating as FastChat battles (.jsonl)")
    exp.add_argument("--out", type=Path, help="write here instead of standard output")


def json_objects(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line of a JSONL file; a bad line is named."""
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                raise ValueError(f"line {number}: not JSON") from None
            if not isinstance(record, dict):
                raise ValueError(f"line {number}: expected a JSON object")
            yield number, record


def read_battles(path: Path) -> list[BattleRow]:
    return [parse_battle(record, number) for number, record in json_objects(path)]


def read_pairs(path: Path) -> list[QueuedPair]:
    pairs = []
    for number, record in json_objects(path):
        values = [record.get(f) for f in PAIR_FIELDS]
        if not all(isinstance(v, str) and v.strip() for v in values):
            raise ValueError(f"line {number}: needs non-empty {', '.join(PAIR_FIELDS)}")
        if record["model_a"] == record["model_b"]:
            raise ValueError(f"line {number}: model_a and model_b are the same model")
        prompt, model_a, output_a, model_b, output_b = (str(v) for v in values)
        pairs.append(
            QueuedPair(prompt, model_a, output_a, model_b, output_b, source=path.name[:400])
        )
    return pairs


def _anchor(text: str | None) -> tuple[str, float] | None:
    if not text:
        return None
    name, _, value = text.rpartition("=")
    if not name:
        raise ValueError("--anchor takes MODEL=VALUE")
    return name, float(value)


def print_board(standings: list[bt.Standing], as_json: bool, out: TextIO) -> None:
    if as_json:
        json.dump([s.as_dict() for s in standings], out, indent=1)
        out.write("\n")
    elif standings:
        out.write(board_text(standings) + "\n")
    else:
        out.write("No battles to rate yet.\n")


async def arena_command(args: argparse.Namespace, settings: Settings) -> int:
    rules = settings.arena
    try:
        if args.arena_command == "leaderboard":
            rounds = rules.bootstrap_rounds if args.rounds is None else args.rounds
            minimum = rules.min_battles if args.min_battles is None else args.min_battles
            anchor = _anchor(args.anchor)
            if args.battles is not None:
                counts = counts_of(read_battles(args.battles))
                standings = bt.leaderboard(
                    counts,
                    rounds=rounds,
                    min_battles=minimum,
                    anchor=anchor,
                    method="fastchat" if args.fastchat else "newton",
                )
            else:
                storage = await open_storage(settings.database_url)
                try:
                    standings = await stored_leaderboard(
                        storage,
                        None,
                        rounds=rounds,
                        min_battles=minimum,
                        weighted=rules.weight_by_quality,
                    )
                finally:
                    await storage.close()
            print_board(standings, args.json, sys.stdout)
            return 0
        if args.arena_command == "import":
            pairs = read_pairs(args.file)
            storage = await open_storage(settings.database_url)
            try:
                added = await storage.arena.enqueue(pairs, at=time.time())
                waiting = await storage.arena.queued_count()
            finally:
                await storage.close()
            print(f"queued {added} pairs from {args.file.name}; {waiting} waiting for /arena")
            return 0
        if args.arena_command == "export":
            storage = await open_storage(settings.database_url)
            try:
                rows, _ = await stored_rows(storage, None)
            finally:
                await storage.close()
            lines = "".join(json.dumps(r.as_dict(), ensure_ascii=False) + "\n" for r in rows)
            if args.out is not None:
                args.out.write_text(lines, encoding="utf-8")
                print(f"wrote {len(rows)} battles to {args.out}", file=sys.stderr)
            else:
                sys.stdout.write(lines)
            return 0
    except (OSError, ValueError) as error:
        print(f"govbot arena: {error}", file=sys.stderr)
        return 2
    return 2
