"""The composition root: settings → storage → features → dispatcher → adapters.

Built once per process; no module-level singletons. `FEATURES` is the one list of
capabilities: each contributes its commands, event listeners and checks, scheduled
jobs, live-card renderers, weight strategies and completions through its `Feature`
object, and nothing else in the runtime names a feature. With no platform token the
console chat runs; with DISCORD_TOKEN and/or TELEGRAM_TOKEN those adapters run side by
side on the same dispatcher and database. Adapters see the `Core` only through the
narrow `AdapterHost` protocol (bot/adapters/base.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import random
import signal
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

from bot.adapters.base import Adapter
from bot.communities import apply_communities
from bot.integrations.chain import build_chain
from bot.integrations.models import build_models
from bot.integrations.summaries import AdapterHistory, build_summariser
from bot.settings import Settings
from handlers.arena.feature import FEATURE as ARENA
from handlers.audit.feature import FEATURE as AUDIT
from handlers.audit.policy import PublicDefaults
from handlers.communities.fanout import fan_out
from handlers.communities.feature import FEATURE as COMMUNITIES
from handlers.core.deps import (
    ArenaDeps,
    AuditDeps,
    CommunityDeps,
    Deps,
    ReputationDeps,
    RewardsDeps,
    RoleDeps,
    SummariesDeps,
    WalletDeps,
)
from handlers.core.dispatch import Dispatcher
from handlers.core.events import ReputationRecomputed
from handlers.core.feature import CompletionRequest, Feature, Job
from handlers.core.ports import Clock, SystemClock
from handlers.core.registry import CommandSpec, Registry
from handlers.core.types import CardKey, Event, Reply
from handlers.councils.feature import FEATURE as COUNCILS
from handlers.disputes.feature import FEATURE as DISPUTES
from handlers.help.feature import FEATURE as HELP
from handlers.proposals.feature import FEATURE as PROPOSALS
from handlers.reach.feature import FEATURE as REACH
from handlers.reach.roles.feature import FEATURE as ROLES
from handlers.reach.summaries.feature import FEATURE as SUMMARIES
from handlers.reputation.feature import FEATURE as REPUTATION
from handlers.reputation.service import ReputationService
from handlers.rewards.feature import FEATURE as REWARDS
from handlers.voting.feature import FEATURE as VOTING
from handlers.wallets.feature import FEATURE as WALLETS
from storage import Storage, open_storage

if TYPE_CHECKING:
    from bot.metrics import Metrics
    from bot.web import RouteDef

log = logging.getLogger(__name__)

# Every capability govbot has, in /help order. A new feature is a folder under
# handlers/ with a `feature.py`, plus one line here.
FEATURES: tuple[Feature, ...] = (
    HELP,
    PROPOSALS,
    VOTING,
    WALLETS,
    ARENA,
    REPUTATION,
    REWARDS,
    COUNCILS,
    DISPUTES,
    COMMUNITIES,
    AUDIT,
    REACH,
    SUMMARIES,
    ROLES,
)

# Handled-delivery keys older than this are forgotten (Telegram redelivers for 24 hours).
DELIVERY_MEMORY_SECONDS = 3 * 24 * 3600.0


@dataclass
class Core:
    """Everything below the adapters; adapters reach it as an `AdapterHost`."""

    settings: Settings
    storage: Storage
    deps: Deps
    dispatcher: Dispatcher
    features: tuple[Feature, ...] = FEATURES
    adapters: dict[str, Adapter] = field(default_factory=dict)
    # Extra HTTP routes for the web server (bot/web.py); append before run() starts it.
    web_routes: list[RouteDef] = field(default_factory=list)
    metrics: Metrics | None = None  # bot/metrics.py, installed by build_core

    # ----- the AdapterHost protocol --------------------------------------------------------
    def settings_for(self, platform: str) -> Any:
        return getattr(self.settings, platform)

    async def dispatch(self, event: Event) -> list[Reply]:
        return await self.dispatcher.handle(event)

    def commands_on(self, platform: str) -> list[CommandSpec]:
        return self.deps.registry.on(platform)

    def command(self, name: str) -> CommandSpec | None:
        return self.deps.registry.get(name)

    async def complete(
        self,
        platform: str,
        space_id: str,
        kind: str,
        typed: str,
        options: Mapping[str, Any],
        *,
        max_items: int = 25,
        max_label: int = 100,
    ) -> list[tuple[str, Any]]:
        """What to offer while a member types a parameter (Discord autocomplete)."""
        completer = next((f.completers[kind] for f in self.features if kind in f.completers), None)
        if completer is None or not space_id:
            return []
        community_id = await self.storage.communities.find_space(platform, space_id)
        if community_id is None:
            return []
        request = CompletionRequest(community_id, typed, options, max_items, max_label)
        return await completer(self.deps, request)

    async def render_card(self, key: CardKey) -> Reply | None:
        return await self.dispatcher.render_card(key)

    async def card_sent(
        self, key: CardKey, platform: str, channel_id: str, message_id: str
    ) -> None:
        await self.dispatcher.card_sent(key, platform, channel_id, message_id)

    async def card_places(self, key: CardKey, platform: str) -> list[tuple[str, str]]:
        return await self.dispatcher.card_places(key, platform)

    async def delivered(self, keys: list[str]) -> dict[str, bool]:
        return await self.storage.deliveries.seen(keys)

    async def mark_delivered(self, key: str) -> None:
        await self.storage.deliveries.mark_done(key)

    async def route(self, replies: list[Reply]) -> None:
        """Deliver replies that name their place (scheduled results) to their platform."""
        for reply in replies:
            if reply.edit and reply.where is None:  # a card refresh: every platform's copy
                for adapter in self.adapters.values():
                    await adapter.deliver(reply)
                continue
            platform = reply.where.platform if reply.where else None
            target = self.adapters.get(platform or "")
            if target is None:
                log.warning("no adapter for reply platform=%s", platform)
                continue
            try:
                await target.deliver(reply)
            except Exception:
                log.exception("delivering a scheduled reply failed platform=%s", platform)

    # ----- jobs ---------------------------------------------------------------------------
    def jobs(self) -> list[Job]:
        return [job for feature in self.features for job in feature.jobs]

    async def run_job(self, job: Job) -> None:
        await self.route(await job.run(self.deps))

    async def close_due(self) -> None:
        """Run once every job that catches up on work fallen due (closing, reveals)."""
        for job in self.jobs():
            if job.at_start:
                await self.run_job(job)

    async def close(self) -> None:
        await self.storage.close()
        close_chain = getattr(self.deps.wallets.chain, "close", None)
        if close_chain is not None:
            await close_chain()
        close_summariser = getattr(self.deps.summaries.model, "close", None)
        if close_summariser is not None:
            await close_summariser()


def job_interval(job: Job, settings: Settings) -> float:
    return float(job.every(settings) if callable(job.every) else job.every)


def build_deps(
    settings: Settings, storage: Storage, clock: Clock, features: Sequence[Feature]
) -> Deps:
    """Each feature's settings and ports, then the features' commands, events, strategies."""
    home_spaces: dict[str, str] = {"console": "console"}
    if settings.telegram.home_chat_id:
        home_spaces["telegram"] = settings.telegram.home_chat_id
    if settings.discord.home_guild_id:
        home_spaces["discord"] = settings.discord.home_guild_id
    reputation = ReputationService(storage, settings.reputation, clock)
    deps = Deps(
        storage=storage,
        policy=settings.policy,
        clock=clock,
        charts_dir=settings.charts_dir,
        limits=settings.limits,
        wallets=WalletDeps(
            policy=settings.wallets,
            chain=build_chain(settings.wallets),
            exempt_platforms=frozenset(() if settings.console.require_wallet else ("console",)),
        ),
        arena=ArenaDeps(
            policy=settings.arena.policy(),
            models=build_models(settings.arena),
            rng=random.Random(),
        ),
        reputation=ReputationDeps(policy=settings.reputation, service=reputation),
        reach=settings.reach,
        communities=CommunityDeps(
            home_spaces=home_spaces, names={"console:console": settings.console.community}
        ),
        rewards=RewardsDeps(
            policy=settings.rewards,
            model_owners={m.name: m.owner for m in settings.arena.models if m.owner},
        ),
        audit=AuditDeps(
            policy=settings.audit,
            public=PublicDefaults(
                settings.web.public_url, settings.web.public_pages, settings.web.ballots_private
            ),
        ),
        councils=settings.councils,
        summaries=SummariesDeps(
            policy=settings.summaries.policy(), model=build_summariser(settings.summaries)
        ),
        roles=RoleDeps(rules=tuple(settings.roles), checks=settings.role_checks),
        disputes=settings.disputes,
    )
    install_features(deps, features)
    return deps


def build_registry(features: Sequence[Feature] = FEATURES) -> Registry:
    """Every feature's commands and button presses in one table (a name twice is an error)."""
    registry = Registry()
    for feature in features:
        if feature.commands is not None:
            registry.merge(feature.commands)
    return registry


