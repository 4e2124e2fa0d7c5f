"""The browser signing page: HTTP behaviour on both engines, and a real headless Chromium.

The browser test drives Debian's `chromium` over the DevTools Protocol (a WebSocket from
aiohttp, no extra package): it injects a test `window.ethereum` whose requests reach
this test through a CDP binding, signs `personal_sign` with a key the test holds (the
key never enters the page), clicks the page's button and waits for the page to say it
is linked; then the database must hold the link and the chat must have the confirmation.
Outside CI a machine without chromium skips it with the reason; with CI=true it fails.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from eth_account import Account
from eth_account.messages import encode_defunct

from bot.app import Core, build_core
from bot.settings import load_settings
from bot.signing_page import SigningPageServer, render_page
from handlers.core.ports import ManualClock
from handlers.core.types import Reply
from tests.conftest import run_command
from tests.harness.browser import browser_page
from tests.wallets.conftest import counts, sign


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Recorder:
    """A stand-in console adapter that keeps what the bot delivers without an event."""

    platform = "console"
    connected = True

    def __init__(self) -> None:
        self.delivered: list[Reply] = []

    async def run(self) -> None:  # pragma: no cover - never run here
        return None

    async def deliver(self, reply: Reply) -> None:
        self.delivered.append(reply)

    async def stop(self) -> None:
        return None


async def _page_core(database_url: str, tmp_path: Path, clock: ManualClock) -> Core:
    port = _free_port()
    settings = load_settings(
        database_url=database_url,
        charts_dir=tmp_path / "charts",
        wallets={
            "domain": f"127.0.0.1:{port}",
            "uri": f"http://127.0.0.1:{port}/link",
            "chain_id": 1337,
            "signing_page": True,
            "signing_page_listen": "127.0.0.1",
            "signing_page_port": port,
            "signing_page_url": f"http://127.0.0.1:{port}/link",
        },
    )
    core = await build_core(settings, clock=clock)
    core.adapters["console"] = Recorder()  # type: ignore[assignment]
    return core


@pytest.fixture
async def page(
    database_url: str, tmp_path: Path, clock: ManualClock
) -> AsyncIterator[tuple[Core, SigningPageServer]]:
    core = await _page_core(database_url, tmp_path, clock)
    server = SigningPageServer(core)
    await server.start()
    try:
        yield core, server
    finally:
        await server.stop()
        await core.close()


async def _start_link(core: Core, user: str, address: str) -> tuple[str, str]:
    """/link as `user`: (the page URL from the reply, the issued message)."""
    replies = await run_command(core, user, f"/link {address}")
    found = re.search(r"(http://127\.0\.0\.1:\d+/link\?n=[A-Za-z0-9]+)", replies[0].text)
    assert found, replies[0].text
    record = await core.storage.nonces.nonce(replies[0].meta["nonce"])
    assert record is not None
    return found.group(1), record.message


async def test_page_shows_the_escaped_message_with_strict_headers(page) -> None:
    core, _ = page
    alice = Account.create()
    url, message = await _start_link(core, "alice", alice.address)
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        assert response.status == 200
        body = await response.text()
        headers = response.headers
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert headers["Referrer-Policy"] == "no-referrer" and headers["Cache-Control"] == "no-store"
    assert alice.address in body
    # the message sits in an attribute and a <pre>, escaped; newlines kept verbatim
    assert f'data-message="{message}"' in body
    assert "<script>" not in body and 'src="/link/sign.js"' in body
    hostile = render_page(path="/link", title="t", message='<script>x</script>"', address="a")
    assert "<script>x" not in hostile and "&lt;script&gt;x&lt;/script&gt;&quot;" in hostile


async def test_unknown_used_and_bad_nonces_get_a_page_not_a_form(page) -> None:
    core, server = page
    base = f"http://127.0.0.1:{server.port}/link"
    dave = Account.create()
    used_url, message = await _start_link(core, "dave", dave.address)
    await run_command(core, "dave", f"/verify {sign(dave, message)}")  # linked in the chat
    async with aiohttp.ClientSession() as http:
        async with http.get(used_url) as response:
            assert response.status == 410 and "already completed" in await response.text()
        for query, status in (("?n=abcdefgh1234", 404), ("?n=%3Cscript%3E", 404), ("", 404)):
            async with http.get(base + query) as response:
                assert response.status == status
                body = await response.text()
                assert 'id="sign"' not in body and "<script" not in body.lower()
        async with http.get(base + "/sign.js") as response:
            assert response.status == 200
            assert "personal_sign" in await response.text()


async def test_posted_signatures_are_checked_like_verify(page) -> None:
    core, server = page
    recorder = core.adapters["console"]
    alice, mallory = Account.create(), Account.create()
    url, message = await _start_link(core, "alice", alice.address)
    nonce = url.rsplit("=", 1)[1]
    post = f"http://127.0.0.1:{server.port}/link"
    before = await counts(core)
    async with aiohttp.ClientSession() as http:
        async with http.post(post, json={"n": nonce, "signature": sign(mallory, message)}) as r:
            refused = await r.json()
            assert r.status == 400 and not refused["ok"]
        assert f"made by {mallory.address}" in refused["text"]
        async with http.post(post, data="n=x", headers={"Content-Type": "text/plain"}) as r:
            assert r.status == 415
        async with http.post(post, json={"n": nonce, "signature": "0x1234"}) as r:
            assert r.status == 400
        assert await counts(core) == before  # refusals wrote nothing
        assert recorder.delivered == []
        async with http.post(post, json={"n": nonce, "signature": sign(alice, message)}) as r:
            accepted = await r.json()
            assert r.status == 200 and accepted["ok"], accepted
        async with http.post(post, json={"n": nonce, "signature": sign(alice, message)}) as r:
            again = await r.json()
            assert not again["ok"] and "already completed" in again["text"]
    member = await core.storage.members.find_by_name(1, "alice")
    assert member is not None
    link = await core.storage.wallets.active(member.id, fresh=True)
    assert link is not None and link.address == alice.address
    [confirmation] = recorder.delivered
    assert alice.address in confirmation.text and confirmation.where is not None
    assert (confirmation.where.platform, confirmation.where.channel_id) == ("console", "alice")


async def test_link_mentions_the_page_only_when_it_is_on(core) -> None:
    replies = await run_command(core, "bob", f"/link {Account.create().address}")
    assert "?n=" not in replies[0].text


# ----------------------------------------------------------------------------- browser

INJECTED = """
(() => {
  const waiting = new Map();
  let next = 0;
  window.__walletResolve = (id, result, error) => {
    const entry = waiting.get(id);
    waiting.delete(id);
    if (error) entry.reject(new Error(error)); else entry.resolve(result);
  };
  window.ethereum = {
    isTestWallet: true,
    request: ({ method, params }) => new Promise((resolve, reject) => {
      const id = ++next;
      waiting.set(id, { resolve, reject });
      window.__walletRequest(JSON.stringify({ id, method, params: params || [] }));
    }),
  };
})();
"""


async def test_headless_chromium_links_a_wallet_end_to_end(
    tmp_path: Path, clock: ManualClock
) -> None:
    core = await _page_core(f"sqlite:///{tmp_path}/page.db", tmp_path, clock)
    server = SigningPageServer(core)
    await server.start()
    wallet = Account.create()
    asked: list[str] = []
    try:
        url, message = await _start_link(core, "carol", wallet.address)
        async with browser_page(tmp_path / "profile") as tools:
            await tools.send("Runtime.addBinding", name="__walletRequest")
            await tools.send("Page.addScriptToEvaluateOnNewDocument", source=INJECTED)
            await tools.send("Page.navigate", url=url)
            async with asyncio.timeout(30):
                while await tools.evaluate("document.readyState") != "complete":
                    await asyncio.sleep(0.05)
                assert await tools.evaluate("document.getElementById('link').dataset.state") == (
                    "pending"
                )
                await tools.evaluate("document.getElementById('sign').click()")
                state = "pending"
                while state == "pending":
                    try:
                        event = await asyncio.wait_for(tools.events.get(), 0.2)
                    except TimeoutError:
                        state = await tools.evaluate(
                            "document.getElementById('link').dataset.state"
                        )
                        continue
                    if event.get("method") == "Runtime.bindingCalled":
                        request = json.loads(event["params"]["payload"])
                        asked.append(request["method"])
                        result = _wallet_answer(wallet, request)
                        await tools.evaluate(
                            f"window.__walletResolve({request['id']}, {json.dumps(result)})"
                        )
            status = await tools.evaluate("document.getElementById('status').textContent")
        assert state == "linked", status
        assert asked == ["eth_requestAccounts", "personal_sign"]
        assert f"Linked {wallet.address}" in status
        member = await core.storage.members.find_by_name(1, "carol")
        assert member is not None
        link = await core.storage.wallets.active(member.id, fresh=True)
        assert link is not None and link.address == wallet.address
        assert link.message == message  # the page had the wallet sign the exact message
        delivered = core.adapters["console"].delivered  # type: ignore[attr-defined]
        assert [r.where.channel_id for r in delivered] == ["carol"]
    finally:
        await server.stop()
        await core.close()


def _wallet_answer(wallet: Any, request: dict[str, Any]) -> Any:
    """What a browser wallet holding `wallet` answers (only the two calls the page makes)."""
    if request["method"] == "eth_requestAccounts":
        return [wallet.address]
    if request["method"] == "personal_sign":
        data, address = request["params"]
        assert address.lower() == wallet.address.lower()
        signed = wallet.sign_message(encode_defunct(primitive=bytes.fromhex(data[2:])))
        return "0x" + bytes(signed.signature).hex()
    raise AssertionError(f"unexpected wallet call {request['method']}")
