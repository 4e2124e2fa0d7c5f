"""Weighting strategies: how much a member's ballot counts.

This is the one extension point later strategies (tokens at a snapshot block, NFTs,
reputation, `+` hybrids, `sqrt`/`cap=N` transforms) plug into: a strategy is parsed from
the proposal's `weight=` text, takes a snapshot when the proposal opens, and weighs each
ballot against that snapshot, returning the weight and a breakdown the voter sees.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from handlers.errors import BadArguments
from storage.records import MemberRecord, ProposalRecord


@dataclass(frozen=True, slots=True)
class Weight:
    value: float
    breakdown: dict[str, Any]


class Strategy(Protocol):
    spec: str

    async def snapshot(self, community_id: int) -> str | None:
        """What to freeze when the proposal opens (a block number, a reputation snapshot id)."""
        ...

    async def eligible_power(self, community_id: int) -> float | None:
        """Total power that could vote, for percentage quorums and turnout."""
        ...

    async def weigh(self, member: MemberRecord, proposal: ProposalRecord) -> Weight:
        """This member's weight on this proposal, read at the proposal's snapshot."""
        ...


class MemberStrategy:
    """One member, one vote."""

    spec = "member"

    def __init__(self, count_members: Callable[[int], Any]) -> None:
        self._count_members = count_members

    async def snapshot(self, community_id: int) -> str | None:
        return None

    async def eligible_power(self, community_id: int) -> float | None:
        return float(await self._count_members(community_id))

    async def weigh(self, member: MemberRecord, proposal: ProposalRecord) -> Weight:
        return Weight(1.0, {"member": 1.0})


StrategyFactory = Callable[[str], Strategy]


class StrategyRegistry:
    """Parses `weight=` text into a Strategy; unknown names are refused with the known ones."""

    def __init__(self) -> None:
        self._factories: dict[str, StrategyFactory] = {}

    def register(self, name: str, factory: StrategyFactory) -> None:
        self._factories[name] = factory

    @property
    def names(self) -> list[str]:
        return sorted(self._factories)

    def parse(self, spec: str) -> Strategy:
        text = spec.strip()
        name = text.split(":", 1)[0].casefold()
        factory = self._factories.get(name)
        if factory is None:
            raise BadArguments(
                f'Unknown weighting "{text[:60]}". Available here: {", ".join(self.names)}.',
                usage="weight=member",
            )
        return factory(text)
