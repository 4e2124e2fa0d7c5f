"""One person, one vote across platforms: the voter behind an account, and the rule for
accounts that are not linked.

* The voter of an account is the community's lowest member id among the accounts
  actively linked to the same address (`IdentityRepo.voter_id`); ballots, battle ratings
  and reputation are keyed by it, so a vote on Telegram replaces the same person's
  vote from Discord.
* A ballot an account cast before it was linked stays under its own id; when the person
  votes again, that ballot is re-cast with weight 0 in the same transaction (audited like
  any ballot), so it stops counting without rewriting history.
* In a community mapped on two or more platforms, an account without a linked wallet
  may vote only if the community allows unlinked voting (`allow_unlinked`): then it
  counts as its own voter, so a person with an unlinked account on each platform
  counts twice. Otherwise it is asked to link a wallet first.
"""

from __future__ import annotations

from handlers.communities.places import allow_unlinked
from handlers.core.deps import Deps
from handlers.core.errors import NotEligible
from storage.records import CommunityRecord, MemberRecord, ProposalRecord
from storage.repos.ballots import CastRequest


async def voter_of(deps: Deps, member: MemberRecord) -> MemberRecord:
    """The account this member votes as (itself unless linked with a lower-id account)."""
    if await deps.storage.wallets.active(member.id) is None:
        return member
    voter_id = await deps.storage.identity.voter_id(member)
    if voter_id == member.id:
        return member
    found = await deps.storage.members.get(voter_id)
    return member if found is None else found


async def check_unlinked(deps: Deps, community: CommunityRecord, member: MemberRecord) -> None:
    """Refuse an unlinked account in a multi-platform community that requires linking."""
    mapped = deps.communities.mapped.get(community.id)
    if allow_unlinked(mapped, community.settings):
        return
    if await deps.storage.wallets.active(member.id) is not None:
        return
    raise NotEligible(
        "This community lives on several platforms and counts one vote per person, so "
        "voting needs a linked wallet (the same one on every platform). Link yours with "
        "/link <address>, then sign the message and send /verify <signature>."
    )


async def superseded(
    deps: Deps, proposal: ProposalRecord, member: MemberRecord, voter: MemberRecord, at: float
) -> list[CastRequest]:
    """Ballots this person's other accounts cast under their own ids, re-cast at weight 0."""
    if await deps.storage.wallets.active(member.id) is None:
        return []
    accounts = await deps.storage.identity.accounts(member)
    stale: list[CastRequest] = []
    for account in accounts:
        if account.id == voter.id:
            continue
        ballot = await deps.storage.ballots.get(proposal.id, account.id)
        if ballot is None or ballot.weight == 0:
            continue
        stale.append(
            CastRequest(
                proposal_id=proposal.id,
                community_id=proposal.community_id,
                member_id=account.id,
                selection=ballot.selection,
                weight=0.0,
                breakdown={"counted_as": voter.id},
                at=at,
                signature=ballot.signature,
            )
        )
    return stale
