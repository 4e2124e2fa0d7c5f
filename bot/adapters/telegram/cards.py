"""Live cards edited in place, with bursts coalesced.

A refresh marker (`Reply(edit=True, card=key)`) says "this card changed". Twenty votes in
a second must not become twenty edits (Telegram rate-limits edits per chat), and the last
vote must never be lost. So each card gets at most one edit per `interval`; the edit
renders the card from the database when it runs, covering every change before it, and a
change that arrives while an edit is in flight schedules one more.

An edit in a group is one of the group's 20 messages a minute. With a `SendLimiter` the
edit first takes its token, leaving `RESERVE` tokens for answers to members, and only
then renders: however long it waited, the edit shows every vote up to that moment.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from typing import Any

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError

from bot.adapters.base import AdapterHost
from bot.adapters.telegram.limits import PREPAID, SendLimiter
from bot.adapters.telegram.render import fit_html, keyboard
from bot.adapters.telegram.translate import PLATFORM
from handlers.core.types import CardKey

log = logging.getLogger(__name__)


@dataclass
class _State:
    last: float = float("-inf")
    dirty: bool = False
    task: asyncio.Task[None] | None = None


RESERVE = 5  # of a group's 20 messages a minute, kept for replies and notices


class CardRefresher:
    def __init__(
        self, host: AdapterHost, interval: float = 1.0, limiter: SendLimiter | None = None
    ) -> None:
        self.host = host
        self.interval = interval
        self.limiter = limiter
        self.bot: Bot | None = None
        self._cards: dict[CardKey, _State] = {}

    def refresh(self, key: CardKey) -> None:
        """Note a change; the edit follows within `interval` (never blocks the caller)."""
        state = self._cards.setdefault(key, _State())
        state.dirty = True
        if state.task is None or state.task.done():
            state.task = asyncio.create_task(self._run(key, state), name=f"card-refresh-{key}")

    async def _run(self, key: CardKey, state: _State) -> None:
        while state.dirty:
            wait = state.last + self.interval - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            state.dirty = False
            try:
                await self.edit(key)
            except Exception:
                log.exception("refreshing a card failed card=%s", key)
            state.last = time.monotonic()

    async def edit(self, key: CardKey) -> None:
        """Re-render the card and edit every copy of it on Telegram."""
        if self.bot is None:
            return
        places = await self.host.card_places(key, PLATFORM)
        extra: dict[str, Any] = {}
        if self.limiter is not None and places:
            for channel_id, _message_id in places:
                await self.limiter.spend(int(channel_id), reserve=RESERVE)
            extra["rate_limit_args"] = PREPAID
        card = await self.host.render_card(key)
        if card is None:
            return
        text = fit_html(card.text)
        markup = keyboard(card.buttons)
        for channel_id, message_id in places:
            try:
                await self.bot.edit_message_text(
                    text,
                    chat_id=int(channel_id),
                    message_id=int(message_id),
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                    **extra,
                )
            except BadRequest as error:
                reason = str(error).lower()
                if "not modified" in reason:
                    continue
                if "no text" in reason:  # the card went out as a photo: keep its buttons live
                    with contextlib.suppress(BadRequest):
                        await self.bot.edit_message_reply_markup(
                            chat_id=int(channel_id),
                            message_id=int(message_id),
                            reply_markup=markup,
                            **extra,
                        )
                    continue
                log.warning(
                    "card edit refused chat_id=%s message_id=%s card=%s: %s",
                    channel_id,
                    message_id,
                    key,
                    error,
                )
            except TelegramError as error:
                log.warning(
                    "card edit failed chat_id=%s message_id=%s: %s", channel_id, message_id, error
                )

    async def close(self, timeout: float = 5.0) -> None:
        """Let pending edits finish (the last vote shows), then give up on stragglers."""
        tasks = [s.task for s in self._cards.values() if s.task is not None and not s.task.done()]
        if not tasks:
            return
        _done, pending = await asyncio.wait(tasks, timeout=timeout)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
