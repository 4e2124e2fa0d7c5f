"""/epoch, /payouts, /claim, /praise and /credit.

/epoch shows the running epoch with everyone's projected share (the allocation closing
now would make, from the current reputation snapshot) and explains yours; /epoch close
lets an admin close it now. /praise and /credit are contribution credits of their own
kinds (`praise`, `grant`), made by the reputation ledger's own rules (no self-credit,
the daily cap, the giver's standing), with the reason kept beside them.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from typing import Any

from handlers.communities.fanout import copies_elsewhere
from handlers.communities.identity import voter_of
from handlers.core.context import Context
from handlers.core.deps import Deps
from handlers.core.errors import BadArguments, NotAllowed, NotFound
from handlers.core.markup import block, bold, code
from handlers.core.registry import Param, Registry
from handlers.core.types import Reply, Where
from handlers.reputation.ledger import Place, member_credit
from handlers.rewards import cards
from handlers.rewards.epochs import (
    close_epoch,
    ensure_open,
    gather,
    names_of,
    projection,
    service_of,
    where_of,
)
from handlers.rewards.export import lines_of
from handlers.rewards.merkle import MerkleTree
from handlers.rewards.policy import RewardsPolicy
from storage.records import MemberRecord
from storage.repos.rewards import AllocationRow, EpochRecord

COMMANDS = Registry()
REASONS = {
    "young_account": "your account is younger than the minimum age",
    "daily_cap": "today's limit of credits to this member is reached",
}


def _policy(deps: Deps) -> RewardsPolicy:
    return deps.rewards.policy


def _check_enabled(deps: Deps) -> None:
    if not _policy(deps).enabled:
        raise NotAllowed("Rewards are switched off here (rewards.enabled).")


async def find_member(ctx: Context, name: str, usage: str) -> MemberRecord:
    community = await ctx.community()
    wanted = name.strip().lstrip("@")
    members = ctx.deps.storage.members
    found = await members.member_by_account(
        community.id, ctx.actor.platform, wanted
    ) or await members.find_by_name(community.id, wanted)
    if found is None:
        raise NotFound(f'No member called "{wanted[:40]}" here yet.', usage=usage)
    return found


# ----- stored epochs -----------------------------------------------------------------------
def stored_result(epoch: EpochRecord, rows: list[AllocationRow]) -> dict[str, Any]:
    """A closed epoch's allocation rebuilt from its rows (statuses as they are now)."""
    summary = epoch.summary or {}
    return {
        "total": summary.get("total", "0"),
        "pools": summary.get("pools", {}),
        "allocations": {
            r.recipient: {
                "amount": str(r.amount),
                "parts": {p: str(a) for p, a in r.parts.items()},
                "status": r.status,
                "address": r.address,
            }
            for r in rows
        },
        "capped": [],
        "dropped": [],
    }


async def result_card(deps: Deps, epoch: EpochRecord) -> Reply:
    policy = _policy(deps)
    rows = await deps.storage.rewards.allocations(epoch.id)
    released = await deps.storage.rewards.released_into(epoch.id)
    result = stored_result(epoch, rows)
    names = await names_of(deps, set(result["allocations"]))
    text = cards.result_text(
        policy,
        epoch.number,
        epoch.summary or {},
        result,
        [{"key": r.recipient} for r in released],
        names,
        epoch.result_hash or "",
    )
    path = deps.charts_dir / f"epoch-{epoch.community_id}-{epoch.number}.png"
    image = cards.chart(path, f"Epoch {epoch.number}: allocation", policy, result, names)
    return Reply(
        text,
        image=image,
        title=f"Epoch {epoch.number} closed",
        meta={"epoch": epoch.number, "audit_hash": epoch.result_hash, "summary": epoch.summary},
    )


