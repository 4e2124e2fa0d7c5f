"""What the fake Telegram API saw of a bot process: fetched, confirmed, answered.

The bot runs as its own process (tests/harness/process.py) and the fake in the test's
event loop, so these read the fake's call log, never the bot's memory.
"""

from __future__ import annotations

from tests.harness.fakes.telegram_api import FakeTelegramAPI


def fetched(fake: FakeTelegramAPI, update_id: int) -> bool:
    """The bot has this update in hand: a getUpdates answer carried it, and the bot
    polled again after it (it polls one call at a time, taking in each answer first)."""
    polls = [c for c in fake.calls if c.method == "getUpdates"]
    for index, call in enumerate(polls):
        if isinstance(call.result, list) and any(
            u.get("update_id") == update_id for u in call.result
        ):
            return index + 1 < len(polls)
    return False


def confirmed(fake: FakeTelegramAPI, update_id: int) -> bool:
    """The bot called getUpdates with an offset past this update (confirming it)."""
    return any(
        call.method == "getUpdates" and int(call.params.get("offset") or 0) > update_id
        for call in fake.calls
    )


def receipts(fake: FakeTelegramAPI) -> dict[int, list[str]]:
    """Private receipts that went out, per member: the texts of `Vote recorded …` DMs."""
    found: dict[int, list[str]] = {}
    for call in fake.sent():
        text = str(call.params.get("text") or "")
        chat = call.params.get("chat_id")
        if isinstance(chat, int) and chat > 0 and text.startswith("Vote recorded"):
            found.setdefault(chat, []).append(text)
    return found


def noticed(fake: FakeTelegramAPI, chat_id: int) -> set[int]:
    """Members named in a group notice (a private reply waiting behind a start link)."""
    found: set[int] = set()
    for call in fake.sent(chat_id):
        text = str(call.params.get("text") or "")
        if "press Start" not in text:
            continue
        for part in text.split('href="tg://user?id=')[1:]:
            found.add(int(part.split('"', 1)[0]))
    return found
