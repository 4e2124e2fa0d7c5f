"""Completions for a proposal-id parameter while a member types (Discord autocomplete)."""

from __future__ import annotations

from typing import Any

from handlers.core.deps import Deps
from handlers.core.feature import CompletionRequest
from handlers.core.markup import clean


async def complete_proposal(deps: Deps, request: CompletionRequest) -> list[tuple[str, Any]]:
    """Proposal ids: open ones first (newest first), then the rest, filtered by input."""
    repo = deps.storage.proposals
    limit = request.max_items
    found = await repo.in_community(request.community_id, status="open", limit=limit)
    if len(found) < limit:
        seen = {p.id for p in found}
        others = await repo.in_community(request.community_id, status=None, limit=limit * 2)
        found += [p for p in others if p.id not in seen]
    typed = str(request.typed or "").strip().lstrip("#").casefold()
    choices: list[tuple[str, Any]] = []
    for proposal in found:
        if typed and not (
            str(proposal.number).startswith(typed) or typed in proposal.title.casefold()
        ):
            continue
        label = f"#{proposal.number} {clean(proposal.title)}"
        suffix = "" if proposal.status == "open" else f" · {proposal.status}"
        choices.append((label[: request.max_label - len(suffix)] + suffix, proposal.number))
    return choices[:limit]
