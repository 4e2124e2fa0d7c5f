"""Builds the registry and dispatcher every adapter shares."""

from __future__ import annotations

from handlers.cards import proposal_card
from handlers.commands import help as help_command
from handlers.commands import proposals, votes
from handlers.deps import Deps
from handlers.dispatch import Dispatcher
from handlers.registry import Registry
from handlers.types import CardKey, Reply


def build_registry() -> Registry:
    registry = Registry()
    help_command.register(registry)
    proposals.register(registry)
    votes.register(registry)
    return registry


async def _render_proposal_card(deps: Deps, key: CardKey) -> Reply | None:
    proposal = await deps.storage.proposals.by_id(key.subject_id)
    return None if proposal is None else await proposal_card(deps, proposal)


def build_dispatcher(deps: Deps, registry: Registry | None = None) -> Dispatcher:
    dispatcher = Dispatcher(registry or build_registry(), deps)
    dispatcher.card_renderers["proposal"] = _render_proposal_card
    return dispatcher
