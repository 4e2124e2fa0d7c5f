"""Reach: AI summaries of a proposal's discussion, and the retention of kept messages."""

from __future__ import annotations

from handlers.core.events import MessagePosted
from handlers.core.feature import Feature, Job
from handlers.reach.summaries.commands import COMMANDS
from handlers.reach.summaries.keeping import keep_thread_message, purge_expired
from handlers.reach.summaries.policy import SummariesPolicy

FEATURE = Feature(
    name="summaries",
    commands=COMMANDS,
    listeners={MessagePosted: [keep_thread_message]},
    jobs=[
        Job(
            "delete kept thread messages after retention",
            purge_expired,
            every=lambda settings: settings.summaries.purge_interval_seconds,
        )
    ],
    settings=SummariesPolicy,
)
