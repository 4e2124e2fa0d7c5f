"""Everything a handler may use, grouped by the feature that owns it.

Built once by the composition root (`bot/app.py`) and passed in; no globals. Each
group holds one feature's settings and ports, so a handler reads `deps.arena.policy` or
`deps.wallets.chain` and a reader sees at once whose setting or port it is. Nothing
here wires anything: strategies, listeners and jobs come from the features.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from handlers.arena.policy import ArenaPolicy
from handlers.arena.ports import TextModel
from handlers.audit.policy import AuditPolicy, PublicDefaults
from handlers.communities.places import MappedCommunity
from handlers.core.bus import EventBus
from handlers.core.ports import Clock
from handlers.core.ratelimit import LimitPolicy
from handlers.core.registry import Registry
from handlers.councils.policy import CouncilPolicy
from handlers.disputes.policy import DisputePolicy
from handlers.proposals.policy import Policy
from handlers.reach.policy import ReachPolicy
from handlers.reach.roles.policy import RoleChecks, RoleRule
from handlers.reach.roles.ports import RoleSink
from handlers.reach.summaries.policy import SummariesPolicy
from handlers.reach.summaries.ports import SummaryModel, ThreadHistory
from handlers.reputation.policy import ReputationPolicy
from handlers.rewards.policy import RewardsPolicy
from handlers.voting.strategies import StrategyRegistry
from handlers.wallets.chain import ChainPort
from handlers.wallets.policy import WalletPolicy
from storage import Storage

if TYPE_CHECKING:
    from handlers.reputation.service import ReputationService


@dataclass
class WalletDeps:
    policy: WalletPolicy = field(default_factory=WalletPolicy)
    chain: ChainPort | None = None  # None: no ETH_RPC_URL, chain strategies refused
    # Platforms whose members vote without a linked wallet even when voting.require_wallet
    # is on: the console, where nobody holds keys, unless console.require_wallet is set.
    exempt_platforms: frozenset[str] = frozenset()


@dataclass
class ArenaDeps:
    policy: ArenaPolicy = field(default_factory=ArenaPolicy)
    models: dict[str, TextModel] = field(default_factory=dict)  # by configured name
    rng: random.Random = field(default_factory=random.Random)


@dataclass
class ReputationDeps:
    policy: ReputationPolicy = field(default_factory=ReputationPolicy)
    service: ReputationService | None = None  # built by the composition root


@dataclass
class RewardsDeps:
    policy: RewardsPolicy = field(default_factory=RewardsPolicy)
    # who is paid for each arena model: a member ("platform:user id" or a name) or 0x…
    model_owners: dict[str, str] = field(default_factory=dict)


@dataclass
class CommunityDeps:
    # the space a private chat acts on, per platform
    home_spaces: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # display names by "platform:space"
    # configured communities by id, resolved from `[[communities]]` at start-up
    mapped: dict[int, MappedCommunity] = field(default_factory=dict)


@dataclass
class AuditDeps:
    policy: AuditPolicy = field(default_factory=AuditPolicy)  # checkpoints
    public: PublicDefaults = field(default_factory=PublicDefaults)  # public pages, links


@dataclass
class SummariesDeps:
    policy: SummariesPolicy = field(default_factory=SummariesPolicy)
    model: SummaryModel | None = None  # None: no summariser configured
    history: ThreadHistory | None = None  # platforms that read a thread at request time


@dataclass
class RoleDeps:
    rules: tuple[RoleRule, ...] = ()  # `[[roles]]`
    checks: RoleChecks = field(default_factory=RoleChecks)
    sinks: dict[str, RoleSink] = field(default_factory=dict)  # by platform, from bot/
    # problems an operator must fix, by role name: logged once, shown by /roles
    problems: dict[str, str] = field(default_factory=dict)


@dataclass
class Deps:
    storage: Storage
    policy: Policy  # the proposal and voting rules every community runs under
    clock: Clock
    charts_dir: Path
    events: EventBus = field(default_factory=EventBus)
    registry: Registry = field(default_factory=Registry)  # every feature's commands
    strategies: StrategyRegistry = field(default_factory=StrategyRegistry)
    limits: LimitPolicy = field(default_factory=LimitPolicy)  # per-member write rate limits
    wallets: WalletDeps = field(default_factory=WalletDeps)
    arena: ArenaDeps = field(default_factory=ArenaDeps)
    reputation: ReputationDeps = field(default_factory=ReputationDeps)
    communities: CommunityDeps = field(default_factory=CommunityDeps)
    rewards: RewardsDeps = field(default_factory=RewardsDeps)
    audit: AuditDeps = field(default_factory=AuditDeps)
    reach: ReachPolicy = field(default_factory=ReachPolicy)  # reminders
    councils: CouncilPolicy = field(default_factory=CouncilPolicy)  # council defaults
    summaries: SummariesDeps = field(default_factory=SummariesDeps)
    roles: RoleDeps = field(default_factory=RoleDeps)  # roles that follow rules
    disputes: DisputePolicy = field(default_factory=DisputePolicy)  # dispute rules
