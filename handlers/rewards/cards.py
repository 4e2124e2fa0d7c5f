"""What /epoch, /payouts and the closing card say, and the explanation of one share."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from handlers.core.markup import bold, code
from handlers.rewards.allocation import POOL_ORDER, payout_lines, weights_of
from handlers.rewards.charts import epoch_chart
from handlers.rewards.policy import RewardsPolicy, show_units

TOP = 5


def when(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M UTC")


def time_left(seconds: float) -> str:
    if seconds <= 0:
        return "closing now"
    days, rest = divmod(int(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days} d {hours} h left"
    return f"{hours} h {minutes} min left" if hours else f"{minutes} min left"


def short(key: str, names: dict[str, str]) -> str:
    name = names.get(key, key)
    return name[:6] + "…" + name[-4:] if name.startswith("0x") and len(name) == 42 else name


def pools_line(policy: RewardsPolicy, result: dict[str, Any]) -> str:
    parts = [
        f"{pool} {policy.pools[pool]:g}% "
        f"({show_units(int(result['pools'][pool]), policy.decimals)})"
        for pool in POOL_ORDER
        if pool in result["pools"]
    ]
    return "Pools: " + " · ".join(parts)


def top_line(policy: RewardsPolicy, result: dict[str, Any], names: dict[str, str]) -> str:
    rows = sorted(result["allocations"].items(), key=lambda kv: (-int(kv[1]["amount"]), kv[0]))
    if not rows:
        return "Top: nobody has earned a share yet."
    shown = [
        f"{i}. {short(k, names)} {show_units(int(r['amount']), policy.decimals)}"
        for i, (k, r) in enumerate(rows[:TOP], 1)
    ]
    return "Top: " + " · ".join(shown)


def chart(
    path: Path, title: str, policy: RewardsPolicy, result: dict[str, Any], names: dict[str, str]
) -> str | None:
    rows = sorted(result["allocations"].items(), key=lambda kv: (-int(kv[1]["amount"]), kv[0]))
    if not rows:
        return None
    scale = 10**policy.decimals
    data = [
        (short(k, names), {p: int(a) / scale for p, a in r["parts"].items()}) for k, r in rows[:10]
    ]
    return str(epoch_chart(path, title, data, policy.symbol))


def _share(part: float, whole: float) -> str:
    return f"{part / whole:.1%}" if whole > 0 else "0%"


def explain(
    policy: RewardsPolicy,
    inputs: dict[str, Any],
    result: dict[str, Any],
    key: str,
) -> list[str]:
    """Why a recipient gets what they get: each pool's weight, their part, the rules."""
    row = result["allocations"].get(key)
    total = int(result["total"])
    show = policy.show
    lines: list[str] = []
    amount = int(row["amount"]) if row else 0
    lines.append(f"Your share: {bold(show(amount))} ({_share(amount, total)} of {show(total)})")
    parts = row["parts"] if row else {}
    for pool in POOL_ORDER:
        if pool not in result["pools"]:
            continue
        weights = weights_of(inputs, pool, int(result["pools"][pool]))
        mine, everyone = weights.get(key, 0.0), sum(weights.values())
        got = show(int(parts.get(pool, 0)))
        if pool == "contributors":
            c = inputs["contributors"]
            if c["policy"] == "balanced":
                life = c["lifetime"].get(key, 0.0)
                paid = show(int(c["paid"].get(key, 0)))
                why = (
                    f"lifetime reputation {life:.1f}, paid {paid} so far: underpaid by "
                    f"{mine / 10**policy.decimals:,.4g} of {everyone / 10**policy.decimals:,.4g}"
                    " (balanced)"
                )
            else:
                why = (
                    f"your reputation grew {mine:+.1f} of {everyone:+.1f} earned by everyone "
                    f"this epoch ({_share(mine, everyone)})"
                )
        elif pool == "raters":
            count = inputs["raters"]["ratings"].get(key, 0)
            quality = mine / count if count else 0.0
            why = (
                f"{count} ratings × quality {quality:.2f} = {mine:.1f} of {everyone:.1f} "
                f"({_share(mine, everyone)})"
            )
        else:
            owned = sorted(n for n, m in inputs["models"]["stats"].items() if m["owner"] == key)
            split = "share of wins" if inputs["models"]["split"] == "wins" else "softmax of ratings"
            why = (
                f"models {', '.join(owned)}: {split} {_share(mine, everyone)}"
                if owned
                else "you own no rated model"
            )
        lines.append(f"· {pool}: {why} → {got}")
    if key in result["capped"]:
        lines.append(f"· capped at the per-member maximum of {show(int(inputs['cap']))}")
    if key in result["dropped"]:
        lines.append(
            f"· below the minimum payout of {show(int(inputs['min']))}: "
            "your share went to the others this epoch"
        )
    if row and row["status"] == "held":
        lines.append(
            f"· no wallet linked: held for {inputs['hold_epochs']} epochs — /link to be paid"
        )
    elif row and row["status"] == "returned":
        lines.append("· no wallet linked: returned to the next epoch's pool — /link to be paid")
    elif row:
        lines.append(f"· paid to {row['address']}")
    return lines


def result_text(
    policy: RewardsPolicy,
    number: int,
    summary: dict[str, Any],
    result: dict[str, Any],
    released: list[dict[str, Any]],
    names: dict[str, str],
    audit_hash: str,
) -> str:
    show = policy.show
    held = sum(int(r["amount"]) for r in result["allocations"].values() if r["status"] == "held")
    holders = sum(1 for r in result["allocations"].values() if r["status"] == "held")
    allocated = int(summary["total"]) - int(summary["unallocated"])
    lines = [
        f"{bold(f'Epoch {number} closed')} · budget {show(int(summary['total']))} · "
        f"{show(allocated)} allocated to {summary['recipients']} recipients",
        pools_line(policy, result),
        f"Paid: {show(int(summary['payable_total']))} to {summary['paid_addresses']} wallets"
        + (f" (incl. {show(int(summary['released']))} held before)" if released else "")
        + (f" · held {show(held)} for {holders} without a wallet" if holders else "")
        + f" · carried to epoch {number + 1}: {show(int(summary['carry_out']))}",
        top_line(policy, result, names),
    ]
    if summary.get("amended_by"):
        lines.append(
            f"Amended by dispute {summary['amended_by']}: recomputed without the voided "
            "credits, same total"
        )
    if summary.get("root"):
        lines.append(f"Merkle root: {code(summary['root'])}")
    lines.append(f"Audit hash: {code(audit_hash)}")
    lines.append(f"Details: /payouts {number} · your amount and proof: /claim {number}")
    return "\n".join(lines)


def lines_of(
    result: dict[str, Any], released: list[dict[str, Any]], names: dict[str, str]
) -> list[tuple[str, int, str]]:
    """The payout lines with member names, as the files list them."""
    return [
        (address, amount, "; ".join(names.get(k, k) for k in keys))
        for address, amount, keys in payout_lines(result, released)
    ]
