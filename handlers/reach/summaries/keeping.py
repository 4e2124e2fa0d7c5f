"""Telegram (and the console) cannot fetch a thread's history, so with summaries on the
bot keeps the text of messages posted in proposal threads — and nothing else.

A message is in a proposal's thread when it replies to the proposal's card or to a
message already kept for it, or is posted in the forum topic that holds the card (the
adapter names the topic's card as `thread_root`; the topic is then remembered). Private
chats, bots, messages elsewhere and messages about closed proposals are never kept.
Platforms that read history at request time (Discord) keep nothing.
"""

from __future__ import annotations

import logging

from handlers.core.deps import Deps
from handlers.core.events import MessagePosted
from handlers.core.markup import clean
from handlers.core.types import Reply

log = logging.getLogger(__name__)


async def _proposal_of(deps: Deps, event: MessagePosted) -> int | None:
    posted, where = event.posted, event.context.event.where
    repo = deps.storage.summaries
    for ref in (posted.thread_root, posted.reply_to):
        if ref is not None:
            found = await repo.proposal_of_message(ref.platform, ref.channel_id, ref.message_id)
            if found is not None:
                if where.thread_id and ref is posted.thread_root:
                    await repo.remember_topic(
                        where.platform, where.channel_id, where.thread_id, found
                    )
                return found
    if where.thread_id:
        return await repo.proposal_of_topic(where.platform, where.channel_id, where.thread_id)
    return None


async def keep_thread_message(deps: Deps, event: MessagePosted) -> list[Reply]:
    policy, ctx, posted = deps.summaries.policy, event.context, event.posted
    if not policy.enabled or ctx.actor.is_bot or ctx.event.where.is_private:
        return []
    if deps.summaries.history is not None and deps.summaries.history.can_read(ctx.actor.platform):
        return []
    text = clean(posted.text or "").strip()
    if not text:
        return []
    proposal_id = await _proposal_of(deps, event)
    if proposal_id is None:
        return []
    proposal = await deps.storage.proposals.by_id(proposal_id)
    if proposal is None or proposal.status != "open":
        return []
    ref = posted.message_ref
    await deps.storage.summaries.keep(
        proposal_id,
        ref.platform,
        ref.channel_id,
        ref.message_id,
        author=clean(ctx.actor.display_name)[:200],
        text=text[: policy.max_message_chars],
        at=ctx.now(),
    )
    log.debug("kept a thread message proposal=%s platform=%s", proposal_id, ref.platform)
    return []


async def purge_expired(deps: Deps) -> list[Reply]:
    """The retention job: forget what was kept for proposals closed long enough ago."""
    gone = await deps.storage.summaries.purge(
        deps.clock.now(), deps.summaries.policy.retention_seconds
    )
    if gone:
        log.info("deleted kept thread messages count=%s", gone)
    return []
