"""Everything a handler may use, built once in bot/app.py and passed in (no globals)."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from handlers.arena.policy import ArenaPolicy
from handlers.arena.ports import TextModel
from handlers.crossplatform.places import MappedCommunity
from handlers.policy import Policy
from handlers.ports import Clock
from handlers.ratelimit import LimitPolicy
from handlers.reputation.policy import ReputationPolicy
from handlers.reputation.service import ReputationService
from handlers.reputation.strategy import factory as reputation_factory
from handlers.voting.strategies import MemberStrategy, StrategyRegistry
from handlers.wallets.chain import ChainPort
from handlers.wallets.policy import WalletPolicy
from storage import Storage


@dataclass
class Deps:
    storage: Storage
    policy: Policy
    clock: Clock
    charts_dir: Path
    strategies: StrategyRegistry = field(default_factory=StrategyRegistry)
    home_spaces: dict[str, str] = field(default_factory=dict)
    # Platforms whose members vote without a linked wallet even when voting.require_wallet
    # is on: the console, where nobody holds keys, unless console.require_wallet is set.
    wallet_exempt_platforms: frozenset[str] = frozenset()
    community_names: dict[str, str] = field(default_factory=dict)
    # Contributions (issue 7): hooks called after a ballot is stored (ctx, proposal, member),
    # after a proposal closed (deps, proposal), and before a proposal opens (ctx).
    reputation_policy: ReputationPolicy = field(default_factory=ReputationPolicy)
    reputation: ReputationService | None = None
    vote_listeners: list[Callable[..., Awaitable[Any]]] = field(default_factory=list)
    # (ctx, battle, member) after a member's first rating of a battle is stored
    rating_listeners: list[Callable[..., Awaitable[Any]]] = field(default_factory=list)
    closed_listeners: list[Callable[..., Awaitable[Any]]] = field(default_factory=list)
    propose_checks: list[Callable[..., Awaitable[Any]]] = field(default_factory=list)
    wallets: WalletPolicy = field(default_factory=WalletPolicy)
    chain: ChainPort | None = None  # None: no ETH_RPC_URL, chain strategies refused
    arena: ArenaPolicy = field(default_factory=ArenaPolicy)
    arena_models: dict[str, TextModel] = field(default_factory=dict)  # by configured name
    arena_rng: random.Random = field(default_factory=random.Random)
    # One community across platforms (issue 8): configured communities by id, resolved
    # from `[[communities]]` at start-up (where their cards go, their voting default).
    communities: dict[int, MappedCommunity] = field(default_factory=dict)
    limits: LimitPolicy = field(default_factory=LimitPolicy)  # per-member write rate limits

    def __post_init__(self) -> None:
        if "member" not in self.strategies.names:
            self.strategies.register(
                # one person linked on several platforms is one eligible member
                "member",
                lambda _spec: MemberStrategy(self.storage.identity.count_voters),
            )
        if self.reputation is None:
            self.reputation = ReputationService(self.storage, self.reputation_policy, self.clock)
        if "reputation" not in self.strategies.names:
            self.strategies.register("reputation", reputation_factory(self.reputation))
        from handlers.wallets.strategies import register_chain_strategies

        register_chain_strategies(self)