async def announce(deps: Deps, epoch: EpochRecord) -> list[Reply]:
    """The result card where the epoch lives, posted by one process only."""
    if not await deps.storage.rewards.claim_announcement(epoch.id):
        return []
    card = await result_card(deps, epoch)
    places: list[Where] = []
    if epoch.place:
        places.append(where_of(epoch.place))
    mapped = deps.communities.mapped.get(epoch.community_id)
    if mapped is not None:
        places += [p for p in mapped.places if p.platform not in {w.platform for w in places}]
    return [Reply(card.text, image=card.image, title=card.title, where=w) for w in places]


# ----- /epoch -------------------------------------------------------------------------------
@COMMANDS.command(
    "epoch",
    "the running reward epoch: budget, pools, time left, top earners, your projected share",
    "/epoch [close]",
    Param("action", str, 'only "close" (admins: close the epoch now)', required=False),
)
async def epoch(ctx: Context, args: dict[str, Any]) -> list[Reply]:
    _check_enabled(ctx.deps)
    action = (args["action"] or "").lower()
    if action not in ("", "close"):
        raise BadArguments(f'Unknown action "{action[:20]}".', usage="/epoch [close]")
    if action == "close":
        return await _close_now(ctx)
    deps, policy = ctx.deps, _policy(ctx.deps)
    community = await ctx.community()
    running = await ensure_open(deps, community, place=ctx.event.where)
    gathered = await gather(deps, community, running, closing=False)
    held = await deps.storage.rewards.held(community.id)
    closing = projection(gathered, running, held)
    result, inputs = closing.result, closing.inputs
    me = await voter_of(deps, await ctx.member())
    key = f"m:{me.id}"
    now = ctx.now()
    ends = (
        f"{cards.time_left(running.ends_at - now)} (closes {cards.when(running.ends_at)})"
        if running.ends_at is not None
        else "closes when an admin runs /epoch close"
    )
    carry = int(inputs["carry_in"])
    budget = policy.show(policy.budget_units) + (
        f" + {cards.show_units(carry, policy.decimals)} carried in" if carry else ""
    )
    lines = [
        f"{bold(f'Epoch {running.number}')} · running since {cards.when(running.starts_at)} · "
        f"{ends}",
        f"Budget: {budget} · {policy.schedule}",
        cards.pools_line(policy, result),
        cards.top_line(policy, result, gathered.names),
        *cards.explain(policy, inputs, result, key),
        "A projection from the current reputation and ratings: it moves until the epoch closes.",
    ]
    path = deps.charts_dir / f"epoch-{community.id}-{running.number}-projected.png"
    image = cards.chart(path, f"Epoch {running.number}: projected", policy, result, gathered.names)
    meta = {
        "epoch": running.number,
        "projected": result["allocations"].get(key, {}).get("amount", "0"),
        "result": result,
    }
    return [Reply("\n".join(lines), image=image, meta=meta)]


async def _close_now(ctx: Context) -> list[Reply]:
    if not ctx.is_admin:
        raise NotAllowed("Only admins can close an epoch (/epoch close).", usage="/epoch [close]")
    deps = ctx.deps
    community = await ctx.community()
    running = await ensure_open(deps, community, place=ctx.event.where)
    me = await ctx.member()
    done = await close_epoch(deps, running, by=me.id)
    if done is None:
        raise NotFound(f"Epoch {running.number} was closed a moment ago.")
    closed, _ = done
    if not await deps.storage.rewards.claim_announcement(closed.id):
        return []
    card = await result_card(deps, closed)
    return [card, *copies_elsewhere(deps, community.id, ctx.event.where, card)]


# ----- /payouts and /claim --------------------------------------------------------------------
async def _closed_epoch(ctx: Context, number: int | None, usage: str) -> EpochRecord:
    community = await ctx.community()
    repo = ctx.deps.storage.rewards
    if number is None:
        found = await repo.latest_closed(community.id)
        if found is None:
            raise NotFound("No epoch has closed here yet: see /epoch.", usage=usage)
        return found
    found = await repo.get(community.id, number)
    if found is None:
        raise NotFound(f"There is no epoch {number} here.", usage=usage)
    if found.status != "closed":
        raise NotFound(f"Epoch {number} is still running: see /epoch.", usage=usage)
    return found


