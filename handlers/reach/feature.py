"""Reach: reminders before votes close, in the proposal's places and privately."""

from __future__ import annotations

from handlers.core.feature import Feature, Job
from handlers.reach.commands import COMMANDS
from handlers.reach.policy import ReachPolicy
from handlers.reach.reminders import send_due

FEATURE = Feature(
    name="reach",
    commands=COMMANDS,
    jobs=[
        Job(
            "remind before proposals close",
            send_due,
            every=lambda settings: settings.reach.interval_seconds,
        )
    ],
    settings=ReachPolicy,
)
