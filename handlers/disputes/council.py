"""A council as the decider: the dispute becomes a vote of its seated members.

When `deciders` names `council:<name>` for a target kind, opening such a dispute opens
a proposal (method single, choices Uphold | Reject, `weight=council:<name>`, lasting
`deadline_hours`) in the same transaction; when it closes, more weight for Uphold than
for Reject upholds the dispute. Seated members who are parties to the dispute (the
disputer, the target's author, voters, givers or raters) cannot vote on it
(the `council:` weighting refuses them), and the vote's eligible power counts only the
other seats. The ruling can be appealed to a jury of 2K+1 like any.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from handlers.core.deps import Deps
from handlers.core.errors import NotAllowed
from handlers.proposals.opening import new_proposal
from handlers.proposals.options import build_draft
from storage.records import CommunityRecord, ProposalRecord
from storage.repos.council_records import CouncilRecord
from storage.repos.proposals import NewProposal

CHOICES = ("Uphold", "Reject")


async def deciding_council(
    deps: Deps, community: CommunityRecord, decider: str, usage: str, parties: set[int]
) -> tuple[CouncilRecord, int]:
    """The council and how many of its seats may decide (those held by no party)."""
    name = decider.partition(":")[2].strip()
    council = await deps.storage.councils.by_name(community.id, name)
    if council is None:
        raise NotAllowed(
            f"These disputes go to council {name[:40]}, which does not exist here.", usage=usage
        )
    seats = await deps.storage.councils.active_seats(council.id, deps.clock.now())
    if not seats:
        raise NotAllowed(f"Council {council.name} has nobody seated to decide it.", usage=usage)
    mapping = await deps.storage.identity.canonical_map(community.id)
    eligible = [s for s in seats if mapping.get(s.member_id, s.member_id) not in parties]
    if not eligible:
        raise NotAllowed(
            f"Every seated member of council {council.name} is a party to this dispute.",
            usage=usage,
        )
    return council, len(eligible)


async def council_vote(
    deps: Deps,
    council: CouncilRecord,
    label: str,
    reason: str,
    author_id: int,
    now: float,
    eligible_seats: int,
) -> NewProposal:
    hours = deps.disputes.deadline_hours
    draft = build_draft(
        {
            "title": f"Dispute: {label}"[:200],
            "method": "single",
            "choices": " | ".join(CHOICES),
            "weight": f"council:{council.name}",
            "hours": str(hours),
            "body": f"The disputer says: {reason}\n\nUphold overturns it; Reject lets it stand.",
        },
        deps.policy,
    )
    opened = await new_proposal(
        deps,
        draft,
        community_id=council.community_id,
        author_id=author_id,
        now=now,
        eligible_power=float(eligible_seats),  # the parties' seats cannot vote
    )
    return replace(opened, quorum=None, threshold=None, hidden=True)


def council_outcome(proposal: ProposalRecord) -> tuple[str, dict[str, Any]]:
    """Upheld when the vote gave Uphold more weight than Reject."""
    totals = [float(t) for t in (proposal.result or {}).get("totals") or [0.0, 0.0]]
    up, down = [*totals, 0.0, 0.0][:2]
    closed = proposal.status == "closed"
    outcome = "upheld" if closed and up > down else "rejected"
    return outcome, {"proposal": proposal.id, "uphold": up, "reject": down, "votes": {}}
