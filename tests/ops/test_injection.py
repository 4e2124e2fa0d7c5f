"""Mention and markup injection, on every platform, through the real adapters and fakes.

A member titles a proposal with `@everyone`, HTML, Markdown emphasis, a Markdown link,
our own bold markers and a terminal escape. Each platform must show it as literal text:
no ping, no formatting, no hidden link target, no forged bold, no terminal control.
"""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

from telegram.ext import AIORateLimiter

from bot.adapters.console import ConsoleAdapter
from bot.adapters.discord import DiscordAdapter
from bot.adapters.telegram import TelegramAdapter
from bot.adapters.telegram.render import WORD_JOINER
from bot.app import build_core
from bot.settings import load_settings
from tests.fakes.discord_gateway import FakeDiscord
from tests.fakes.telegram_api import FakeTelegramAPI

TITLE = "@everyone <b>free</b> **x** [click](https://evil.example/steal) \x02forged\x03 @here"
TG_TOKEN = "123:ABC"
GROUP, ALICE = -1001, 11
TIMEOUT = 10.0


async def test_telegram_shows_injection_as_literal_text(tmp_path: Path) -> None:
    async with FakeTelegramAPI(token=TG_TOKEN) as fake:
        fake.add_chat(GROUP, "supergroup", "Builders")
        fake.add_user(ALICE, "Alice", "alice")
        settings = load_settings(
            database_url=f"sqlite:///{tmp_path}/t.db",
            charts_dir=tmp_path / "charts",
            telegram={"token": TG_TOKEN, "api_base_url": fake.base_url},
        )
        core = await build_core(settings)
        adapter = TelegramAdapter(
            core,
            edit_interval=0,
            rate_limiter=AIORateLimiter(overall_max_rate=1000, group_max_rate=1000),
            poll_timeout=1,
        )
        core.adapters["telegram"] = adapter
        task = asyncio.create_task(adapter.run())
        try:
            await asyncio.wait_for(adapter.ready(), TIMEOUT)
            fake.send_text(GROUP, ALICE, f"/propose {TITLE} | yes | no")
            [card] = await fake.wait_for("sendMessage", chat_id=GROUP, timeout=TIMEOUT)
        finally:
            await adapter.stop()
            await asyncio.wait_for(task, TIMEOUT)
            await core.close()
    text = card.params["text"]
    assert card.params["parse_mode"] == "HTML"
    first = text.split("\n", 1)[0]
    assert "&lt;b&gt;free&lt;/b&gt;" in first and "<b>free</b>" not in text
    assert f"@{WORD_JOINER}everyone" in first and f"@{WORD_JOINER}here" in first
    assert "@everyone" not in text and "@here" not in text  # no mention entity can form
    assert "**x**" in first  # HTML mode: Markdown has no meaning, shown as typed
    assert "[click](https://evil.example/steal)" in first and "<a " not in text
    assert card.params["link_preview_options"]["is_disabled"] is True
    assert "\x02" not in text and "<b>forged</b>" not in text and " forged " in first


async def test_discord_shows_injection_as_literal_text(tmp_path: Path) -> None:
    fake = await FakeDiscord().start()
    settings = load_settings(
        database_url=f"sqlite:///{tmp_path}/d.db",
        charts_dir=tmp_path / "charts",
        discord={
            "token": "x",
            "api_base_url": fake.api_base_url,
            "gateway_url": fake.gateway_url,
            "guild_ids": [fake.guild_id],
        },
    )
    core = await build_core(settings)
    adapter = DiscordAdapter(
        core, refresh_interval=0.02, client_options={"guild_ready_timeout": 0.05}
    )
    core.adapters["discord"] = adapter
    task = asyncio.create_task(adapter.run())
    try:
        await asyncio.wait_for(adapter.ready(), TIMEOUT)
        alice = fake.add_user("alice")
        payload = fake.slash("propose", alice, {"title": TITLE, "choices": "yes | no"})
        await fake.send_interaction(payload)
        token = payload["token"]
        [card] = await fake.wait_for(
            "PATCH", rf"/webhooks/{fake.app_id}/{token}/messages/@original", timeout=TIMEOUT
        )
    finally:
        await adapter.stop()
        await asyncio.wait_for(task, TIMEOUT)
        await core.close()
        await fake.stop()
    body = card.json
    assert body["allowed_mentions"] == {"parse": []}  # nothing pings, whatever the text
    shown = (body.get("content") or "") + "".join(
        (e.get("title") or "") + (e.get("description") or "") for e in body.get("embeds") or []
    )
    assert "\\@everyone" in shown and "\\@here" in shown
    assert "\\*\\*x\\*\\*" in shown and "**x**" not in shown
    assert "\\[click\\]\\(https" in shown and "[click](" not in shown
    assert "\\<b\\>free\\<" in shown
    assert "\x02" not in shown and "forged" in shown


async def test_console_prints_injection_without_markers_or_terminal_control(
    tmp_path: Path,
) -> None:
    settings = load_settings(database_url=f"sqlite:///{tmp_path}/c.db", charts_dir=tmp_path)
    core = await build_core(settings)
    out = io.StringIO()
    try:
        console = ConsoleAdapter(core, stdin=io.StringIO(""), stdout=out)
        await console.handle_line(f"/propose {TITLE} \x1b[2J\x1b]0;pwned\x07 | yes | no")
    finally:
        await core.close()
    transcript = out.getvalue()
    assert "\x1b" not in transcript and "\x07" not in transcript and "\x02" not in transcript
    card = next(line for line in transcript.splitlines() if line.startswith("[#2] govbot: #1"))
    assert "@everyone <b>free</b> **x** [click](https://evil.example/steal) forged" in card
