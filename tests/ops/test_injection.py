"""Mention and markup injection, on every platform, through the real adapters and fakes.

A member titles a proposal with `@everyone`, HTML, Markdown emphasis, a Markdown link,
our own bold markers and a terminal escape. Each platform must show it as literal text:
no ping, no formatting, no hidden link target, no forged bold, no terminal control.
"""

from __future__ import annotations

import io
from pathlib import Path

from bot.adapters.console import ConsoleAdapter
from bot.adapters.telegram.render import WORD_JOINER
from tests.harness.core import core_env
from tests.harness.discord_env import discord_env
from tests.harness.telegram_env import ALICE, GROUP, telegram_env
from tests.harness.waiting import TIMEOUT

TITLE = "@everyone <b>free</b> **x** [click](https://evil.example/steal) \x02forged\x03 @here"


async def test_telegram_shows_injection_as_literal_text(tmp_path: Path) -> None:
    async with telegram_env(tmp_path) as tg:
        tg.fake.send_text(GROUP, ALICE, f"/propose {TITLE} | yes | no")
        [card] = await tg.fake.wait_for("sendMessage", chat_id=GROUP, timeout=TIMEOUT)
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
    async with discord_env(tmp_path) as dc:
        alice = dc.user("alice")
        payload = dc.fake.slash("propose", alice, {"title": TITLE, "choices": "yes | no"})
        await dc.fake.send_interaction(payload)
        card = await dc.original(payload["token"])
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
    out = io.StringIO()
    async with core_env(tmp_path) as core:
        console = ConsoleAdapter(core, stdin=io.StringIO(""), stdout=out)
        await console.handle_line(f"/propose {TITLE} \x1b[2J\x1b]0;pwned\x07 | yes | no")
    transcript = out.getvalue()
    assert "\x1b" not in transcript and "\x07" not in transcript and "\x02" not in transcript
    card = next(line for line in transcript.splitlines() if line.startswith("[#2] govbot: #1"))
    assert "@everyone <b>free</b> **x** [click](https://evil.example/steal) forged" in card
