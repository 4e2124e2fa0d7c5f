"""`make bench`: run every benchmark and print one table (never asserted in tests)."""

from __future__ import annotations

import importlib
import sys
import time
import traceback

from bench.common import Row

MODULES = (
    "bench.votes_bench",
    "bench.tally_bench",
    "bench.discord_bench",
    "bench.burst_bench",
    "bench.arena_bench",
    "bench.arena_style_bench",
    "bench.reputation_bench",
    "bench.wallets_bench",
    "bench.elections_bench",
    "bench.rewards_bench",
    "bench.audit_bench",
    "bench.integrity_bench",
    "bench.councils_bench",
    "bench.disputes_bench",
)


def main() -> int:
    rows: list[Row] = []
    failed = 0
    for name in MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name == name:
                continue
            raise
        started = time.perf_counter()
        print(f"[bench] {name} …", file=sys.stderr, flush=True)
        try:
            rows.extend(module.run())
            print(
                f"[bench] {name} done in {time.perf_counter() - started:.1f} s",
                file=sys.stderr,
                flush=True,
            )
        except Exception:
            failed += 1
            traceback.print_exc()
            rows.append(Row(f"{name} FAILED", float("nan"), "", "", "see the error above"))
    header = ["benchmark", "measured", "target", "anchor / note"]
    table = [header, *(row.cells() for row in rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for line in table[1:]:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) + " |")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