@COMMANDS.command(
    "payouts",
    "a closed epoch's allocation: who gets what, from which pool, paid or held",
    "/payouts [epoch]",
    Param("epoch", int, "the epoch's number (default: the last closed)", required=False),
)
async def payouts(ctx: Context, args: dict[str, Any]) -> list[Reply]:
    _check_enabled(ctx.deps)
    deps, policy = ctx.deps, _policy(ctx.deps)
    found = await _closed_epoch(ctx, args["epoch"], "/payouts [epoch]")
    rows = await deps.storage.rewards.allocations(found.id)
    result = stored_result(found, rows)
    names = await names_of(deps, set(result["allocations"]))
    summary = found.summary or {}
    status = {"paid": "paid", "held": "held (no wallet yet)", "returned": "returned to the pool"}
    lines = [
        f"{bold(f'Epoch {found.number}')} · closed {cards.when(found.closed_at or 0)} · "
        f"budget {policy.show(int(summary.get('total', 0)))} · "
        f"{policy.show(sum(r.amount for r in rows))} to {len(rows)} recipients",
        cards.pools_line(policy, result),
    ]
    if summary.get("amended_by"):
        lines.append(f"Amended by dispute {summary['amended_by']} (without the voided credits)")
    ordered = sorted(rows, key=lambda r: (-r.amount, r.recipient))
    for i, row in enumerate(ordered[:20], 1):
        parts = " + ".join(
            f"{p} {cards.show_units(a, policy.decimals)}" for p, a in row.parts.items()
        )
        state = (
            f"paid with epoch {row.settled_in}" if row.status == "released" else status[row.status]
        )
        lines.append(
            f"{i}. {cards.short(row.recipient, names)} {policy.show(row.amount)} "
            f"({parts}) · {state}"
        )
    if len(rows) > 20:
        lines.append(f"… and {len(rows) - 20} more: govbot rewards export {found.number}")
    lines.append(f"Audit hash: {code(found.result_hash or '')}")
    path = deps.charts_dir / f"epoch-{found.community_id}-{found.number}.png"
    image = cards.chart(path, f"Epoch {found.number}: allocation", policy, result, names)
    return [Reply("\n".join(lines), image=image, meta={"epoch": found.number})]


@COMMANDS.command(
    "claim",
    "your amount in a closed epoch and its Merkle proof (for the distributor contract)",
    "/claim [epoch]",
    Param("epoch", int, "the epoch's number (default: the last closed)", required=False),
    private=True,
)
async def claim(ctx: Context, args: dict[str, Any]) -> list[Reply]:
    _check_enabled(ctx.deps)
    deps, policy = ctx.deps, _policy(ctx.deps)
    found = await _closed_epoch(ctx, args["epoch"], "/claim [epoch]")
    me = await voter_of(deps, await ctx.member())
    key = f"m:{me.id}"
    rows = {r.recipient: r for r in await deps.storage.rewards.allocations(found.id)}
    released = [r for r in await deps.storage.rewards.released_into(found.id) if r.recipient == key]
    lines = await lines_of(deps.storage, found)
    mine = rows.get(key)
    addresses = {r.address for r in released} | ({mine.address} if mine and mine.address else set())
    index = next((i for i, line in enumerate(lines) if line[0] in addresses), None)
    if index is None:
        if mine is not None and mine.status == "held":
            return [
                Reply(
                    f"Epoch {found.number}: {policy.show(mine.amount)} is held for you until you "
                    f"link a wallet (/link) — for {policy.hold_epochs} epochs.",
                    private=True,
                    meta={"amount": str(mine.amount), "status": "held"},
                )
            ]
        raise NotFound(
            f"You have nothing to claim from epoch {found.number}.", usage="/claim [epoch]"
        )
    tree = MerkleTree.of([(a, n) for a, n, _ in lines])
    address, amount, _ = lines[index]
    proof = tree.proof(index)
    text = "\n".join(
        [
            f"Epoch {found.number}: {bold(policy.show(amount))} to {code(address)}",
            f"Amount in the token's smallest unit: {code(str(amount))}",
            f"Merkle root: {code(tree.root)}",
            "Proof (claim(account, amount, proof) on the distributor):",
            block(json.dumps(proof, indent=1)),
        ]
    )
    meta = {"address": address, "amount": str(amount), "proof": proof, "root": tree.root}
    return [Reply(text, private=True, meta=meta)]


