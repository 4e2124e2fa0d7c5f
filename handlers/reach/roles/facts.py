"""What a rule is judged on, read once per member: wallet, balances, reputation, seats.

Balances are read through the wallets feature's chain port (the same cached reads the
token strategies use) at the latest block minus the configured confirmations. A value
that cannot be read (no ETH_RPC_URL, the node down) is unknown, not zero: a rule that
depends on it decides nothing, so an outage never takes roles away.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from handlers.communities.identity import voter_of
from handlers.reach.roles.grammar import Atom
from handlers.wallets.chain import ChainCallFailed, ChainUnavailable
from handlers.wallets.siwe import checksum
from handlers.wallets.strategies import ChainStrategy
from storage.records import MemberRecord

if TYPE_CHECKING:
    from handlers.core.deps import Deps

log = logging.getLogger(__name__)


@dataclass
class Facts:
    """One member's values; `values[atom] is None` means unknown, with `why`."""

    member: MemberRecord
    address: str | None = None
    values: dict[Atom, float | None] = field(default_factory=dict)
    why: dict[Atom, str] = field(default_factory=dict)


async def reputation_of(deps: Deps, member: MemberRecord, *, fresh: bool) -> float | None:
    """The member's score in the newest snapshot; `fresh` may recompute a stale small one
    first (never from a listener: recompute itself tells the listeners, holding its lock)."""
    service = deps.reputation.service
    if service is None:
        return None
    if fresh:
        community = await deps.storage.communities.get(member.community_id)
        snapshot = await service.current(member.community_id, service.policy_for(community))
    else:
        snapshot = await deps.storage.reputation.latest(member.community_id)
    if snapshot is None:
        return 0.0
    row = await deps.storage.reputation.score(snapshot.id, member.id)
    return 0.0 if row is None else max(0.0, row.score)


async def gather(
    deps: Deps, member: MemberRecord, wanted: list[Atom], *, fresh: bool = False
) -> Facts:
    """Read every atom in `wanted` for `member` (its voter: one person across platforms)."""
    voter = await voter_of(deps, member)
    link = await deps.storage.wallets.active(member.id)
    facts = Facts(member, link.address if link else None)
    block: int | None = None
    for atom in wanted:
        if atom.kind == "linked":
            facts.values[atom] = 1.0 if link else 0.0
        elif atom.kind == "reputation":
            facts.values[atom] = await reputation_of(deps, voter, fresh=fresh)
            if facts.values[atom] is None:
                facts.why[atom] = "reputation is not computed here"
        elif atom.kind == "council":
            council = await deps.storage.councils.by_name(member.community_id, atom.arg or "")
            if council is None:
                facts.values[atom] = 0.0
                facts.why[atom] = f"no council named {atom.arg}"
                continue
            seats = await deps.storage.councils.active_seats(council.id, deps.clock.now())
            held = any(s.member_id in (voter.id, member.id) for s in seats)
            facts.values[atom] = 1.0 if held else 0.0
        else:  # a balance
            if link is None:
                facts.values[atom] = 0.0
                facts.why[atom] = "no linked wallet"
                continue
            chain = deps.wallets.chain
            if chain is None:
                facts.values[atom] = None
                facts.why[atom] = "no Ethereum node is configured (ETH_RPC_URL)"
                continue
            try:
                if block is None:
                    latest = await chain.latest_block()
                    block = max(0, latest - deps.wallets.policy.confirmations)
                contract = checksum(atom.arg) if atom.arg else None
                reader = ChainStrategy(deps, chain, atom.kind, contract)
                facts.values[atom] = await reader.value(link.address, block)
            except (ChainUnavailable, ChainCallFailed) as error:
                log.warning("role check could not read %s: %s", atom.text, type(error).__name__)
                facts.values[atom] = None
                facts.why[atom] = "the chain did not answer"
    return facts
