"""What disputes add to a proposal's result card: "disputed (d3)", "annulled by dispute d3"."""

from __future__ import annotations

from handlers.core.deps import Deps
from handlers.core.events import ResultStatus
from handlers.core.types import Reply


async def on_result_status(deps: Deps, event: ResultStatus) -> list[Reply] | None:
    proposal = event.proposal
    notes: list[str] = []
    for found in await deps.storage.disputes.on_target(
        proposal.community_id, f"proposal:{proposal.id}"
    ):
        if found.status == "closed" and found.outcome == "upheld":
            revote = found.effects.get("revote_number")
            again = f"; re-vote #{revote}" if revote else ""
            notes.append(f"annulled by dispute {found.ref}{again}")
        elif found.status != "closed":
            notes.append(f"disputed ({found.ref}, see /dispute {found.ref})")
    return [Reply(note) for note in notes] or None
