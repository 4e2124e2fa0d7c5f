"""Weighting strategy `reputation`: a ballot weighs the voter's score as it stood when
the proposal opened.

`snapshot()` freezes a fresh reputation snapshot (pinned, never pruned) and returns its
reference `rep:<id>`, which the proposal stores; `weigh()` reads the voter's row from
that snapshot only, so credits earned while the vote runs buy no weight.
"""

from __future__ import annotations

from collections.abc import Callable

from handlers.core.errors import BadArguments
from handlers.reputation.service import ReputationService, parse_snapshot_ref, snapshot_ref
from handlers.voting.strategies import Weight
from storage.records import MemberRecord, ProposalRecord


class ReputationStrategy:
    spec = "reputation"

    def __init__(self, service: ReputationService) -> None:
        self.service = service

    async def snapshot(self, community_id: int) -> str | None:
        community = await self.service.storage.communities.get(community_id)
        info = await self.service.pinned(community)
        return None if info is None else snapshot_ref(info.id)

    async def eligible_power(self, community_id: int) -> float | None:
        """The community's total reputation in its latest snapshot."""
        latest = await self.service.storage.reputation.latest(community_id)
        return 0.0 if latest is None else round(latest.total, 4)

    async def weigh(self, member: MemberRecord, proposal: ProposalRecord) -> Weight:
        snapshot_id = parse_snapshot_ref(proposal.snapshot)
        if snapshot_id is None:
            return Weight(0.0, {"reputation": 0.0})
        row = await self.service.storage.reputation.score(snapshot_id, member.id)
        value = 0.0 if row is None else round(row.score, 4)
        return Weight(value, {"reputation": value})


def factory(service: ReputationService) -> Callable[[str], ReputationStrategy]:
    """The StrategyRegistry factory for `weight=reputation`."""

    def build(spec: str) -> ReputationStrategy:
        if spec.strip().casefold() != "reputation":
            raise BadArguments(
                f'"{spec[:40]}": reputation takes no options.', usage="weight=reputation"
            )
        return ReputationStrategy(service)

    return build
