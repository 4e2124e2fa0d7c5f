"""Serve an aiohttp app on 127.0.0.1 at a free port: how every local fake listens."""

from __future__ import annotations

from typing import Any

from aiohttp import web


async def serve_loopback(app: web.Application, **runner_options: Any) -> tuple[web.AppRunner, int]:
    """Start `app`; the runner (`await runner.cleanup()` stops it) and the port it got."""
    runner = web.AppRunner(app, **runner_options)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, int(runner.addresses[0][1])