def install_features(deps: Deps, features: Sequence[Feature]) -> None:
    """Put every feature's commands, listeners, checks and strategies where they run."""
    for feature in features:
        for event_type, listeners in feature.listeners.items():
            for listener in listeners:
                deps.events.subscribe(event_type, listener)
        for event_type, checks in feature.checks.items():
            for check in checks:
                deps.events.add_check(event_type, check)
        for name, builder in feature.strategies.items():
            deps.strategies.register(name, builder(deps))
    deps.registry = build_registry(features)


def build_dispatcher(deps: Deps, features: Sequence[Feature] = FEATURES) -> Dispatcher:
    cards = {kind: render for f in features for kind, render in f.cards.items()}
    return Dispatcher(deps, cards=cards, extra_steps=[fan_out])


async def build_core(
    settings: Settings, *, clock: Clock | None = None, features: Sequence[Feature] = FEATURES
) -> Core:
    storage = await open_storage(
        settings.database_url, sqlite_synchronous=settings.sqlite_synchronous
    )
    deps = build_deps(settings, storage, clock or SystemClock(), features)
    # [[communities]]: spaces of several platforms mapped to one community
    deps.communities.mapped = await apply_communities(storage, settings.communities)
    if len(settings.communities) == 1:  # private chats act on the only configured community
        for platform, space in settings.communities[0].spaces():
            deps.communities.home_spaces.setdefault(platform, space)
    core = Core(settings, storage, deps, build_dispatcher(deps, features), tuple(features))
    deps.summaries.history = AdapterHistory(core.adapters)  # adapters join it as they start
    from bot.role_sinks import platform_sinks

    deps.roles.sinks.update(platform_sinks(core.adapters))  # role calls on each platform

    async def recomputed(community_id: int) -> None:
        # what listeners say (a role granted on the console) goes where each reply names
        await core.route(await deps.events.publish(deps, ReputationRecomputed(community_id)))

    if deps.reputation.service is not None:
        deps.reputation.service.on_recomputed = recomputed
    from bot.metrics import install_metrics

    core.metrics = install_metrics(core)
    # Start-up allocates a large, long-lived heap (libraries, registry, settings). Freezing
    # it keeps the collector's full passes small, so a burst of votes never stalls on a
    # tens-of-milliseconds generation-2 sweep (measured: p99 67 ms → ~20 ms).
    gc.collect()
    gc.freeze()
    return core


