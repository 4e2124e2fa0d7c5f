"""A local OpenAI-compatible chat-completions server (aiohttp, loopback) for tests.

`reply` decides each answer from the request body: return text for a 200 with one
choice, an int for that HTTP error status, or "SLEEP" to hang past the client's
timeout. Every request body is kept in `requests` so tests can check what was sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from tests.harness.fakes.loopback import serve_loopback


class FakeOpenAI:
    def __init__(self, reply: Callable[[dict[str, Any]], str | int]) -> None:
        self.reply = reply
        self.requests: list[dict[str, Any]] = []
        self.auth: list[str | None] = []
        self._runner: web.AppRunner | None = None
        self.base_url = ""
        self._closing = asyncio.Event()

    async def _completions(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append(body)
        self.auth.append(request.headers.get("Authorization"))
        answer = self.reply(body)
        if answer == "SLEEP":
            # hang until the test ends (the client times out first), then let go so
            # shutting the server down does not wait for this handler
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), 30)
        if isinstance(answer, int):
            return web.json_response(
                {"error": {"message": "fake failure", "type": "server_error"}}, status=answer
            )
        return web.json_response(
            {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", ""),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": answer},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }
        )

    async def __aenter__(self) -> FakeOpenAI:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._completions)
        self._runner, port = await serve_loopback(app)
        self.base_url = f"http://127.0.0.1:{port}/v1"
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()
