"""`govbot arena leaderboard | import | export`: the arena from the command line.

Battle files use FastChat's format, one JSON object per line (`model_a`, `model_b`,
`winner` ∈ model_a | model_b | tie | tie (bothbad), `judge`, `tstamp`, and the style
counts in `conv_metadata` and the categories in `category_tag`), so results from other
arenas can be ranked with ours and ours with theirs. Export writes the battles the
leaderboard counts (no leaked battles, no too-fast ratings, no gold battles).
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
from handlers.arena import bt, categories
from handlers.arena.battles import BattleRow, counts_of, parse_battle
from handlers.arena.board import board_text, stored_rows
from handlers.arena.fair import FairBoard, board_note, counts_for_models, fit_board, from_rows
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
    board.add_argument(
        "--style",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="style control on (--style) or off (--no-style); default: arena.style_control",
    )
    board.add_argument("--category", help="only battles carrying this category")
    imp = arena_sub.add_parser("import", help="queue pre-generated prompt/output pairs")
    imp.add_argument(
        "file",
        type=Path,
        help=f".jsonl with {', '.join(PAIR_FIELDS)} (optional: categories, category_tag, gold)",
    )
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
        given = record.get("categories", [])
        if not isinstance(given, list) or not all(
            isinstance(c, str) and categories.NAME.fullmatch(c) for c in given
        ):
            raise ValueError(f"line {number}: categories must be a list of lower-case names")
        gold = record.get("gold")
        if gold is not None and gold not in (model_a, model_b):
            raise ValueError(f"line {number}: gold must name model_a or model_b")
        tagged = categories.from_category_tag(record.get("category_tag"))
        pairs.append(
            QueuedPair(
                prompt,
                model_a,
                output_a,
                model_b,
                output_b,
                source=path.name[:400],
                categories=tuple(sorted(set(given) | set(tagged))),
                gold=gold,
            )
        )
    return pairs


def _anchor(text: str | None) -> tuple[str, float] | None:
    if not text:
        return None
    name, _, value = text.rpartition("=")
    if not name:
        raise ValueError("--anchor takes MODEL=VALUE")
    return name, float(value)


def print_board(
    standings: list[bt.Standing], as_json: bool, out: TextIO, board: FairBoard | None = None
) -> None:
    if board is not None and board.too_few:
        out.write(f"category {board.category}: {board.category_battles} battles, too few to rank\n")
    elif as_json:
        json.dump([s.as_dict() for s in standings], out, indent=1)
        out.write("\n")
    elif standings:
        out.write(board_text(standings) + "\n")
        if board is not None:
            out.write(board_note(board) + "\n")
    else:
        out.write("No battles to rate yet.\n")


async def arena_command(args: argparse.Namespace, settings: Settings) -> int:
    rules = settings.arena
    try:
        if args.arena_command == "leaderboard":
            rounds = rules.bootstrap_rounds if args.rounds is None else args.rounds
            minimum = rules.min_battles if args.min_battles is None else args.min_battles
            anchor = _anchor(args.anchor)
            policy = rules.policy()
            if args.category is not None and args.category not in policy.categories:
                raise ValueError(
                    f"unknown category {args.category!r}; known: {', '.join(policy.categories)}"
                )
            board: FairBoard | None = None
            if args.battles is not None and args.fastchat:
                counts = counts_of(read_battles(args.battles))
                standings = bt.leaderboard(
                    counts, rounds=rounds, min_battles=minimum, anchor=anchor, method="fastchat"
                )
            else:
                if args.battles is not None:
                    rated = from_rows(read_battles(args.battles))
                else:
                    storage = await open_storage(settings.database_url)
                    try:
                        rated = await storage.arena.rated(None)
                    finally:
                        await storage.close()
                board = fit_board(
                    rated,
                    policy,
                    style_requested=args.style,
                    category=args.category,
                    rounds=rounds,
                    min_battles=minimum,
                    anchor=anchor,
                )
                standings = board.standings
            print_board(standings, args.json, sys.stdout, board)
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
                every, rated = await stored_rows(storage, None)
            finally:
                await storage.close()
            policy = rules.policy()
            rows = [
                BattleRow(**(vars(r) | {"known": tuple(policy.categories)}))
                for r, k in zip(every, rated, strict=True)
                if counts_for_models(k, policy)
            ]
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
