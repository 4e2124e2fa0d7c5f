"""Re-check every closed epoch from the audit log (part of `govbot audit verify`).

A closing entry logs every input of the allocation; recomputing `allocate_epoch` from
them must give the logged result exactly, and the stored allocation rows, the epoch's
stored audit hash and the holds it settled must agree with the log. An amendment (an
upheld epoch dispute) is recomputed the same way from its own logged inputs, which
must keep the closing's budget, carry-in, pools, wallets and holds; the stored rows
must then match the last amendment. The first amount that differs is named.
"""

from __future__ import annotations

from typing import Any

from handlers.rewards.allocation import allocate_epoch
from handlers.rewards.amend import KEPT
from storage import Storage
from storage.records import dumps


def _first_difference(logged: dict[str, Any], recomputed: dict[str, Any]) -> str:
    rows, again = logged.get("allocations", {}), recomputed["allocations"]
    for key in sorted(set(rows) | set(again)):
        a = (rows.get(key) or {}).get("amount")
        b = (again.get(key) or {}).get("amount")
        if a != b:
            return f"{key} is logged with {a} but the inputs give {b}"
    for field in ("total", "pools", "unallocated", "carry_out", "payable_total"):
        if dumps(logged.get(field)) != dumps(recomputed[field]):
            return (
                f"{field} is logged as {logged.get(field)} but the inputs give {recomputed[field]}"
            )
    return "the logged result differs from the one its inputs give"


def _check_amendment(closing: dict[str, Any], amended: dict[str, Any]) -> str | None:
    """An amendment keeps the closing's budget, carry-in, pools, wallets and holds, and its
    logged result is what its logged inputs give."""
    inputs = amended["inputs"]
    for field in KEPT:
        if dumps(inputs.get(field)) != dumps(closing.get(field)):
            return f"its inputs change {field}, which an amendment keeps"
    recomputed = allocate_epoch(inputs)
    if dumps(recomputed) != dumps(amended["result"]):
        return _first_difference(amended["result"], recomputed)
    if recomputed["total"] != allocate_epoch(closing)["total"]:
        return "its total differs from the closing's"
    return None


async def verify_epochs(storage: Storage) -> tuple[int, str | None]:
    """(closed epochs checked, the first problem or None)."""
    closings: dict[int, tuple[dict[str, Any], str]] = {}
    amendments: dict[int, list[tuple[dict[str, Any], str]]] = {}
    async for entry, _ in storage.audit.entries():
        if entry.kind == "rewards.epoch.closed":
            closings[entry.payload["epoch"]] = (entry.payload, entry.hash)
        elif entry.kind == "rewards.epoch.amended":
            amendments.setdefault(entry.payload["epoch"], []).append((entry.payload, entry.hash))
    for epoch_id in amendments:
        if epoch_id not in closings:
            return 0, f"reward epoch id {epoch_id} is amended in the log but was never closed"
    checked = 0
    for epoch_id, (payload, digest) in sorted(closings.items()):
        name = f"reward epoch {payload['number']} (id {epoch_id})"
        inputs, logged = payload["inputs"], payload["result"]
        recomputed = allocate_epoch(inputs)
        if dumps(recomputed) != dumps(logged):
            return checked, f"{name}: {_first_difference(logged, recomputed)}"
        epoch = await storage.rewards.by_id(epoch_id)
        if epoch is None or epoch.status != "closed":
            return checked, f"{name}: closed in the audit log but not in the database"
        if epoch.result_hash != digest:
            return checked, f"{name}: the stored audit hash differs from the closing entry's"
        for amended, _ in amendments.get(epoch_id, []):
            problem = _check_amendment(inputs, amended)
            if problem:
                return checked, f"{name}, amended by dispute {amended['dispute_ref']}: {problem}"
            logged = amended["result"]
        if epoch_id in amendments:
            last, last_hash = amendments[epoch_id][-1]
            summary = epoch.summary or {}
            if (summary.get("amended_by"), summary.get("amended_hash")) != (
                last["dispute_ref"],
                last_hash,
            ):
                return checked, f"{name}: the stored epoch does not name its last amendment"
        elif (epoch.summary or {}).get("amended_by"):
            return checked, f"{name}: stored as amended, but the log has no amendment"
        rows = {r.recipient: r for r in await storage.rewards.allocations(epoch_id)}
        if set(rows) != set(logged["allocations"]):
            return checked, f"{name}: the stored allocation lists other recipients than the log"
        for key, row in logged["allocations"].items():
            stored = rows[key]
            parts = {p: int(a) for p, a in row["parts"].items()}
            if stored.amount != int(row["amount"]) or stored.parts != parts:
                return checked, (
                    f"{name}: {key} is stored with {stored.amount} but the log says {row['amount']}"
                )
            settled = stored.status in ("released", "returned") and row["status"] == "held"
            if stored.status != row["status"] and not settled:
                return (
                    checked,
                    f"{name}: {key} is stored as {stored.status}, logged {row['status']}",
                )
        for hold in inputs.get("released", []) + inputs.get("returned", []):
            held = await storage.rewards.allocations(hold["epoch"])
            match = next((r for r in held if r.recipient == hold["key"]), None)
            if match is None or match.amount != int(hold["amount"]):
                return checked, f"{name}: it settles a hold of {hold['key']} that was not held"
            if match.settled_in != epoch_id:
                return checked, f"{name}: the hold of {hold['key']} is stored as settled elsewhere"
        checked += 1
    for epoch in await storage.rewards.closed():
        if epoch.id not in closings:
            return checked, (
                f"reward epoch {epoch.number} (community {epoch.community_id}) is closed "
                "but the audit log has no closing entry for it"
            )
    return checked, None
