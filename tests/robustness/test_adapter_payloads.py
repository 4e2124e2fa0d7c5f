"""Payloads the platforms' libraries choke on: the adapters stay up and answer.

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
from tests.harness.discord_env import discord_env
from tests.harness.telegram_env import BOB, GROUP, telegram_env
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
    async with telegram_env(tmp_path) as tg:
        fake = tg.fake
        with ErrorLog() as errors:
            odd = fake.message(GROUP, BOB, "/proposals")
            mangle(odd)
            Update.de_json({"update_id": 1, "message": odd}, None)  # PTB parses it
            fake.push({"message": odd})
            before = len(fake.sent())
            fake.send_text(GROUP, BOB, "/proposals")
            await tg.wait_sent(before + 1, timeout=5)
        everything = errors.records + errors.foreign
        assert any("telegram update failed" in r.getMessage() for r in everything)
        assert not [r for r in everything if UNCAUGHT in r.getMessage()]


# ----- Discord ------------------------------------------------------------------------
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
    async with discord_env(tmp_path) as dc:
        fake = dc.fake
        bob = dc.user("bob")
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
        assert not dc.task.done(), "the discord client stopped"
        if warned.startswith("refusing"):  # answered with a refusal, not left hanging
            refusal = await fake.wait_callback(odd["id"])
            assert "did not say who sent this" in str(refusal.json)
