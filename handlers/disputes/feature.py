"""Disputes: anyone can challenge a result, a credit, a battle or a reward epoch; a jury
drawn by reputation decides, with one appeal (`/dispute`, `/disputes`, `/appeal`, `/juror`)."""

from __future__ import annotations

from handlers.core.events import ResultStatus
from handlers.core.feature import Feature, Job
from handlers.disputes.commands import COMMANDS
from handlers.disputes.listeners import on_result_status
from handlers.disputes.policy import DisputePolicy
from handlers.disputes.rulings import run_disputes
from handlers.disputes.show import KIND, render_card

FEATURE = Feature(
    name="disputes",
    commands=COMMANDS,
    listeners={ResultStatus: [on_result_status]},
    jobs=[
        Job(
            "dispute deadlines, replacements, rulings and appeal windows",
            run_disputes,
            every=lambda settings: settings.disputes.check_interval_seconds,
        )
    ],
    cards={KIND: render_card},
    settings=DisputePolicy,
    doc=__doc__ or "",
)
