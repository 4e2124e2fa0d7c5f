"""Point discord.py at another REST API and gateway (test servers, proxies).

discord.py has no constructor option for either, so we set the two class attributes it
reads: `discord.http.Route.BASE` (every REST and webhook URL starts with it) and
`DiscordWebSocket.DEFAULT_GATEWAY` (the gateway a plain or explicitly sharded client
dials). Both are process-global, which is why `apply()` returns a function restoring the
previous values; tests/adapters/test_discord.py fails loudly if a discord.py upgrade
moves them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

log = logging.getLogger(__name__)


def apply(api_base_url: str | None, gateway_url: str | None) -> Callable[[], None]:
    """Install the overrides that are set; return a restore function."""
    old_base, old_gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    if api_base_url:
        Route.BASE = api_base_url.rstrip("/")
        log.info("discord REST base overridden base=%s", Route.BASE)
    if gateway_url:
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
        log.info("discord gateway overridden gateway=%s", gateway_url)

    def restore() -> None:
        Route.BASE = old_base
        DiscordWebSocket.DEFAULT_GATEWAY = old_gateway

    return restore
