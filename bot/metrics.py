"""Prometheus metrics for one Core, served at /metrics by bot/web.py.

Each Core gets its own `CollectorRegistry` (no process-wide globals, so tests that build
several cores never see each other's counts). Handlers know nothing of Prometheus: the
dispatcher calls its `observers` after every event and `install_metrics` registers one;
the group-commit queues report batch sizes the same way, and queue depth and adapter
connectivity are read at scrape time.

Label values come only from closed sets (registered command names, adapter platforms,
fixed outcomes), never from user input, so a member cannot blow up cardinality by
sending /random-garbage commands: unknown names are counted as "unknown".
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from handlers.core.types import Command, Event, Posted, Press, Reaction, Reply

if TYPE_CHECKING:
    from bot.runtime import Runtime
    from storage.group_commit import GroupCommitter

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
BATCH_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
QUEUES = ("ballots", "wallets", "contributions")  # Storage repositories with a group commit


def committers(core: Runtime) -> dict[str, GroupCommitter[Any, Any]]:
    """The group-commit queues of the storage layer, by repository name."""
    found: dict[str, GroupCommitter[Any, Any]] = {}
    for name in QUEUES:
        committer = getattr(getattr(core.storage, name, None), "_committer", None)
        if committer is not None:
            found[name] = committer
    return found


class _LiveGauges(Collector):
    """Values read at scrape time: queue depths and adapter connectivity."""

    def __init__(self, core: Runtime) -> None:
        self.core = core

    def collect(self) -> Iterator[GaugeMetricFamily]:
        depth = GaugeMetricFamily(
            "govbot_group_commit_pending",
            "Writes queued for the next group commit (queue depth)",
            labels=["queue"],
        )
        for name, committer in committers(self.core).items():
            depth.add_metric([name], committer.pending)
        yield depth
        connected = GaugeMetricFamily(
            "govbot_adapter_connected",
            "1 if the platform adapter is connected",
            labels=["platform"],
        )
        for platform, adapter in self.core.adapters.items():
            connected.add_metric([platform], 1.0 if getattr(adapter, "connected", False) else 0.0)
        yield connected


class Metrics:
    """The collectors of one Core, and the dispatcher observer that feeds them."""

    def __init__(self, core: Runtime) -> None:
        self.core = core
        self._children: dict[tuple[int, tuple[str, ...]], Any] = {}
        self.registry = CollectorRegistry()
        r = self.registry
        self.commands = Counter(
            "govbot_commands",
            "Commands handled, by command (buttons as button:<action>) and outcome "
            "(ok, refused, limited, error)",
            ["command", "outcome"],
            registry=r,
        )
        self.events = Counter(
            "govbot_events", "Events handled, by kind and outcome", ["kind", "outcome"], registry=r
        )
        self.votes = Counter(
            "govbot_votes",
            "Ballots accepted, by platform and way (command or button)",
            ["platform", "via"],
            registry=r,
        )
        self.errors = Counter(
            "govbot_errors",
            "Unhandled errors (answered with an error id), by event kind",
            ["kind"],
            registry=r,
        )
        self.limited = Counter(
            "govbot_rate_limited",
            "Commands refused by the per-member rate limit",
            ["platform"],
            registry=r,
        )
        self.latency = Histogram(
            "govbot_command_seconds",
            "Time to handle a command or button press, in seconds",
            ["command"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.batch_size = Histogram(
            "govbot_group_commit_batch_size",
            "Writes per group-commit transaction",
            ["queue"],
            buckets=BATCH_BUCKETS,
            registry=r,
        )
        r.register(_LiveGauges(core))
        for name, committer in committers(core).items():
            committer.batch_observers.append(self.batch_size.labels(name).observe)

    def _child(self, metric: Any, *labels: str) -> Any:
        """`metric.labels(*labels)`, memoised: label lookup is most of an observation's cost
        and runs on every event (label values come from closed sets, so this stays small)."""
        key = (id(metric), labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child

    def observe(self, event: Event, replies: list[Reply], seconds: float, outcome: str) -> None:
        """Dispatcher observer: count the event, its outcome and its latency."""
        payload = event.payload
        registry = self.core.dispatcher.registry
        platform = event.actor.platform if event.actor.platform in self._platforms() else "other"
        name: str | None = None
        match payload:
            case Command():
                kind = "command"
                name = payload.name if registry.get(payload.name) is not None else "unknown"
            case Press():
                kind = "press"
                known = payload.action in registry.presses
                name = f"button:{payload.action if known else 'unknown'}"
            case Reaction():
                kind = "reaction"
            case Posted():
                kind = "posted"
            case _:
                kind = "other"
        self._child(self.events, kind, outcome).inc()
        if name is not None:
            self._child(self.commands, name, outcome).inc()
            self._child(self.latency, name).observe(seconds)
            if outcome == "ok" and name in ("vote", "button:vote"):
                self._child(self.votes, platform, "button" if kind == "press" else "command").inc()
        if outcome == "error":
            self._child(self.errors, kind).inc()
        elif outcome == "limited":
            self._child(self.limited, platform).inc()

    def _platforms(self) -> set[str]:
        return {"console", "telegram", "discord", *self.core.adapters}

    def render(self) -> bytes:
        return generate_latest(self.registry)


def install_metrics(core: Runtime) -> Metrics:
    """Create the core's metrics and hook them into the dispatcher and the queues."""
    metrics = Metrics(core)
    core.dispatcher.observers.append(metrics.observe)
    return metrics


def render(core: Runtime) -> tuple[bytes, str]:
    """The /metrics body and content type (installing metrics on first use)."""
    metrics = getattr(core, "metrics", None)
    if metrics is None:
        metrics = core.metrics = install_metrics(core)
    return metrics.render(), CONTENT_TYPE_LATEST
