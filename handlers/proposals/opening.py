"""The proposal a checked draft describes, ready to store.

`/propose`, council elections, recall votes and a dispute's council vote all open
proposals from a `ProposalDraft`; the weighting is resolved here once, so every one of
them takes its snapshot block and eligible power the same way, when it opens.
"""

from __future__ import annotations

from handlers.core.deps import Deps
from handlers.proposals.options import ProposalDraft
from storage.repos.proposals import NewProposal

HOUR = 3600.0


async def new_proposal(
    deps: Deps,
    draft: ProposalDraft,
    *,
    community_id: int,
    author_id: int,
    now: float,
    eligible_power: float | None = None,
) -> NewProposal:
    """`eligible_power` replaces the strategy's when the caller knows better (a vote
    some seats may not take part in)."""
    strategy = deps.strategies.parse(draft.weight)
    # The snapshot first: a token strategy's eligible power is the supply at that block.
    snapshot = await strategy.snapshot(community_id)
    if eligible_power is None:
        eligible_power = await strategy.eligible_power(community_id)
    return NewProposal(
        community_id=community_id,
        title=draft.title,
        body=draft.body,
        choices=draft.choices,
        method=draft.method,
        strategy=strategy.spec,
        snapshot=snapshot,
        quorum=draft.quorum,
        threshold=draft.threshold,
        hidden=draft.hidden,
        profile=draft.profile,
        author_id=author_id,
        created_at=now,
        ends_at=now + draft.hours * HOUR,
        eligible_power=eligible_power,
        options=draft.options,
    )
