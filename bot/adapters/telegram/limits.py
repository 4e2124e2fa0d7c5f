"""Telegram's flood limits, applied to what they concern: messages sent.

Telegram allows a bot about 30 messages a second overall and 20 a minute into one
group. python-telegram-bot's `AIORateLimiter` applies both to *every* call that names a
chat, reads included, so each `getChatMember` of a new voter waited behind the group's
20-a-minute budget and a burst of 200 new voters took about 18 minutes. Here:

* only methods that post or edit a message count (`SENDS`); reads and callback answers
  go straight out (a 429 on them is still retried);
* a group's budget is a leaky bucket per chat that callers can spend ahead of time:
  the card refresher takes a token *before* it renders (so the edit that goes out shows
  everything that changed while it waited) and then sends with `rate_limit_args=PREPAID`;
  `spend(chat, reserve=n)` leaves n tokens for replies and notices, so live cards never
  crowd out answers to members;
* a 429 (`RetryAfter`) is retried after the time Telegram asks for, up to `max_retries`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

PREPAID = "prepaid"  # rate_limit_args: the caller already spent the group's budget
OVERALL_PER_SECOND = 30  # messages a bot may send a second, all chats together
GROUP_PER_MINUTE = 20  # messages a bot may send into one group a minute
SENDS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendAnimation",
        "sendVideo",
        "sendAudio",
        "sendVoice",
        "sendSticker",
        "sendMediaGroup",
        "sendPoll",
        "sendDice",
        "sendLocation",
        "sendVenue",
        "sendContact",
        "copyMessage",
        "copyMessages",
        "forwardMessage",
        "forwardMessages",
        "editMessageText",
        "editMessageCaption",
        "editMessageMedia",
        "editMessageReplyMarkup",
        "createForumTopic",
    }
)
_MAX_GROUPS = 1024


def is_group(chat_id: Any) -> bool:
    """Negative ids are groups, supergroups and channels; '@name' only channels/supergroups."""
    if isinstance(chat_id, str):
        try:
            return int(chat_id) < 0
        except ValueError:
            return True
    return isinstance(chat_id, int) and chat_id < 0


class SendLimiter(BaseRateLimiter[str]):
    """Per-group and overall message budgets; see the module docstring."""

    def __init__(
        self,
        *,
        overall_per_second: float = OVERALL_PER_SECOND,
        group_per_minute: float = GROUP_PER_MINUTE,
        max_retries: int = 3,
    ) -> None:
        self.overall = AsyncLimiter(overall_per_second, 1) if overall_per_second else None
        self.group_per_minute = group_per_minute
        self.max_retries = max_retries
        self._groups: dict[Any, AsyncLimiter] = {}

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    def group(self, chat_id: Any) -> AsyncLimiter | None:
        """The bucket of one group (None when groups are not limited)."""
        if not self.group_per_minute:
            return None
        key = str(chat_id)
        limiter = self._groups.get(key)
        if limiter is None:
            if len(self._groups) >= _MAX_GROUPS:  # forget buckets that are full again
                for old, bucket in list(self._groups.items()):
                    if bucket.has_capacity(bucket.max_rate):
                        del self._groups[old]
            limiter = self._groups[key] = AsyncLimiter(self.group_per_minute, 60)
        return limiter

    async def spend(self, chat_id: Any, *, reserve: int = 0) -> None:
        """Take one message from a group's budget, waiting while fewer than `reserve` + 1
        are left; the send that follows passes `rate_limit_args=PREPAID`."""
        if not is_group(chat_id):
            return
        bucket = self.group(chat_id)
        if bucket is None:
            return
        refill = 60 / self.group_per_minute
        while reserve and not bucket.has_capacity(reserve + 1):
            await asyncio.sleep(refill)
        await bucket.acquire()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: str | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        chat_id = data.get("chat_id")
        sends = endpoint in SENDS and chat_id is not None
        group = (
            self.group(chat_id)
            if sends and rate_limit_args != PREPAID and is_group(chat_id)
            else None
        )
        overall = self.overall if sends else None
        for attempt in range(self.max_retries + 1):
            try:
                async with (
                    group if group is not None else contextlib.nullcontext(),
                    overall if overall is not None else contextlib.nullcontext(),
                ):
                    return await callback(*args, **kwargs)
            except RetryAfter as error:
                if attempt == self.max_retries:
                    raise
                wait = error._retry_after.total_seconds() + 0.1
                log.info("telegram asked to wait %.1fs endpoint=%s", wait, endpoint)
                await asyncio.sleep(wait)
                group = None  # the retry is the same message: its budget was spent
        raise AssertionError("unreachable")  # pragma: no cover