# ----- /praise and /credit --------------------------------------------------------------------
async def _acknowledge(
    ctx: Context, kind: str, name: str, points: float, reason: str, usage: str
) -> list[Reply]:
    deps = ctx.deps
    rep_service = service_of(deps)
    community = await ctx.community()
    rep_policy = rep_service.policy_for(community)
    if not rep_policy.enabled:
        raise NotAllowed("Contributions are not logged here (reputation.enabled).")
    giver = await ctx.member()
    receiver = await find_member(ctx, name, usage)
    if (await voter_of(deps, giver)).id == (await voter_of(deps, receiver)).id:
        raise NotAllowed("You can't credit yourself.", usage=usage)
    if not reason.strip():
        raise BadArguments("Missing <reason>: say what it is for.", usage=usage)
    await rep_service.note_actor(giver, ctx.actor, rep_policy)
    where = ctx.event.where
    at = ctx.now()
    credit = member_credit(
        rep_policy,
        kind,
        giver,
        receiver,
        Place(where.platform, where.channel_id, None),
        at,
        giver_created=ctx.actor.account_created,
    )
    if kind == "grant":
        credit = replace(credit, weight=credit.weight * points)
    outcome = await rep_service.record(credit)
    await deps.storage.rewards.acknowledge(
        community_id=community.id,
        contribution_id=outcome.id,
        kind=kind,
        giver_id=giver.id,
        receiver_id=receiver.id,
        points=points,
        reason=reason.strip(),
        counted=outcome.counted,
        at=at,
    )
    what = "Praised" if kind == "praise" else f"Granted {points:g} points to"
    text = f"{what} {receiver.display_name}: “{reason.strip()}”"
    if not outcome.counted:
        text += (
            f" It is logged but not counted: {REASONS.get(outcome.reason or '', 'not counted')}."
        )
    else:
        text += f" (a {kind} credit: see /rep {receiver.display_name})"
    return [Reply(text, meta={"counted": outcome.counted, "contribution": outcome.id})]


@COMMANDS.command(
    "praise",
    "thank a member for something they did: a contribution credit worth your standing",
    "/praise <member> <reason>",
    Param("member", str, "who you praise", max_length=80),
    Param("reason", str, "what for (kept with the credit)", rest=True, max_length=300),
    writes=True,
)
async def praise(ctx: Context, args: dict[str, Any]) -> list[Reply]:
    return await _acknowledge(
        ctx, "praise", args["member"], 1.0, args["reason"], "/praise <member> <reason>"
    )


@COMMANDS.command(
    "credit",
    "admins: grant a member reputation points for work the ledger can't see (capped, audited)",
    "/credit <member> <points> <reason>",
    Param("member", str, "who receives the grant", max_length=80),
    Param("points", float, "how many points"),
    Param("reason", str, "what for (kept with the grant)", rest=True, max_length=300),
    writes=True,
    admin_only=True,
)
async def credit(ctx: Context, args: dict[str, Any]) -> list[Reply]:
    usage = "/credit <member> <points> <reason>"
    points = args["points"]
    cap = _policy(ctx.deps).credit_max_points
    if not math.isfinite(points) or points <= 0:
        raise BadArguments("<points> must be a positive number.", usage=usage)
    if points > cap:
        raise BadArguments(
            f"{points:g} points is above the cap of {cap:g} per grant (rewards.credit_max_points).",
            usage=usage,
        )
    return await _acknowledge(ctx, "grant", args["member"], points, args["reason"], usage)
