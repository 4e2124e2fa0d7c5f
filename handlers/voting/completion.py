"""Completions for a ballot parameter while a member types (Discord autocomplete)."""

from __future__ import annotations

from typing import Any

from handlers.core.deps import Deps
from handlers.core.feature import CompletionRequest


async def complete_choice(deps: Deps, request: CompletionRequest) -> list[tuple[str, Any]]:
    """The chosen proposal's choices; after a `,` or `>` the next one is completed."""
    raw = request.options.get("id")
    if raw is None or not str(raw).lstrip("#").isdigit():
        return []
    number = int(str(raw).lstrip("#"))
    proposal = await deps.storage.proposals.get(request.community_id, number)
    if proposal is None:
        return []
    current = str(request.typed or "")
    cut = max(current.rfind(","), current.rfind(">"))
    head, tail = current[: cut + 1], current[cut + 1 :].strip().casefold()
    choices: list[tuple[str, Any]] = []
    for choice in proposal.choices:
        if tail and tail not in choice.casefold():
            continue
        value = f"{head} {choice}".strip() if head else choice
        if len(value) <= request.max_label:
            choices.append((value, value))
    return choices[: request.max_items]
