"""Headless Chromium for page tests: open a URL, read the DOM, save a screenshot.

Drives Debian's `chromium` over the DevTools Protocol (a WebSocket from aiohttp, no
extra package), the same way tests/wallets/test_signing_page.py does. Outside CI a
machine without chromium skips the test with the reason; with CI=true it fails.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest


class Page:
    """One browser tab: navigate, evaluate JavaScript in the page, take screenshots."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.ids = itertools.count(1)
        self.waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()  # DevTools events
        self.session: str | None = None
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for frame in self.ws:
            message = json.loads(frame.data)
            if "id" not in message:
                await self.events.put(message)
                continue
            future = self.waiting.pop(message["id"], None)
            if future is not None and not future.done():
                future.set_result(message)

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        number = next(self.ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.waiting[number] = future
        payload: dict[str, Any] = {"id": number, "method": method, "params": params}
        if self.session is not None and not method.startswith("Target."):
            payload["sessionId"] = self.session
        await self.ws.send_str(json.dumps(payload))
        reply = await asyncio.wait_for(future, 30)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return dict(reply.get("result", {}))

    async def evaluate(self, expression: str) -> Any:
        result = await self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    async def open(self, url: str) -> None:
        """Navigate and wait until the document has loaded."""
        await self.send("Page.navigate", url=url)
        async with asyncio.timeout(30):
            while True:
                state = await self.evaluate("document.readyState")
                href = await self.evaluate("location.href")
                if state == "complete" and href == url:
                    return
                await asyncio.sleep(0.05)

    async def text(self, selector: str = "body") -> str:
        """The rendered text of the first element matching `selector` ('' if none)."""
        found = await self.evaluate(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)}); "
            "return e ? e.innerText : ''; })()"
        )
        return str(found or "")

    async def count(self, selector: str) -> int:
        return int(await self.evaluate(f"document.querySelectorAll({json.dumps(selector)}).length"))

    async def screenshot(self, path: Path) -> Path:
        """The whole page as a PNG at `path`."""
        await self._viewport(600)
        height = await self.evaluate("document.documentElement.scrollHeight")
        await self._viewport(max(600, min(int(height or 600), 8000)))
        shot = await self.send("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    async def _viewport(self, height: int) -> None:
        await self.send(
            "Emulation.setDeviceMetricsOverride",
            width=1000,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )


def chromium_binary() -> str:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is missing in CI (.ci/run installs Debian's chromium)")
        pytest.skip("chromium not installed (apt-get install chromium); browser test skipped")
    return binary


@contextlib.asynccontextmanager
async def browser_page(profile: Path) -> AsyncIterator[Page]:
    """A headless Chromium with one tab, closed afterwards."""
    binary = chromium_binary()
    process = await asyncio.create_subprocess_exec(
        binary,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        "--remote-debugging-address=127.0.0.1",
        "--remote-debugging-port=0",
        "about:blank",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stderr is not None
        endpoint = None
        async with asyncio.timeout(30):
            while endpoint is None:
                line = (await process.stderr.readline()).decode(errors="replace")
                if not line:
                    raise RuntimeError("chromium exited before DevTools listened")
                found = re.search(r"DevTools listening on (ws://127\.0\.0\.1:\d+/\S+)", line)
                endpoint = found.group(1) if found else None
        drain = asyncio.create_task(_drain(process.stderr))
        async with aiohttp.ClientSession() as http, http.ws_connect(endpoint, max_msg_size=0) as ws:
            page = Page(ws)
            try:
                target = await page.send("Target.createTarget", url="about:blank")
                attached = await page.send(
                    "Target.attachToTarget", targetId=target["targetId"], flatten=True
                )
                page.session = attached["sessionId"]
                await page.send("Page.enable")
                await page.send("Runtime.enable")
                yield page
            finally:
                page.reader.cancel()
        drain.cancel()
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()


async def _drain(stream: asyncio.StreamReader) -> None:
    while await stream.readline():
        pass
