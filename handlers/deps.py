"""Everything a handler may use, built once in bot/app.py and passed in (no globals)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from handlers.policy import Policy
from handlers.ports import Clock
from handlers.voting.strategies import MemberStrategy, StrategyRegistry
from storage import Storage


@dataclass
class Deps:
    storage: Storage
    policy: Policy
    clock: Clock
    charts_dir: Path
    strategies: StrategyRegistry = field(default_factory=StrategyRegistry)
    home_spaces: dict[str, str] = field(default_factory=dict)
    community_names: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if "member" not in self.strategies.names:
            self.strategies.register(
                "member", lambda _spec: MemberStrategy(self.storage.members.count)
            )
