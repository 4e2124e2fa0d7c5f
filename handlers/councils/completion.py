"""Completions for a council-name parameter while a member types (Discord autocomplete)."""

from __future__ import annotations

from typing import Any

from handlers.core.deps import Deps
from handlers.core.feature import CompletionRequest
from handlers.core.markup import clean


async def complete_council(deps: Deps, request: CompletionRequest) -> list[tuple[str, Any]]:
    """The community's councils whose name starts with (or holds) what was typed;
    prefix matches first, each labelled with its seat count."""
    typed = str(request.typed or "").strip().casefold()
    councils = await deps.storage.councils.in_community(request.community_id)
    ranked = sorted(
        (c for c in councils if typed in c.name.casefold()),
        key=lambda c: (not c.name.casefold().startswith(typed), c.name.casefold()),
    )
    choices: list[tuple[str, Any]] = []
    for council in ranked[: request.max_items]:
        label = f"{clean(council.name)} · {council.seats} seats"
        choices.append((label[: request.max_label], council.name))
    return choices
