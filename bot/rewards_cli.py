"""`govbot rewards export <epoch> --format csv|safe|merkle`: a closed epoch's payout file.

csv: address, amount (smallest unit), member; safe: a Safe Transaction Builder batch of
ERC-20 transfers; merkle: an OpenZeppelin StandardMerkleTree with every proof. A
refusal (an open epoch, no ERC-20 token for a Safe batch) exits 2 with the reason and
writes nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from bot.settings import Settings
from handlers.rewards.export import FORMATS, ExportRefused, export
from storage import open_storage


def add_parser(sub: Any) -> None:
    rewards = sub.add_parser("rewards", help="reward epochs: payout files")
    rewards_sub = rewards.add_subparsers(dest="rewards_command", required=True)
    exp = rewards_sub.add_parser("export", help="a closed epoch's payout file")
    exp.add_argument("epoch", type=int, help="the epoch's number")
    exp.add_argument("--format", choices=FORMATS, default="csv")
    exp.add_argument("--community", type=int, default=None, help="community id (if several)")
    exp.add_argument("--out", type=Path, default=None, help="file (default: stdout)")


async def rewards_command(args: argparse.Namespace, settings: Settings) -> int:
    storage = await open_storage(settings.database_url)
    try:
        text, lines = await export(
            storage,
            settings.rewards,
            community_id=args.community,
            number=args.epoch,
            fmt=args.format,
            at=time.time(),
        )
    except ExportRefused as refused:
        print(f"govbot: {refused}", file=sys.stderr)
        return 2
    finally:
        await storage.close()
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.write_text(text, encoding="utf-8")
    total = sum(amount for _, amount, _ in lines)
    print(f"exported epoch {args.epoch}: {len(lines)} payouts, {total} in total", file=sys.stderr)
    return 0
