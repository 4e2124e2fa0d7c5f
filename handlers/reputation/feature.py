"""Reputation: contributions logged from reactions, replies, votes and ratings; /rep /top."""

from __future__ import annotations

from handlers.core.deps import Deps
from handlers.core.events import (
    BallotCast,
    BattleRated,
    MessagePosted,
    ProposalClosed,
    ProposalOpening,
    ReactionChanged,
)
from handlers.core.feature import Feature, Job
from handlers.core.registry import Registry
from handlers.core.types import Reply
from handlers.reputation import play
from handlers.reputation.commands import COMMANDS
from handlers.reputation.listeners import (
    check_min_reputation,
    on_closed,
    on_posted,
    on_rating,
    on_reaction,
    on_vote,
    service_of,
)
from handlers.reputation.policy import ReputationPolicy
from handlers.reputation.strategy import factory
from handlers.voting.strategies import StrategyFactory


def reputation_strategy(deps: Deps) -> StrategyFactory:
    return factory(service_of(deps))


async def refresh_stale(deps: Deps) -> list[Reply]:
    """Recompute stale snapshots so /rep answers from a stored row."""
    await service_of(deps).refresh_stale()
    return []


def _commands() -> Registry:
    registry = Registry()
    registry.merge(COMMANDS)
    registry.merge(play.COMMANDS)  # the console's /age
    return registry


FEATURE = Feature(
    name="reputation",
    commands=_commands(),
    listeners={
        ReactionChanged: [on_reaction],
        MessagePosted: [on_posted],
        BallotCast: [on_vote],
        BattleRated: [on_rating],
        ProposalClosed: [on_closed],
    },
    checks={ProposalOpening: [check_min_reputation]},
    jobs=[
        Job(
            "recompute stale reputation",
            refresh_stale,
            every=lambda settings: settings.reputation.recompute_interval_seconds,
            at_start=False,
        )
    ],
    strategies={"reputation": reputation_strategy},
    settings=ReputationPolicy,
)
