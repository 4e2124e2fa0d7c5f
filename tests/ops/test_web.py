"""The operations web server: /healthz, /metrics and the extra-route extension point."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from bot.app import Core
from bot.settings import load_settings
from bot.web import RouteDef, WebServer, WebSettings, web_enabled
from handlers.core.context import Context
from handlers.core.ratelimit import LimitPolicy
from handlers.core.registry import CommandSpec
from handlers.core.types import Reply
from tests.conftest import is_refusal, press, run_command


@dataclass
class StubAdapter:
    """Stands in for a platform adapter: only `connected` matters to /healthz."""

    platform: str
    connected: bool = True

    async def run(self) -> None: ...
    async def deliver(self, reply: Reply) -> None: ...
    async def stop(self) -> None: ...


@contextlib.asynccontextmanager
async def serving(core: Core) -> AsyncIterator[str]:
    server = WebServer(core, WebSettings(listen="127.0.0.1", port=0), core.web_routes)
    await server.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        await server.stop()


async def get(url: str) -> tuple[int, str, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, response.headers.get("Content-Type", ""), await response.text()


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Parse the exposition text: (sample name, sorted labels) → value."""
    found: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_enabled_setting_defaults_to_platform_token() -> None:
    auto = WebSettings()
    assert web_enabled(auto, has_platform_token=True) is True
    assert web_enabled(auto, has_platform_token=False) is False
    assert web_enabled(WebSettings(enabled=True), has_platform_token=False) is True
    assert web_enabled(WebSettings(enabled=False), has_platform_token=True) is False
    assert load_settings(web={"port": 9100}).web.port == 9100


async def test_healthz_reports_database_and_adapters(
    core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    core.adapters["telegram"] = StubAdapter("telegram")
    core.adapters["discord"] = StubAdapter("discord")
    async with serving(core) as base:
        status, kind, body = await get(f"{base}/healthz")
        assert status == 200 and kind.startswith("application/json")
        assert '"database": "ok"' in body and '"discord": "connected"' in body

        core.adapters["discord"].connected = False  # type: ignore[attr-defined]
        status, _, body = await get(f"{base}/healthz")
        assert status == 503 and '"discord": "down"' in body and '"telegram": "connected"' in body
        core.adapters["discord"].connected = True  # type: ignore[attr-defined]

        @contextlib.asynccontextmanager
        async def unreachable() -> AsyncIterator[Any]:
            raise ConnectionRefusedError("no database")
            yield

        monkeypatch.setattr(core.storage.db, "read", unreachable)
        status, _, body = await get(f"{base}/healthz")
        assert status == 503 and '"database": "unreachable"' in body
        monkeypatch.undo()
        assert (await get(f"{base}/healthz"))[0] == 200


async def test_metrics_count_commands_votes_errors_and_queues(core: Core) -> None:
    async def broken(ctx: Context, args: dict[str, Any]) -> list[Reply]:
        raise RuntimeError("boom")

    core.dispatcher.registry.add(CommandSpec("explode", "fails", "/explode", (), broken))
    core.adapters["console"] = StubAdapter("console")
    core.dispatcher.limiter.policy = LimitPolicy(exempt_platforms=[])  # limit console members
    await run_command(core, "admin", "/propose Pick | yes | no", admin=True)
    for name in ("ann", "ben", "cat"):
        assert not is_refusal(await run_command(core, name, "/vote 1 yes"))
    assert not is_refusal(await press(core, "dan", "vote", "1", "1"))
    assert is_refusal(await run_command(core, "ann", "/vote 99 yes"))  # refused: not found
    assert is_refusal(await run_command(core, "ann", "/no-such-command-<script>"))
    assert is_refusal(await run_command(core, "ann", "/explode"))  # an internal error
    for _ in range(12):  # the 11th write in a burst is limited (defaults: burst 10)
        await run_command(core, "eve", "/vote 1 no")

    async with serving(core) as base:
        status, kind, body = await get(f"{base}/metrics")
    assert status == 200 and kind.startswith("text/plain")
    found = samples(body)

    def value(name: str, **labels: str) -> float:
        return found.get((name, tuple(sorted(labels.items()))), 0.0)

    assert value("govbot_commands_total", command="vote", outcome="ok") == 3 + 10
    assert value("govbot_commands_total", command="vote", outcome="refused") == 1
    assert value("govbot_commands_total", command="vote", outcome="limited") == 2
    assert value("govbot_commands_total", command="button:vote", outcome="ok") == 1
    assert value("govbot_commands_total", command="unknown", outcome="refused") == 1
    assert not any("script" in str(labels) for _, labels in found), "user text is no label"
    assert value("govbot_commands_total", command="explode", outcome="error") == 1
    assert value("govbot_errors_total", kind="command") == 1
    assert value("govbot_votes_total", platform="console", via="command") == 13
    assert value("govbot_votes_total", platform="console", via="button") == 1
    assert value("govbot_rate_limited_total", platform="console") == 2
    assert value("govbot_command_seconds_count", command="vote") == 16
    assert value("govbot_command_seconds_bucket", command="vote", le="+Inf") == 16
    assert value("govbot_group_commit_batch_size_count", queue="ballots") >= 1
    assert value("govbot_group_commit_batch_size_sum", queue="ballots") == 14  # every ballot
    assert ("govbot_group_commit_pending", (("queue", "ballots"),)) in found
    assert value("govbot_adapter_connected", platform="console") == 1


async def test_extra_routes_are_served_beside_health(core: Core) -> None:
    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="signing page")

    core.web_routes.append(RouteDef("GET", "/link", hello))
    async with serving(core) as base:
        assert await get(f"{base}/link") == (200, "text/plain; charset=utf-8", "signing page")
        assert (await get(f"{base}/healthz"))[0] == 200
        assert (await get(f"{base}/nope"))[0] == 404