def make_adapters(core: Core, *, stdin: TextIO | None = None, stdout: TextIO | None = None) -> None:
    """Pick the adapters: platforms whose token is set, else the console."""
    settings = core.settings
    if settings.telegram.token is not None:
        from bot.adapters.telegram import TelegramAdapter

        core.adapters["telegram"] = TelegramAdapter(
            core, drain_seconds=settings.shutdown_drain_seconds
        )
    if settings.discord.token is not None:
        from bot.adapters.discord import DiscordAdapter

        core.adapters["discord"] = DiscordAdapter(core)
    if not core.adapters:
        from bot.adapters.console import ConsoleAdapter

        core.adapters["console"] = ConsoleAdapter(core, stdin=stdin, stdout=stdout)


async def _job_loop(core: Core, job: Job) -> None:
    interval = job_interval(job, core.settings)
    while True:
        await asyncio.sleep(interval)
        try:
            await core.run_job(job)
        except Exception:
            log.exception("scheduled job failed job=%r; will retry", job.name)


async def drain(
    core: Core,
    runners: list[asyncio.Task[None]],
    scheduled: list[asyncio.Task[None]],
    server: Any,
    deadline: float,
) -> None:
    """One bounded drain for the whole process: every adapter stops taking events and
    finishes those in hand, side by side, by the same `deadline` (event-loop time).

    Scheduled jobs are cancelled first (each catches up at the next start). Whatever an
    adapter cannot finish by the deadline is cut off; Telegram delivers it again after
    the restart, and writes already queued still land when storage closes."""
    loop = asyncio.get_running_loop()
    log.info("stopping: finishing in-flight events within %.1fs", max(0.0, deadline - loop.time()))
    if server is not None:
        server.mark_stopping()  # /healthz → 503 while we drain
    for task in scheduled:
        task.cancel()
    await asyncio.gather(*scheduled, return_exceptions=True)
    stops = [adapter.stop(deadline) for adapter in core.adapters.values()]
    for name, outcome in zip(
        core.adapters, await asyncio.gather(*stops, return_exceptions=True), strict=True
    ):
        if isinstance(outcome, Exception):
            log.error("stopping the %s adapter failed", name, exc_info=outcome)
    if runners:  # run() returns once stop() has finished; allow a moment past the deadline
        await asyncio.wait(runners, timeout=max(0.0, deadline - loop.time()) + 1.0)
    late = [task for task in runners if not task.done()]
    for task in late:
        task.cancel()
    await asyncio.gather(*late, return_exceptions=True)


