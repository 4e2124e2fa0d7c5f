"""The webhook endpoint Telegram posts updates to, answering only once they are handled.

python-telegram-bot's webhook server answers 200 as soon as an update is queued, so an
update still queued when the process stops or dies is lost: Telegram got its 200. Here
the answer waits for the update to be handled and noted done (`UpdateFeed.take_one`);
while stopping, or when the drain cut an update off, the answer is 503 and Telegram
posts the update again later. A request without the secret token set in setWebhook is
refused with 403 before anything is read from it.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

Take = Callable[[dict[str, Any]], Awaitable[bool]]


class WebhookServer:
    def __init__(self, listen: str, port: int, path: str, secret: str, take: Take) -> None:
        self.listen = listen
        self.port = port
        self.path = "/" + path.lstrip("/")
        self.secret = secret
        self._take = take
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application(client_max_size=10 * 1024 * 1024)
        app.router.add_post(self.path, self._post)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.listen, self.port).start()
        log.info("telegram webhook listening listen=%s port=%s", self.listen, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _post(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            return web.Response(status=403)
        try:
            data = await request.json()
        except ValueError:
            return web.Response(status=400)
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return web.Response(status=400)
        handled = await self._take(data)
        return web.Response(status=200 if handled else 503)
