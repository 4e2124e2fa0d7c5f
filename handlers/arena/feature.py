"""Arena: blind A/B battles in the chat, revealed by votes or time, and the leaderboard."""

from __future__ import annotations

from handlers.arena.commands import COMMANDS, KIND, render_card, reveal_due
from handlers.arena.policy import ArenaPolicy
from handlers.core.feature import Feature, Job

FEATURE = Feature(
    name="arena",
    commands=COMMANDS,
    cards={KIND: render_card},
    jobs=[
        Job(
            "reveal battles past their window",
            reveal_due,
            every=lambda settings: settings.scheduler.close_interval_seconds,
        )
    ],
    settings=ArenaPolicy,
)
