"""Group notices for members who never started the bot, several to a message.

A private reply (a vote receipt) to a member who never opened a chat with the bot is
refused with 403; the member is told in the group, with a `t.me/<bot>?start=…` link that
delivers the reply. Each notice is a message into the group, and Telegram allows 20 of
those a minute: 200 new voters would need ten minutes of notices. So notices for one
chat are collected while the group's budget is spent, and each message carries every
notice that waited for it. The caller's `notify` returns once its notice was sent, so
an update is not counted as answered before its member was told.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from telegram import Bot, Message, ReplyParameters
from telegram.constants import ParseMode

from bot.adapters.telegram.limits import PREPAID, SendLimiter

log = logging.getLogger(__name__)

PER_MESSAGE = 25  # mentions and links of 25 members stay far below 4,096 characters
SINGLE = (
    "{mention}, I have a private reply for you, but you have not started a chat with me "
    'yet. <a href="{link}">Open a chat with me</a> and press Start to get it.'
)
MANY = (
    "I have private replies for members who have not started a chat with me yet. "
    "Open your link and press Start to get yours:"
)
LINE = '{mention}: <a href="{link}">open a chat with me</a>'


@dataclass
class _Notice:
    mention: str  # HTML
    link: str
    quote: int | None  # the member's message, quoted when the notice goes out alone
    sent: asyncio.Future[Message] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class NoticeBoard:
    def __init__(self, limiter: SendLimiter | None) -> None:
        self.limiter = limiter
        self.bot: Bot | None = None
        self._waiting: dict[tuple[int, int | None], list[_Notice]] = {}
        self._senders: dict[tuple[int, int | None], asyncio.Task[None]] = {}

    async def notify(
        self, chat_id: int, thread_id: int | None, quote: int | None, mention: str, link: str
    ) -> Message:
        """Post (or join) a notice in this chat; returns the message that carried it."""
        notice = _Notice(mention, link, quote)
        key = (chat_id, thread_id)
        self._waiting.setdefault(key, []).append(notice)
        sender = self._senders.get(key)
        if sender is None or sender.done():
            self._senders[key] = asyncio.create_task(self._send(key), name=f"notices-{chat_id}")
        return await asyncio.shield(notice.sent)

    async def _send(self, key: tuple[int, int | None]) -> None:
        chat_id, thread_id = key
        while self._waiting.get(key):
            if self.limiter is not None:
                await self.limiter.spend(chat_id)  # notices arriving meanwhile join this one
            else:
                await asyncio.sleep(0)  # notices of the same moment share a message
            waiting = self._waiting[key]
            batch, self._waiting[key] = waiting[:PER_MESSAGE], waiting[PER_MESSAGE:]
            try:
                message = await self._post(chat_id, thread_id, batch)
            except Exception as error:
                for notice in batch:
                    if not notice.sent.done():
                        notice.sent.set_exception(error)
                continue
            for notice in batch:
                if not notice.sent.done():
                    notice.sent.set_result(message)
        self._waiting.pop(key, None)

    async def _post(self, chat_id: int, thread_id: int | None, batch: list[_Notice]) -> Message:
        assert self.bot is not None
        extra = {"rate_limit_args": PREPAID} if self.limiter is not None else {}
        if len(batch) == 1:
            [one] = batch
            text = SINGLE.format(mention=one.mention, link=one.link)
            quote = (
                ReplyParameters(one.quote, allow_sending_without_reply=True)
                if one.quote is not None
                else None
            )
        else:
            lines = [LINE.format(mention=n.mention, link=n.link) for n in batch]
            text, quote = "\n".join([MANY, *lines]), None
        return await self.bot.send_message(
            chat_id,
            text,
            parse_mode=ParseMode.HTML,
            message_thread_id=thread_id,
            reply_parameters=quote,
            **extra,  # type: ignore[arg-type]
        )

    async def close(self) -> None:
        """Let notices being sent finish (their updates wait for them anyway)."""
        senders = [t for t in self._senders.values() if not t.done()]
        if senders:
            await asyncio.gather(*senders, return_exceptions=True)