async def run(
    settings: Settings, *, stdin: TextIO | None = None, stdout: TextIO | None = None
) -> None:
    """Serve until the console reaches end of input, or until SIGINT/SIGTERM."""
    core = await build_core(settings)
    server = None
    page = None
    try:
        make_adapters(core, stdin=stdin, stdout=stdout)
        from bot.web import WebServer, web_enabled

        has_token = settings.telegram.token is not None or settings.discord.token is not None
        if web_enabled(settings.web, has_platform_token=has_token):
            from bot.public import routes as public_routes

            core.web_routes.extend(public_routes(core))  # each community opts in to them
            server = WebServer(core, settings.web, core.web_routes)
            await server.start()
        if settings.wallets.signing_page:
            from bot.signing_page import SigningPageServer

            page = SigningPageServer(core)
            await page.start()
        await core.close_due()  # proposals that ended while we were down close now, once
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        await core.storage.deliveries.prune(time.time() - DELIVERY_MEMORY_SECONDS)
        scheduled = [asyncio.create_task(_job_loop(core, job)) for job in core.jobs()]
        runners = [asyncio.create_task(a.run()) for a in core.adapters.values()]
        stopper = asyncio.create_task(stop.wait())
        await asyncio.wait([*runners, stopper], return_when=asyncio.FIRST_COMPLETED)
        await drain(core, runners, scheduled, server, loop.time() + settings.shutdown_drain_seconds)
        stopper.cancel()
        await asyncio.gather(stopper, return_exceptions=True)
        for task in runners:
            if task.done() and not task.cancelled() and (error := task.exception()) is not None:
                raise error
    finally:
        if page is not None:
            await page.stop()
        if server is not None:
            await server.stop()
        await core.close()  # drains the group-commit queues: every acknowledged write lands
        log.info("stopped")
