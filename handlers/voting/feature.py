"""Voting: /vote and ballots, the voting methods, and one-member-one-vote weighting."""

from __future__ import annotations

from handlers.core.deps import Deps
from handlers.core.feature import Feature
from handlers.voting.commands import COMMANDS
from handlers.voting.completion import complete_choice
from handlers.voting.strategies import MemberStrategy, StrategyFactory


def member_strategy(deps: Deps) -> StrategyFactory:
    # one person linked on several platforms is one eligible member
    return lambda _spec: MemberStrategy(deps.storage.identity.count_voters)


FEATURE = Feature(
    name="voting",
    commands=COMMANDS,
    strategies={"member": member_strategy},
    completers={"choice": complete_choice},
)
