"""Councils: elected bodies with seats, terms, cohorts and powers (`/council`, `/stand`,
`/withdraw`, `/recall`, `/councils`, `weight=council:<name>`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from handlers.core.events import ProposalClosed, ResultStatus
from handlers.core.feature import Feature, Job
from handlers.councils.commands import COMMANDS
from handlers.councils.completion import complete_council
from handlers.councils.listeners import on_proposal_closed, on_result_status
from handlers.councils.policy import CouncilPolicy
from handlers.councils.schedule import run_councils
from handlers.councils.strategy import factory

if TYPE_CHECKING:
    from handlers.core.deps import Deps
    from handlers.voting.strategies import StrategyFactory


def council_strategy(deps: Deps) -> StrategyFactory:
    return factory(deps)


FEATURE = Feature(
    name="councils",
    commands=COMMANDS,
    listeners={ProposalClosed: [on_proposal_closed], ResultStatus: [on_result_status]},
    jobs=[
        Job(
            "council nominations, elections, terms and notices",
            run_councils,
            every=lambda settings: settings.councils.check_interval_seconds,
        )
    ],
    strategies={"council": council_strategy},
    completers={"council": complete_council},
    settings=CouncilPolicy,
    doc=__doc__ or "",
)
