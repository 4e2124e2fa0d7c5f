"""Posting what a council has to say: its notices outbox → replies addressed to places.

A council's cards and announcements go to the place it was created in (its home) and,
for a community configured on several platforms, to the community's place on each other
platform — the same places a proposal opened there would be carded in. Replies carry
`where`, so the core routes them from a scheduled job to the right adapters.
"""

from __future__ import annotations

import logging

from handlers.communities.fanout import copies_elsewhere
from handlers.core.deps import Deps
from handlers.core.types import Reply, Where
from handlers.proposals.cards import card_key, proposal_card
from storage.repos.council_records import CouncilRecord, NoticeRecord

log = logging.getLogger(__name__)


def home_of(council: CouncilRecord) -> Where:
    home = council.home
    return Where(home.platform, home.space_id, home.channel_id, home.thread_id)


def everywhere(deps: Deps, council: CouncilRecord, reply: Reply) -> list[Reply]:
    """`reply` at the council's home and once on every other platform of its community."""
    home = home_of(council)
    placed = Reply(
        reply.text,
        buttons=reply.buttons,
        image=reply.image,
        card=reply.card,
        thread_title=reply.thread_title,
        where=home,
        title=reply.title,
    )
    return [placed, *copies_elsewhere(deps, council.community_id, home, placed)]


async def proposal_replies(deps: Deps, proposal_id: int) -> Reply | None:
    """A proposal's live card, as /propose posts it (with its discussion thread)."""
    proposal = await deps.storage.proposals.by_id(proposal_id)
    if proposal is None:
        return None
    card = await proposal_card(deps, proposal)
    return Reply(
        card.text,
        buttons=card.buttons,
        card=card.card,
        title=card.title,
        thread_title=f"#{proposal.number} {proposal.title}"[:100],
    )


async def render_notice(deps: Deps, notice: NoticeRecord) -> list[Reply]:
    council = await deps.storage.councils.get(notice.council_id)
    if council is None:
        return []
    if notice.kind == "text":
        return everywhere(deps, council, Reply(notice.text))
    if notice.proposal_id is None:
        return []
    if notice.kind == "card":
        card = await proposal_replies(deps, notice.proposal_id)
        return [] if card is None else everywhere(deps, council, card)
    if notice.kind == "refresh":
        proposal = await deps.storage.proposals.by_id(notice.proposal_id)
        if proposal is None:
            return []
        return [Reply("", card=card_key(proposal), edit=True)]  # every platform's copy
    log.warning("unknown council notice kind=%s id=%s", notice.kind, notice.id)
    return []


async def post_notices(deps: Deps) -> list[Reply]:
    """Everything councils have to announce, claimed once across processes."""
    replies: list[Reply] = []
    for notice in await deps.storage.councils.claim_notices(at=deps.clock.now()):
        replies.extend(await render_notice(deps, notice))
    return replies
