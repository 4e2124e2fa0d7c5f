"""`govbot rewards export`: a closed epoch's payout file, the same bytes every time.

The lines are the epoch's paid rows plus the holds released into it, one per address;
the Safe batch's `createdAt` is the epoch's closing time, so an export can be
regenerated and compared byte for byte. Each export is an audit entry naming the
file's SHA-256.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from handlers.rewards.allocation import payout_lines
from handlers.rewards.payout_files import Line, csv_file, merkle_file, safe_batch
from handlers.rewards.policy import RewardsPolicy
from storage import Storage
from storage.repos.rewards import EpochRecord

FORMATS = ("csv", "safe", "merkle")


class ExportRefused(Exception):
    """The export cannot be made (the reason is the message); nothing was written."""


async def names(storage: Storage, keys: set[str]) -> dict[str, str]:
    found = await storage.members.names({int(k[2:]) for k in keys if k.startswith("m:")})
    out = {f"m:{i}": n for i, n in found.items()}
    out.update({k: k[2:] for k in keys if k.startswith("a:")})
    return out


async def lines_of(storage: Storage, epoch: EpochRecord) -> list[Line]:
    """(address, amount, member names) of the epoch's payout file, by address."""
    rows = await storage.rewards.allocations(epoch.id)
    paid = {
        "allocations": {
            r.recipient: {"amount": str(r.amount), "status": "paid", "address": r.address}
            for r in rows
            if r.status == "paid"
        }
    }
    released: list[dict[str, Any]] = [
        {"key": r.recipient, "amount": str(r.amount), "address": r.address}
        for r in await storage.rewards.released_into(epoch.id)
    ]
    keys = set(paid["allocations"]) | {h["key"] for h in released}
    found = await names(storage, keys)
    return [
        (address, amount, "; ".join(found.get(k, k) for k in recipients))
        for address, amount, recipients in payout_lines(paid, released)
    ]


async def find_epoch(storage: Storage, community_id: int | None, number: int) -> EpochRecord:
    if community_id is None:
        ids = sorted(
            {e.community_id for e in await storage.rewards.closed()}
            | {c for c in await storage.rewards.communities() if await storage.rewards.current(c)}
        )
        if len(ids) > 1:
            raise ExportRefused(
                f"epochs exist in communities {', '.join(map(str, ids))}: name one with --community"
            )
        community_id = ids[0] if ids else 0
    epoch = await storage.rewards.get(community_id, number)
    if epoch is None:
        raise ExportRefused(f"there is no epoch {number} in community {community_id}")
    if epoch.status != "closed":
        raise ExportRefused(f"epoch {number} is still open: close it first (/epoch close)")
    return epoch


def render(fmt: str, lines: list[Line], policy: RewardsPolicy, epoch: EpochRecord) -> str:
    if fmt == "csv":
        return csv_file(lines)
    if not lines:
        raise ExportRefused(f"epoch {epoch.number} pays nobody: there is nothing to export")
    if fmt == "safe":
        if policy.is_points:
            raise ExportRefused(
                "a Safe batch transfers an ERC-20 token: set rewards.token to its address"
            )
        batch = safe_batch(
            lines,
            token=policy.token,
            chain_id=policy.chain_id,
            safe_address=policy.safe_address,
            name=f"govbot epoch {epoch.number} payouts",
            description=(
                f"{len(lines)} {policy.symbol} transfers for reward epoch {epoch.number} "
                f"(community {epoch.community_id}); audit {epoch.result_hash}"
            ),
            created_at_ms=int((epoch.closed_at or 0) * 1000),
        )
        return json.dumps(batch, indent=2) + "\n"
    return json.dumps(merkle_file(lines), indent=2) + "\n"


async def export(
    storage: Storage,
    policy: RewardsPolicy,
    *,
    community_id: int | None,
    number: int,
    fmt: str,
    at: float,
) -> tuple[str, list[Line]]:
    """The file's text; the export is logged (refusals log nothing)."""
    if fmt not in FORMATS:
        raise ExportRefused(f"unknown format {fmt!r}: use {', '.join(FORMATS)}")
    epoch = await find_epoch(storage, community_id, number)
    for dispute in await storage.disputes.on_target(epoch.community_id, f"epoch:{epoch.id}"):
        if dispute.status != "closed":
            raise ExportRefused(
                f"epoch {number} is disputed ({dispute.ref}, {dispute.status}): "
                "export it once the ruling is final"
            )
    lines = await lines_of(storage, epoch)
    text = render(fmt, lines, policy, epoch)
    await storage.rewards.log_export(
        epoch,
        {
            "epoch": epoch.id,
            "number": epoch.number,
            "format": fmt,
            "lines": len(lines),
            "total": str(sum(amount for _, amount, _ in lines)),
            "sha256": hashlib.sha256(text.encode()).hexdigest(),
        },
        at=at,
    )
    return text, lines
