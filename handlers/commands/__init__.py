"""Builds the registry and dispatcher every adapter shares.

Each module in this package that defines `register(registry)` is one feature's commands
(python-discord's "extensions", without the runtime loading); they are registered in
`ORDER` first, then the rest alphabetically, so /help lists the basics first.
"""

from __future__ import annotations

import importlib
import pkgutil

from handlers.cards import proposal_card
from handlers.deps import Deps
from handlers.dispatch import Dispatcher
from handlers.registry import Registry
from handlers.types import CardKey, Reply

ORDER = ("help", "proposals", "votes")


def feature_modules() -> list[str]:
    found = sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))
    return [name for name in ORDER if name in found] + [n for n in found if n not in ORDER]


def build_registry() -> Registry:
    registry = Registry()
    for name in feature_modules():
        module = importlib.import_module(f"{__name__}.{name}")
        module.register(registry)
    return registry


async def _render_proposal_card(deps: Deps, key: CardKey) -> Reply | None:
    proposal = await deps.storage.proposals.by_id(key.subject_id)
    return None if proposal is None else await proposal_card(deps, proposal)


def build_dispatcher(deps: Deps, registry: Registry | None = None) -> Dispatcher:
    dispatcher = Dispatcher(registry or build_registry(), deps)
    dispatcher.card_renderers["proposal"] = _render_proposal_card
    for name in feature_modules():
        module = importlib.import_module(f"{__name__}.{name}")
        install = getattr(module, "install", None)
        if install is not None:  # listeners and card renderers a feature adds
            install(dispatcher)
    return dispatcher
