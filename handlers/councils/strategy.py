"""Weighting strategy `council:<name>`: only the council's seated members vote, one vote
each.

Used by council-only proposals (`/propose … weight=council:Stewards`, or
`electorate=council:Stewards`) and by the council's veto votes. A member counts when
they hold a seat at the moment they vote; the eligible power (for turnout and percent
quorums) is the number of seats held when the proposal closes. Voting power in a
council is personal, so delegations do not carry into it (`delegable = False`).
"""

from __future__ import annotations

from collections.abc import Callable

from handlers.core.deps import Deps
from handlers.core.errors import BadArguments, NotAllowed, NotEligible, NotFound
from handlers.voting.strategies import Weight
from storage.records import MemberRecord, ProposalRecord
from storage.repos.council_records import CouncilRecord

PREFIX = "council"
USAGE = "weight=council:<name> — only that council's seated members vote"


class CouncilStrategy:
    delegable = False  # a seat's vote is its holder's own

    def __init__(self, deps: Deps, name: str) -> None:
        self.deps = deps
        self.name = name
        self.spec = f"{PREFIX}:{name}"

    async def council(self, community_id: int) -> CouncilRecord:
        found = await self.deps.storage.councils.by_name(community_id, self.name)
        if found is None:
            known = [c.name for c in await self.deps.storage.councils.in_community(community_id)]
            raise NotFound(
                f'There is no council "{self.name}" here. Councils: {", ".join(known) or "none"}.',
                usage=USAGE,
            )
        return found

    async def snapshot(self, community_id: int) -> str | None:
        """Checked when a proposal opens: the council exists and holds its own votes."""
        council = await self.council(community_id)
        if not council.powers.get("council_votes", True):
            raise NotAllowed(
                f"Council {council.name} does not hold votes of its own (council_votes=no).",
                usage=USAGE,
            )
        return None

    async def eligible_power(self, community_id: int) -> float | None:
        council = await self.council(community_id)
        seated = await self.deps.storage.councils.active_seats(council.id, self.deps.clock.now())
        return float(len(seated))

    async def weigh(self, member: MemberRecord, proposal: ProposalRecord) -> Weight:
        council = await self.council(proposal.community_id)
        seated = await self.deps.storage.councils.active_seats(council.id, self.deps.clock.now())
        if any(seat.member_id == member.id for seat in seated):
            # a dispute's council vote: its parties' seats do not decide it
            dispute = await self.deps.storage.disputes.by_proposal(proposal.id)
            if dispute is not None:
                mapping = await self.deps.storage.identity.canonical_map(proposal.community_id)
                if mapping.get(member.id, member.id) in dispute.parties:
                    raise NotEligible(
                        f"You are a party to dispute {dispute.ref}: a party cannot decide it."
                    )
            return Weight(1.0, {f"council {council.name}": 1.0})
        raise NotEligible(
            f"Only the seated members of council {council.name} vote on #{proposal.number}."
        )


def factory(deps: Deps) -> Callable[[str], CouncilStrategy]:
    """The StrategyRegistry factory for `weight=council:<name>`."""

    def build(spec: str) -> CouncilStrategy:
        _, _, name = spec.strip().partition(":")
        name = name.strip()
        if not name:
            raise BadArguments("Name the council: weight=council:<name>.", usage=USAGE)
        return CouncilStrategy(deps, name)

    return build
