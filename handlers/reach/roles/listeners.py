"""What moves roles: a wallet linked or unlinked, reputation recomputed, a council
seating or recall, and a request to join a gated Telegram group."""

from __future__ import annotations

import logging

from handlers.core.deps import Deps
from handlers.core.events import (
    CouncilSeatsChanged,
    JoinRequested,
    ReputationRecomputed,
    WalletLinked,
    WalletUnlinked,
)
from handlers.core.markup import bold
from handlers.core.types import Reply
from handlers.reach.roles.sync import (
    _record,
    note_problem,
    qualify_hint,
    sync_community,
    sync_member,
    verdict_for,
)

log = logging.getLogger(__name__)


async def on_linked(deps: Deps, event: WalletLinked) -> list[Reply]:
    return await sync_member(deps, event.member, "wallet linked")


async def on_unlinked(deps: Deps, event: WalletUnlinked) -> list[Reply]:
    return await sync_member(deps, event.member, "wallet unlinked")


async def on_reputation(deps: Deps, event: ReputationRecomputed) -> list[Reply]:
    if not deps.roles.rules:
        return []
    return await sync_community(deps, event.community_id, "reputation recomputed", "reputation")


async def on_seats(deps: Deps, event: CouncilSeatsChanged) -> list[Reply]:
    if not deps.roles.rules:
        return []
    return await sync_community(deps, event.community_id, "council seats changed", "council")


async def on_join_request(deps: Deps, event: JoinRequested) -> list[Reply]:
    """Approve when the group's rule holds; otherwise decline and explain by DM."""
    chat = event.request.chat_id
    rule = next((r for r in deps.roles.rules if str(r.telegram_chat_id) == chat), None)
    if rule is None:
        return []  # not a group govbot gates: an admin decides
    sink = deps.roles.sinks.get("telegram")
    if sink is None:
        return []
    member = await event.context.member()
    verdict = await verdict_for(deps, rule, member, fresh=True)
    reasons = "; ".join(verdict.reasons)
    if verdict.holds is None:
        text = (
            f"Your request to join {bold(rule.name)} waits: some of what its rule needs "
            f"could not be read just now ({reasons}). An admin can approve it, or ask again later."
        )
        return [Reply(text, private=True)]
    result = await (sink.approve if verdict.holds else sink.decline)(chat, member.user_id)
    if not result.ok:
        note_problem(deps, rule, result)
        return []
    state = "approved" if verdict.holds else "declined"
    await _record(deps, rule, member, chat, state, f"join request: {reasons}")
    log.info("join request role=%s member=%s %s", rule.name, member.id, state)
    if verdict.holds:
        return [
            Reply(f"Welcome! You meet the rule of {bold(rule.name)} ({reasons}).", private=True)
        ]
    text = (
        f"Your request to join {bold(rule.name)} was declined: you do not meet its rule "
        f"yet ({reasons}). " + qualify_hint(deps, rule) + " Then ask to join again."
    )
    return [Reply(text, private=True)]
