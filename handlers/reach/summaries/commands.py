"""/summary <id>: a short summary of a proposal's discussion, by the configured model.

Order matters so that a refusal writes nothing and a failure posts nothing: read the
discussion first (refuse if it is empty or unreadable), then take the proposal's rate
limit slot, then ask the model; a model error or timeout gives the slot back and
answers with the reason — the summary is posted whole or not at all.
"""

from __future__ import annotations

import logging
from typing import Any

from handlers.core.context import Context
from handlers.core.errors import BadArguments, NotFound, TryAgain
from handlers.core.markup import bold
from handlers.core.registry import Param, Registry
from handlers.core.types import Reply
from handlers.proposals.commands import find_proposal
from handlers.reach.summaries.output import neutralise
from handlers.reach.summaries.ports import HistoryUnavailable, ModelError, ThreadMessage
from handlers.reach.summaries.prompt import INSTRUCTIONS, data_part
from storage.records import ProposalRecord

log = logging.getLogger(__name__)

COMMANDS = Registry()
OFFLINE_NOTE = "offline demo provider: a deterministic digest of the messages, not an AI model"


async def discussion(ctx: Context, proposal: ProposalRecord) -> list[ThreadMessage]:
    """The thread's messages on the platform asked from: read live where the platform can,
    else those kept while summaries were on."""
    deps, platform = ctx.deps, ctx.actor.platform
    limit = deps.summaries.policy.max_messages
    history = deps.summaries.history
    if history is not None and history.can_read(platform):
        places = await deps.storage.cards.find("proposal", proposal.community_id, proposal.id)
        thread = next((message for p, _channel, message in places if p == platform), None)
        if thread is None:
            raise NotFound(f"Proposal #{proposal.number} has no discussion thread here.")
        try:
            return await history.read(platform, thread, limit)
        except HistoryUnavailable as error:
            raise TryAgain(f"Cannot read #{proposal.number}'s thread: {error}") from None
    kept = await deps.storage.summaries.messages(proposal.id, platform, limit)
    return [ThreadMessage(m.author, m.text, m.posted_at) for m in kept]


@COMMANDS.command(
    "summary",
    "a short AI summary of a proposal's discussion",
    "/summary <id>",
    Param("id", int, "the proposal number, e.g. 12", autocomplete="proposal"),
    writes=True,
)
async def summary(ctx: Context, args: dict[str, Any]) -> list[Reply]:
    deps = ctx.deps
    policy = deps.summaries.policy
    if not policy.enabled or deps.summaries.model is None:
        raise BadArguments("Summaries are turned off in this bot's settings (summaries.enabled).")
    proposal = await find_proposal(ctx, int(args["id"]))
    messages = [m for m in await discussion(ctx, proposal) if m.text.strip()]
    if not messages:
        raise NotFound(
            f"#{proposal.number} has no discussion to summarise yet: reply to its card "
            "or post in its thread."
        )
    now = ctx.now()
    wait = await deps.storage.summaries.claim_run(proposal.id, now, policy.interval_seconds)
    if wait is not None:
        raise TryAgain(
            f"#{proposal.number} was summarised moments ago; ask again in {wait / 60:.0f} min "
            f"(one summary per proposal every {policy.interval_seconds / 60:g} min)."
        )
    model = deps.summaries.model
    try:
        answer = await model.summarise(
            INSTRUCTIONS, data_part(proposal, messages, policy.max_message_chars)
        )
    except ModelError as error:
        await deps.storage.summaries.release_run(proposal.id, now)
        log.warning("summary failed proposal=%s model=%s: %s", proposal.id, model.name, error)
        raise TryAgain(
            f"The summary model ({model.name}) did not answer: {error}. Nothing was posted; "
            "try again later."
        ) from None
    body = neutralise(answer, policy.max_summary_chars)
    if not body:
        await deps.storage.summaries.release_run(proposal.id, now)
        raise TryAgain(
            f"The summary model ({model.name}) gave an empty answer; nothing was posted."
        )
    noun = "message" if len(messages) == 1 else "messages"
    label = f"{model.name} ({OFFLINE_NOTE})" if model.offline else model.name
    text = (
        f"🧾 {bold(f'Summary of #{proposal.number} {proposal.title}')}\n{body}\n"
        f"— Read {len(messages)} {noun} · model: {label}. A summary can miss or "
        "misread things: the thread itself is the record."
    )
    log.info(
        "summary posted proposal=%s messages=%s model=%s", proposal.id, len(messages), model.name
    )
    return [Reply(text)]
