"""Payloads the platforms' libraries choke on (issue 9): the adapters stay up and answer.

Telegram: an update python-telegram-bot cannot parse is skipped by getUpdates (not the
whole batch), and the adapter's error handler never raises, even for an update with no
chat or a `text` that is not a string. Discord: an interaction without member/user is
refused and logged instead of reaching the actor mapping as a sentinel, and a payload
discord.py's own parser rejects does not stop the next interaction being answered.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest
from telegram import Update

from bot.adapters.telegram.safebot import sanitize_updates
from bot.app import build_core
from bot.settings import load_settings
from tests.adapters.test_discord import start_adapter, stop_adapter
from tests.adapters.test_telegram import BOB, GROUP, TOKEN, _finish, _start
from tests.fakes.discord_gateway import FakeDiscord
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.robustness.logcheck import ErrorLog

UNCAUGHT = "uncaught error was raised while handling the error"


# ----- Telegram -----------------------------------------------------------------------
def test_sanitize_keeps_good_updates_and_blanks_bad_ones(caplog: pytest.LogCaptureFixture) -> None:
    good = {
        "update_id": 7,
        "message": {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}},
    }
    bad = {
        "update_id": 8,
        "message": {
            "message_id": 2,
            "date": 0,
            "chat": {"id": 1, "type": "private"},
            "from": {"id": 5},
        },
    }
    with caplog.at_level(logging.WARNING):
        kept = sanitize_updates([good, bad, {"no": "id"}, {"update_id": True}])
    assert kept == [good, {"update_id": 8}]
    assert [u.update_id for u in Update.de_list(kept, None)] == [7, 8]
    assert "update_id=8" in caplog.text
    assert "'from'" not in caplog.text and "5}" not in caplog.text  # no content logged


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(lambda m: m.update(text=True), id="text-true"),
        pytest.param(lambda m: m.pop("chat"), id="no-chat"),
    ],
)
async def test_error_handler_survives_odd_updates(tmp_path: Path, mangle: Any) -> None:
    async with FakeTelegramAPI(token=TOKEN) as fake:
        fake.add_chat(GROUP, "supergroup", "Builders")
        fake.add_user(BOB, "Bob", "bob")
        harness = await _start(tmp_path, fake)
        try:
            with ErrorLog() as errors:
                odd = fake.message(GROUP, BOB, "/proposals")
                mangle(odd)
                Update.de_json({"update_id": 1, "message": odd}, None)  # PTB parses it
                fake.push({"message": odd})
                before = len(fake.sent())
                fake.send_text(GROUP, BOB, "/proposals")
                await harness.wait_sent(before + 1, timeout=5)
            everything = errors.records + errors.foreign
            assert any("telegram update failed" in r.getMessage() for r in everything)
            assert not [r for r in everything if UNCAUGHT in r.getMessage()]
        finally:
            await _finish(harness)


# ----- Discord ------------------------------------------------------------------------
async def _discord(tmp_path: Path) -> tuple[Any, Any, Any, Any]:
    fake = await FakeDiscord().start()
    settings_ = load_settings(
        database_url=f"sqlite:///{tmp_path}/d.db",
        charts_dir=tmp_path / "charts",
        discord={
            "token": "x",
            "api_base_url": fake.api_base_url,
            "gateway_url": fake.gateway_url,
            "guild_ids": [fake.guild_id],
        },
    )
    core = await build_core(settings_)
    adapter, task = await start_adapter(core, fake)
    return fake, core, adapter, task


@pytest.mark.parametrize(
    ("mangle", "warned"),
    [
        pytest.param(lambda p: p.pop("member"), "refusing an interaction", id="no-member"),
        pytest.param(lambda p: p.update(id="x1"), "dropped a malformed", id="bad-snowflake"),
        pytest.param(
            lambda p: p.pop("attachment_size_limit"), "dropped a malformed", id="missing-field"
        ),
    ],
)
async def test_discord_odd_interaction_then_next_is_answered(
    tmp_path: Path, mangle: Any, warned: str, caplog: pytest.LogCaptureFixture
) -> None:
    fake, core, adapter, task = await _discord(tmp_path)
    try:
        bob = fake.add_user("bob")
        with ErrorLog() as errors:
            odd = fake.slash("proposals", bob)
            mangle(odd)
            await fake.dispatch("INTERACTION_CREATE", odd)
            probe = fake.slash("proposals", bob)
            await fake.send_interaction(probe)
            await fake.wait_callback(probe["id"], timeout=10)
            await asyncio.sleep(0.1)
        assert not errors.records, errors.describe()
        assert warned in caplog.text
        assert not task.done(), "the discord client stopped"
        if warned.startswith("refusing"):  # answered with a refusal, not left hanging
            refusal = await fake.wait_callback(odd["id"])
            assert "did not say who sent this" in str(refusal.json)
    finally:
        await stop_adapter(adapter, task)
        await core.close()
        await fake.stop()
