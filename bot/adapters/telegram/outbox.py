"""Neutral replies → Bot API calls, honouring every Reply rule of `bot.adapters.base`.

* text in HTML parse mode, split into ≤ 4,096-character messages (buttons under the last);
  a card is one message (its description shortened if need be) so it can be edited;
* `image` → sendPhoto, with the text as caption when it fits 1,024 characters, else the
  text first and the photo after it;
* `private` → a direct message; a member who never started the bot (403) gets a short
  notice in the group with a `t.me/<bot>?start=…` link that delivers the reply later;
* `thread_title` in a forum supergroup → a new forum topic, and the card is posted there;
  elsewhere the card is the thread root and replies to it are the discussion;
* `card` → the sent message is remembered with the dispatcher; `edit` → the refresher;
* `where` → that chat (results of proposals closed by the scheduler or from elsewhere),
  another platform's `where` → the core's router.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from telegram import Bot, InlineKeyboardMarkup, Message, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.adapters.base import AdapterHost
from bot.adapters.telegram.cards import CardRefresher
from bot.adapters.telegram.memory import LRU, Authors, PendingPrivate
from bot.adapters.telegram.notices import NoticeBoard
from bot.adapters.telegram.render import (
    CAPTION_LIMIT,
    fit_html,
    html_chunks,
    keyboard,
    plain_short,
    to_telegram_html,
    visible_length,
)
from bot.adapters.telegram.translate import PLATFORM
from handlers.core.markup import clean
from handlers.core.types import Actor, Reply

log = logging.getLogger(__name__)

TOPIC_NAME_LIMIT = 128

Router = Callable[[list[Reply]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Origin:
    """The chat an update came from, and whom to answer privately."""

    chat_id: int
    thread_id: int | None = None
    is_private: bool = False
    is_forum: bool = False
    message_id: int | None = None  # quoted by the answer in groups
    user_id: int | None = None
    actor: Actor | None = None


@dataclass(frozen=True, slots=True)
class Target:
    """Where one message goes."""

    chat_id: int
    thread_id: int | None = None
    reply_to: int | None = None


@dataclass
class Outcome:
    """What happened to the private replies of one batch (presses answer with it)."""

    private: list[Reply] = field(default_factory=list)
    undelivered: list[Reply] = field(default_factory=list)


def dm_refused(error: TelegramError) -> bool:
    """403 from a member who never started the bot (or blocked it), or an unknown chat."""
    return isinstance(error, Forbidden) or (
        isinstance(error, BadRequest) and "chat not found" in str(error).lower()
    )


class Outbox:
    def __init__(
        self,
        host: AdapterHost,
        refresher: CardRefresher,
        authors: Authors,
        pending: PendingPrivate,
        route: Router,
        notices: NoticeBoard | None = None,
    ) -> None:
        self.host = host
        self.refresher = refresher
        self.authors = authors
        self.pending = pending
        self.route = route
        self.notices = notices or NoticeBoard(None)
        self.bot: Bot | None = None
        self.me: Actor | None = None
        self.username = ""
        self.card_threads: LRU[tuple[int, int], int] = LRU(10_000)
        # (chat, forum topic) → the card posted in it: the topic's thread root
        self.topic_cards: LRU[tuple[int, int], int] = LRU(10_000)

    # ----- batches ----------------------------------------------------------------------
    async def send_all(
        self, replies: list[Reply], origin: Origin | None, *, notice: bool = True
    ) -> Outcome:
        """Send one handler's replies in order; a failed one is logged, the rest still go."""
        outcome = Outcome()
        for reply in replies:
            try:
                await self._one(reply, origin, outcome)
            except TelegramError as error:
                log.warning(
                    "sending a reply failed chat_id=%s: %s",
                    origin.chat_id if origin else (reply.where and reply.where.channel_id),
                    error,
                )
        if outcome.undelivered and notice and origin is not None:
            try:
                await self.dm_notice(origin, outcome.undelivered)
            except TelegramError as error:
                log.warning("deep-link notice failed chat_id=%s: %s", origin.chat_id, error)
        return outcome

    async def _one(self, reply: Reply, origin: Origin | None, outcome: Outcome) -> None:
        if reply.where is not None and reply.where.platform != PLATFORM:
            await self.route([reply])  # also refreshes of the card's copies elsewhere
            return
        if reply.edit:
            if reply.card is not None:
                self.refresher.refresh(reply.card)
            return
        if reply.private:
            await self._private(reply, origin, outcome)
            return
        target = self._target(reply, origin)
        if target is None:
            log.warning("a reply with no place to go was dropped")
            return
        if reply.thread_title and origin is not None and origin.is_forum and reply.where is None:
            target = await self._open_topic(target, reply.thread_title)
        sent = await self.post(target, reply, card=reply.card is not None)
        if reply.card is not None and sent is not None:
            await self.host.card_sent(reply.card, PLATFORM, str(sent.chat_id), str(sent.message_id))
            if target.thread_id is not None:
                self.card_threads.put((sent.chat_id, sent.message_id), target.thread_id)
                self.topic_cards.put((sent.chat_id, target.thread_id), sent.message_id)

    async def _private(self, reply: Reply, origin: Origin | None, outcome: Outcome) -> None:
        if origin is None or origin.user_id is None:
            log.warning("a private reply without a member to send it to was dropped")
            return
        outcome.private.append(reply)
        if origin.is_private:
            await self.post(Target(origin.chat_id), reply)
            return
        try:
            await self.post(Target(origin.user_id), reply)
        except TelegramError as error:
            if not dm_refused(error):
                raise
            log.info(
                "direct message refused user_id=%s chat_id=%s: %s",
                origin.user_id,
                origin.chat_id,
                error,
            )
            outcome.undelivered.append(reply)

    def _target(self, reply: Reply, origin: Origin | None) -> Target | None:
        if reply.where is not None:
            try:
                chat_id = int(reply.where.channel_id)
            except ValueError:
                log.warning("reply names a channel that is not a Telegram chat id")
                return None
            raw = reply.meta.get("reply_to_message")
            reply_to = int(raw) if raw is not None and str(raw).isdigit() else None
            thread = reply.where.thread_id
            thread_id = int(thread) if thread and thread.isdigit() else None
            if thread_id is None and reply_to is not None:
                thread_id = self.card_threads.get((chat_id, reply_to))
            return Target(chat_id, thread_id, reply_to)
        if origin is None:
            return None
        quote = None if origin.is_private else origin.message_id
        return Target(origin.chat_id, origin.thread_id, quote)

    async def _open_topic(self, target: Target, title: str) -> Target:
        """A forum topic named after the proposal; on failure the card stays where asked."""
        assert self.bot is not None
        name = plain_short(clean(title), TOPIC_NAME_LIMIT) or "Proposal"
        try:
            topic = await self.bot.create_forum_topic(target.chat_id, name)
        except TelegramError as error:
            log.warning(
                "could not open a forum topic chat_id=%s (the bot needs the Manage Topics "
                "right): %s",
                target.chat_id,
                error,
            )
            return target
        return Target(target.chat_id, topic.message_thread_id, None)

    # ----- one reply ----------------------------------------------------------------------
    async def post(self, target: Target, reply: Reply, *, card: bool = False) -> Message | None:
        """Send one reply's text, buttons and image; returns the message that holds the buttons."""
        assert self.bot is not None
        markup = self._markup(reply)
        texts = [fit_html(reply.text)] if card else html_chunks(reply.text)
        texts = [text for text in texts if text]
        image = _image(reply.image)
        if (
            image is not None
            and not card
            and len(texts) <= 1
            and (not texts or visible_length(texts[0]) <= CAPTION_LIMIT)
        ):
            return await self._photo(target, image, texts[0] if texts else None, markup, quote=True)
        last: Message | None = None
        for index, text in enumerate(texts):
            last = await self.bot.send_message(
                target.chat_id,
                text,
                parse_mode=ParseMode.HTML,
                message_thread_id=target.thread_id,
                reply_markup=markup if index == len(texts) - 1 else None,
                reply_parameters=_quote(target) if index == 0 else None,
            )
            self._remember(last)
        if image is not None:
            photo = await self._photo(
                target, image, None, None if texts else markup, quote=not texts
            )
            last = last or photo
        return last

    async def _photo(
        self,
        target: Target,
        image: Path,
        caption: str | None,
        markup: InlineKeyboardMarkup | None,
        *,
        quote: bool,
    ) -> Message:
        assert self.bot is not None
        with image.open("rb") as handle:
            sent = await self.bot.send_photo(
                target.chat_id,
                handle,
                caption=caption,
                parse_mode=ParseMode.HTML,
                message_thread_id=target.thread_id,
                reply_markup=markup,
                reply_parameters=_quote(target) if quote else None,
            )
        self._remember(sent)
        return sent

    def _markup(self, reply: Reply) -> InlineKeyboardMarkup | None:
        try:
            return keyboard(reply.buttons)
        except ValueError as error:  # a button id over 64 bytes: a handler bug, not fatal
            log.error("buttons dropped: %s", error)
            return None

    def _remember(self, message: Message) -> None:
        if self.me is not None:
            self.authors.remember(message.chat_id, message.message_id, self.me)

    async def dm_notice(self, origin: Origin, replies: list[Reply]) -> None:
        """Tell the member, in the group, how to receive the private replies they missed
        (notices waiting for the group's message budget share one message)."""
        assert origin.user_id is not None
        token = self.pending.add(origin.user_id, replies)
        link = f"https://t.me/{self.username}?start={token}"
        name = to_telegram_html(clean(origin.actor.display_name)) if origin.actor else "Hi"
        mention = f'<a href="tg://user?id={origin.user_id}">{name or "Hi"}</a>'
        sent = await self.notices.notify(
            origin.chat_id, origin.thread_id, origin.message_id, mention, link
        )
        self._remember(sent)


def _quote(target: Target) -> ReplyParameters | None:
    if target.reply_to is None:
        return None
    return ReplyParameters(target.reply_to, allow_sending_without_reply=True)


def _image(path: str | None) -> Path | None:
    if not path:
        return None
    image = Path(path)
    if not image.is_file():
        log.warning("reply image missing, sending the text only: %s", image.name)
        return None
    return image
