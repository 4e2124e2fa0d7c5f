"""The bot's one HTTP server: `/healthz`, `/metrics`, and routes other modules add.

One aiohttp server per process, on `web.listen:web.port`, started by `bot.app.run()`
beside the adapters and stopped after them (so a load balancer sees 503 while the bot
drains, then the port closes).

* `GET /healthz` — 200 `{"status": "ok", ...}` when the database answers `SELECT 1`
  and every adapter reports `connected`; 503 with the same JSON naming what is down
  otherwise (and while shutting down).
* `GET /metrics` — Prometheus text format from the core's own registry (bot/metrics.py).

Extension point (the wallet signing page, webhooks, …): a module that wants a route
appends a `RouteDef` to `core.web_routes` before `run()` starts the server — e.g. from
`build_core`/`make_adapters` wiring:

    from bot.web import RouteDef
    core.web_routes.append(RouteDef("GET", "/link", signing_page_handler))

Handlers are plain aiohttp handlers (`async def h(request: web.Request) -> web.Response`);
`request.app[CORE]` is the Core. Tests (or a module with its own server) can build the
same application directly with `build_web_app(core, extra_routes)`.

`web.enabled` decides whether the server runs: true/false, or unset ("auto": on when a
platform token is set, off in the console chat, where nobody scrapes a terminal).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web
from sqlalchemy import text

from bot.web_settings import WebSettings

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
CORE: web.AppKey[Any] = web.AppKey("core", object)
STOPPING: web.AppKey[dict[str, bool]] = web.AppKey("stopping", dict)
HEALTH_TIMEOUT = 5.0


@dataclass(frozen=True, slots=True)
class RouteDef:
    """One extra route: method ("GET", "POST", …), path ("/link") and handler."""

    method: str
    path: str
    handler: Handler


def web_enabled(settings: WebSettings, *, has_platform_token: bool) -> bool:
    return has_platform_token if settings.enabled is None else settings.enabled


async def health(core: Runtime, *, stopping: bool = False) -> tuple[bool, dict[str, Any]]:
    """(healthy, details): the database answers and every adapter is connected."""
    details: dict[str, Any] = {}
    started = time.perf_counter()
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT), core.storage.db.read() as conn:
            await conn.execute(text("SELECT 1"))
        details["database"] = "ok"
    except Exception as error:  # any failure means "not reachable"; the reason is logged
        log.warning("healthz: database unreachable: %s", type(error).__name__)
        details["database"] = "unreachable"
    details["database_ms"] = round((time.perf_counter() - started) * 1000, 1)
    adapters = {name: bool(getattr(a, "connected", False)) for name, a in core.adapters.items()}
    details["adapters"] = {name: "connected" if up else "down" for name, up in adapters.items()}
    healthy = details["database"] == "ok" and all(adapters.values()) and not stopping
    if stopping:
        details["stopping"] = True
    details["status"] = "ok" if healthy else "unhealthy"
    return healthy, details


def build_web_app(core: Runtime, extra_routes: list[RouteDef] | None = None) -> web.Application:
    """The aiohttp application: /healthz, /metrics, then `extra_routes`."""
    app = web.Application()
    app[CORE] = core
    state = {"stopping": False}

    async def healthz(request: web.Request) -> web.Response:
        healthy, details = await health(core, stopping=state["stopping"])
        return web.json_response(details, status=200 if healthy else 503)

    async def metrics(request: web.Request) -> web.Response:
        from bot.metrics import render

        body, content_type = render(core)
        response = web.Response(body=body)
        response.headers["Content-Type"] = content_type
        return response

    async def on_shutdown(app: web.Application) -> None:
        state["stopping"] = True

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    for route in extra_routes or []:
        app.router.add_route(route.method, route.path, route.handler)
    app.on_shutdown.append(on_shutdown)
    app[STOPPING] = state
    return app


class WebServer:
    """Runs `build_web_app` on one port; `start()` binds, `stop()` closes gracefully."""

    def __init__(self, core: Runtime, settings: WebSettings, extra_routes: list[RouteDef]) -> None:
        self.core = core
        self.settings = settings
        self.app = build_web_app(core, extra_routes)
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self.port: int | None = None

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, self.settings.listen, self.settings.port)
        await self._site.start()
        sockets = self._runner.addresses
        self.port = int(sockets[0][1]) if sockets else self.settings.port
        log.info("web server listening listen=%s port=%s", self.settings.listen, self.port)

    def mark_stopping(self) -> None:
        """From now on /healthz answers 503, so traffic moves away while we drain."""
        self.app[STOPPING]["stopping"] = True

    async def stop(self) -> None:
        if self._runner is not None:
            self.mark_stopping()
            await self._runner.cleanup()
            self._runner = None
            log.info("web server stopped")
