"""What wallets change about a vote: the linked-wallet rule and delegated power.

A delegate's ballot weighs their own power plus that of every member whose delegation
to them was in force when the proposal opened (its snapshot) and who has not voted
themselves. When such a delegator votes directly, the delegate's ballot is re-cast
with that power taken out, in the same transaction as the delegator's ballot, so the
ballots table and the audit log always count each member's power once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from handlers.core.errors import NotEligible
from handlers.voting.strategies import Strategy, Weight
from storage.records import MemberRecord, ProposalRecord
from storage.repos.ballots import CastRequest

if TYPE_CHECKING:
    from handlers.core.deps import Deps


async def require_linked_wallet(deps: Deps, member: MemberRecord) -> None:
    if await deps.storage.wallets.active(member.id) is None:
        raise NotEligible(
            "This community requires a linked wallet to vote. Link yours with /link <address>, "
            "then sign the message and send /verify <signature>."
        )


def _in_force(delegation: Any, as_of: float) -> bool:
    return delegation.created_at <= as_of and (
        delegation.revoked_at is None or delegation.revoked_at > as_of
    )


async def _delegators(deps: Deps, member: MemberRecord, proposal: ProposalRecord) -> list[int]:
    found = await deps.storage.delegations.all_delegations(proposal.community_id)
    if not found:
        return []
    link = await deps.storage.wallets.active(member.id)
    address = link.address if link is not None else None
    return sorted(
        {
            d.delegator_id
            for d in found
            if _in_force(d, proposal.created_at)
            and d.delegator_id != member.id
            and (d.delegate_id == member.id or (address and d.delegate_address == address))
        }
    )


async def _delegate_of(deps: Deps, member: MemberRecord, proposal: ProposalRecord) -> int | None:
    """Whom this member's power went to at the snapshot (a member id), if anyone."""
    for d in await deps.storage.delegations.all_delegations(proposal.community_id):
        if d.delegator_id == member.id and _in_force(d, proposal.created_at):
            if d.delegate_id is not None:
                return int(d.delegate_id)
            if d.delegate_address:
                holder = await deps.storage.wallets.by_address(
                    proposal.community_id, d.delegate_address
                )
                return holder.member_id if holder is not None else None
    return None


async def weigh_vote(
    deps: Deps, strategy: Strategy, member: MemberRecord, proposal: ProposalRecord
) -> Weight:
    """Own weight plus the delegated power of delegators who have not voted."""
    own = await strategy.weigh(member, proposal)
    delegators = await _delegators(deps, member, proposal)
    if not delegators:
        return own
    extra, counted = 0.0, []
    for delegator_id in delegators:
        if await deps.storage.ballots.get(proposal.id, delegator_id) is not None:
            continue  # their own vote overrides the delegation
        delegator = await deps.storage.members.get(delegator_id)
        if delegator is None:
            continue
        try:
            power = await strategy.weigh(delegator, proposal)
        except NotEligible:
            continue  # e.g. a delegator with no linked wallet holds no token power
        extra += power.value
        counted.append(delegator_id)
    if not counted:
        return own
    breakdown = dict(own.breakdown)
    breakdown["delegated"] = extra
    breakdown["delegators"] = counted
    return Weight(own.value + extra, breakdown)


async def override_for(
    deps: Deps,
    strategy: Strategy,
    member: MemberRecord,
    proposal: ProposalRecord,
    own: Weight,
    at: float,
) -> CastRequest | None:
    """If this voter's power sits in their delegate's ballot, that ballot minus it."""
    delegate_id = await _delegate_of(deps, member, proposal)
    if delegate_id is None:
        return None
    ballot = await deps.storage.ballots.get(proposal.id, delegate_id)
    if ballot is None or member.id not in (ballot.breakdown.get("delegators") or []):
        return None
    base = own.value - float(own.breakdown.get("delegated", 0.0))
    breakdown = dict(ballot.breakdown)
    remaining = [d for d in breakdown.get("delegators", []) if d != member.id]
    breakdown["delegated"] = float(breakdown.get("delegated", 0.0)) - base
    breakdown["delegators"] = remaining
    if not remaining:
        breakdown.pop("delegated")
        breakdown.pop("delegators")
    return CastRequest(
        proposal_id=proposal.id,
        community_id=proposal.community_id,
        member_id=delegate_id,
        selection=ballot.selection,
        weight=max(0.0, ballot.weight - base),
        breakdown=breakdown,
        at=at,
        signature=ballot.signature,
    )


def receipt_parts(breakdown: dict[str, Any]) -> str:
    """The breakdown as members read it: numbers as numbers, the delegator list as a count."""
    parts = []
    for key, value in breakdown.items():
        if key == "delegators":
            continue
        if key == "delegated":
            count = len(breakdown.get("delegators", []))
            parts.append(f"delegated by {count} member{'s' if count != 1 else ''} {value:g}")
        elif isinstance(value, int | float):
            parts.append(f"{key} {value:g}")
        else:
            parts.append(f"{key} {value}")
    return ", ".join(parts)
