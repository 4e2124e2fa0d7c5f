"""Proposals: /propose … /close, live and result cards, closing at the end time."""

from __future__ import annotations

from handlers.core.deps import Deps
from handlers.core.feature import Feature, Job
from handlers.core.types import CardKey, Reply
from handlers.proposals.cards import proposal_card
from handlers.proposals.closing import close_due
from handlers.proposals.commands import COMMANDS
from handlers.proposals.completion import complete_proposal
from handlers.proposals.policy import Policy


async def render_proposal_card(deps: Deps, key: CardKey) -> Reply | None:
    proposal = await deps.storage.proposals.by_id(key.subject_id)
    return None if proposal is None else await proposal_card(deps, proposal)


FEATURE = Feature(
    name="proposals",
    commands=COMMANDS,
    cards={"proposal": render_proposal_card},
    jobs=[
        Job(
            "close proposals past their end time",
            close_due,
            every=lambda settings: settings.scheduler.close_interval_seconds,
        )
    ],
    completers={"proposal": complete_proposal},
    settings=Policy,
)
