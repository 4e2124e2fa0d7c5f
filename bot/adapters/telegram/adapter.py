"""The Telegram adapter: python-telegram-bot's `Application`, run inside our own loop.

`Application.run_polling()` owns the event loop, and govbot runs Telegram beside Discord,
the scheduler and the web server in one loop, so the application is driven by hand. Its
`Updater` is not used: it confirms updates before they are handled and drops its queue
at shutdown. `UpdateFeed` (feed.py) fetches updates itself — polling, or from our own
webhook endpoint (webhook.py) — and hands each to `Application.process_update`, which
runs the handlers below; an update is confirmed to Telegram only once it was handled
and noted as done (its effects committed; see feed.py for the bounded number that may
still be sending their answers), so nothing fetched is lost to a crash or a shutdown,
and nothing is applied twice. On stop, the feed takes nothing new and the updates in
hand finish, answers included, by the process-wide drain deadline.

Updates become neutral events (commands, button presses, reactions, plain messages and
replies) for the dispatcher; its replies go out through `Outbox`. The adapter decides
nothing about governance: refusals, permissions and texts all come from the handlers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import secrets
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from telegram import (
    BotCommand,
    CallbackQuery,
    Chat,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
    Update,
    User,
)
from telegram.constants import ParseMode
from telegram.error import InvalidToken, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseRateLimiter,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    MessageReactionHandler,
    filters,
)
from telegram.request import HTTPXRequest

from bot.adapters.base import wait_for_event
from bot.adapters.telegram.cards import CardRefresher
from bot.adapters.telegram.feed import UpdateFeed
from bot.adapters.telegram.hygiene import LogHygiene
from bot.adapters.telegram.limits import OVERALL_PER_SECOND, SendLimiter
from bot.adapters.telegram.memory import AdminCache, Authors, PendingPrivate
from bot.adapters.telegram.notices import NoticeBoard
from bot.adapters.telegram.outbox import Origin, Outbox, Target
from bot.adapters.telegram.render import first_line, plain_short
from bot.adapters.telegram.safebot import SafeExtBot, sanitize_updates
from bot.adapters.telegram.translate import (
    COMMAND_TEXT,
    PLATFORM,
    actor_of,
    command_of,
    is_private,
    message_ref,
    reaction_changes,
    replied_message,
    topic_of,
    where_of,
)
from bot.adapters.telegram.webhook import WebhookServer
from handlers.core.codec import decode
from handlers.core.errors import BadArguments
from handlers.core.types import Actor, Command, Event, Payload, Posted, Press, Reaction, Reply

if TYPE_CHECKING:
    from bot.adapters.base import AdapterHost

log = logging.getLogger(__name__)

# message_reaction is not sent unless asked for (and only to admins of the group);
# chat_join_request neither (gated groups: bot/adapters/telegram/roles.py).
ALLOWED_UPDATES = [
    Update.MESSAGE,
    Update.CALLBACK_QUERY,
    Update.MESSAGE_REACTION,
    Update.CHAT_JOIN_REQUEST,
]
COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
START = "start"
WELCOME = (
    "Hello! I am govbot, your community's governance bot. Commands work here and in the "
    "group; private replies (vote receipts, wallet linking) arrive in this chat."
)
EXPIRED_LINK = (
    "That link has expired or was meant for someone else. Run the command again in the "
    "group and I will answer you here."
)
MISSED = "Here is the private reply you missed:"
_DEFAULT: Any = object()


def default_rate_limiter() -> SendLimiter:
    """Telegram's flood limits on messages sent (30/s overall, 20/min per group), retrying
    429s; reads are not throttled (limits.py)."""
    return SendLimiter(max_retries=3)


class TelegramAdapter:
    """Serves one Telegram bot for the core; see the module docstring."""

    platform = PLATFORM

    def __init__(
        self,
        host: AdapterHost,
        *,
        edit_interval: float = 1.0,
        rate_limiter: BaseRateLimiter[Any] | None = _DEFAULT,
        admin_ttl: float = 60.0,
        poll_timeout: int = 10,
        drain_seconds: float = 10.0,
    ) -> None:
        settings = host.settings_for(PLATFORM)
        if settings.token is None:
            raise ValueError("TelegramAdapter needs telegram.token (TELEGRAM_TOKEN)")
        self.host = host
        self.settings = settings
        self.rate_limiter: BaseRateLimiter[Any] | None = (
            default_rate_limiter() if rate_limiter is _DEFAULT else rate_limiter
        )
        # Message budgets are spent ahead only with our own limiter (AIORateLimiter reads
        # rate_limit_args as a retry count).
        budget = self.rate_limiter if isinstance(self.rate_limiter, SendLimiter) else None
        self.refresher = CardRefresher(host, edit_interval, budget)
        self.authors = Authors()
        self.pending = PendingPrivate()
        self.admins = AdminCache(settings.admin_user_ids, ttl=admin_ttl)
        self.notices = NoticeBoard(budget)
        self.outbox = Outbox(
            host, self.refresher, self.authors, self.pending, host.route, self.notices
        )
        self.poll_timeout = poll_timeout
        self.drain_seconds = drain_seconds  # the process's drain (and stop()'s default)
        self.application: Application[Any, Any, Any, Any, Any, Any] | None = None
        self.feed: UpdateFeed | None = None
        self.webhook: WebhookServer | None = None
        self.webhook_secret: str | None = None
        self.hygiene = LogHygiene()
        self._home_chat = _chat_id(settings.home_chat_id)
        self._backlog: list[Reply] = []
        self._poller: asyncio.Task[None] | None = None
        self._deadline: float | None = None
        self._stop = asyncio.Event()
        self._ready = asyncio.Event()
        self._finished = asyncio.Event()
        self._started = False
        self._shut = False
        self._lock = asyncio.Lock()

    # ----- Adapter protocol -----------------------------------------------------------
    @property
    def connected(self) -> bool:
        """Started (getMe answered, polling or webhook running) and not shut down."""
        return self._ready.is_set() and not self._shut

    async def ready(self, timeout: float | None = None) -> bool:
        """Wait until connected and serving (tests and benchmarks start here); False on timeout."""
        return await wait_for_event(self._ready, timeout)

    async def run(self) -> None:
        """Connect, serve until stop() (or cancellation), then shut down cleanly."""
        self._started = True
        token = self.settings.token.get_secret_value()  # type: ignore[union-attr]
        self.hygiene.install(token)
        try:
            app = self.application = self.build_application(token)
            self._add_handlers(app)
            try:
                await app.initialize()  # getMe
            except InvalidToken:
                raise RuntimeError(
                    "Telegram refused the bot token (getMe: Unauthorized). Check TELEGRAM_TOKEN."
                ) from None
            self._bind(app)
            self.feed = UpdateFeed(
                app.process_update, self.host, self._key, max_unanswered=self._owed_at_most()
            )
            if isinstance(app.bot, SafeExtBot):
                app.bot.set_known(self.feed.known)  # re-sent updates in hand: not re-parsed
            await self._set_commands(app)
            if self.settings.mode == "webhook":
                await self._start_webhook(app)
            else:
                await _bootstrap(lambda: app.bot.delete_webhook(drop_pending_updates=False))
                self._poller = asyncio.create_task(
                    self.feed.poll(
                        app.bot, timeout=self.poll_timeout, allowed_updates=ALLOWED_UPDATES
                    ),
                    name="telegram-poll",
                )
            self._ready.set()
            log.info(
                "telegram connected as @%s mode=%s api=%s",
                app.bot.username,
                self.settings.mode,
                urlsplit(self.settings.api_base_url).netloc,
            )
            await self._flush_backlog()
            stopped = asyncio.create_task(self._stop.wait())
            waiting = {stopped} | ({self._poller} if self._poller else set())
            await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            stopped.cancel()
            if self._poller is not None and self._poller.done() and not self._poller.cancelled():
                self._poller.result()  # polling ended by itself: raise why
        finally:
            await self._shutdown()
            self._finished.set()

    async def stop(self, deadline: float | None = None) -> None:
        """Take no new updates; finish those in hand by `deadline` (event-loop time; by
        default `drain_seconds` from now), then close. Returns once run() has finished."""
        loop = asyncio.get_running_loop()
        if self._deadline is None:
            self._deadline = deadline if deadline is not None else loop.time() + self.drain_seconds
        self._stop.set()
        if self._started and not self._finished.is_set():
            await self._finished.wait()

    async def deliver(self, reply: Reply) -> None:
        """A reply with `where` and no triggering update (scheduled results)."""
        if self._shut:
            log.warning("telegram is stopped; a scheduled reply was not sent")
            return
        if not self._ready.is_set():
            self._backlog.append(reply)  # the scheduler may close proposals before we connect
            return
        await self.outbox.send_all([reply], None)

    def _owed_at_most(self) -> int:
        """How many stored updates may be confirmed before their answers went out: as
        many as half the drain can answer at Telegram's 30 messages a second, at most a
        getUpdates batch (so a shutdown always has time to send every answer owed)."""
        return max(1, min(100, int(self.drain_seconds * OVERALL_PER_SECOND / 2)))

    def _key(self, update_id: int) -> str:
        """An update's idempotency key: update ids are per bot, so the bot's id is part."""
        assert self.application is not None
        return f"{PLATFORM}:{self.application.bot.id}:{update_id}"

    # ----- wiring ---------------------------------------------------------------------------
    def build_application(self, token: str) -> Application[Any, Any, Any, Any, Any, Any]:
        """The application around a `SafeExtBot` (see safebot: one bad update must not
        stall polling). `.bot(...)` excludes the builder's token/timeout options, so the
        bot and its two HTTP clients are built here with the same settings."""
        base = self.settings.api_base_url.rstrip("/")
        urls: dict[str, Any] = {"base_url": base}
        if base.endswith("/bot"):
            urls["base_file_url"] = base[: -len("/bot")] + "/file/bot"
        bot = SafeExtBot(
            token=token,
            **urls,
            defaults=Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            ),
            request=HTTPXRequest(
                connection_pool_size=256, connect_timeout=10, read_timeout=30, write_timeout=30
            ),
            get_updates_request=HTTPXRequest(
                connection_pool_size=1, connect_timeout=10, read_timeout=10
            ),
            rate_limiter=self.rate_limiter,
        )
        return ApplicationBuilder().bot(bot).updater(None).build()

    def _add_handlers(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        only_new = filters.UpdateType.MESSAGE  # an edited "/vote" must not vote again
        names = [s.name for s in self.host.commands_on(PLATFORM) if COMMAND_NAME.fullmatch(s.name)]
        if START not in names:
            names.append(START)
        app.add_handler(CommandHandler(names, self._on_command, filters=only_new))
        commandish = filters.COMMAND | filters.Regex(COMMAND_TEXT)  # see command_of
        app.add_handler(MessageHandler(only_new & commandish, self._on_command))
        app.add_handler(CallbackQueryHandler(self._on_press, pattern=r"^gov:"))
        app.add_handler(CallbackQueryHandler(self._on_foreign_press))
        app.add_handler(
            MessageReactionHandler(
                self._on_reaction,
                message_reaction_types=MessageReactionHandler.MESSAGE_REACTION_UPDATED,
            )
        )
        app.add_handler(
            MessageHandler(only_new & filters.ChatType.GROUPS & ~commandish, self._on_posted)
        )
        from bot.adapters.telegram.roles import join_request_handler

        app.add_handler(join_request_handler(self))
        app.add_error_handler(self._on_error)

    def _bind(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        bot = app.bot
        self.outbox.bot = bot
        self.outbox.username = bot.username
        self.outbox.me = Actor(PLATFORM, str(bot.id), bot.first_name, is_bot=True)
        self.refresher.bot = bot
        self.notices.bot = bot

    async def _set_commands(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """The command menu, straight from the registry (the same list /help shows)."""
        commands = [
            BotCommand(spec.name, plain_short(spec.help, 256).ljust(3, "."))
            for spec in self.host.commands_on(PLATFORM)
            if spec.listed and COMMAND_NAME.fullmatch(spec.name)
        ][:100]
        try:
            await app.bot.set_my_commands(commands)
        except TelegramError as error:
            log.warning("setMyCommands failed: %s", error)

    async def _start_webhook(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        url = self.settings.webhook_url
        if not url:
            raise RuntimeError(
                "TELEGRAM_MODE=webhook needs TELEGRAM_WEBHOOK_URL, the public HTTPS address "
                "Telegram posts updates to."
            )
        configured = self.settings.webhook_secret
        secret = configured.get_secret_value() if configured else secrets.token_urlsafe(32)
        if not SECRET_TOKEN.fullmatch(secret):
            raise RuntimeError(
                "TELEGRAM_WEBHOOK_SECRET may use only A-Z, a-z, 0-9, _ and - (1 to 256 characters)."
            )
        self.webhook_secret = secret
        self.hygiene.add_secret(secret)
        assert self.feed is not None
        feed = self.feed

        async def take(data: dict[str, Any]) -> bool:
            [parsed] = sanitize_updates([data], app.bot)  # one PTB cannot parse: skipped
            return await feed.take_one(Update.de_json(parsed, app.bot))

        self.webhook = WebhookServer(
            self.settings.webhook_listen,
            self.settings.webhook_port,
            urlsplit(url).path,
            secret,
            take,
        )
        await self.webhook.start()
        await _bootstrap(
            lambda: app.bot.set_webhook(
                url=url, allowed_updates=ALLOWED_UPDATES, secret_token=secret
            )
        )

    async def _flush_backlog(self) -> None:
        backlog, self._backlog = self._backlog, []
        if backlog:
            await self.outbox.send_all(backlog, None)

    async def _shutdown(self) -> None:
        """Take no new updates, let those in hand and pending card edits finish by the
        deadline (what is cut off stays unconfirmed, so Telegram sends it again), close."""
        async with self._lock:
            app = self.application
            if app is None or self._shut:
                return
            self._shut = True
            self._ready.clear()
            loop = asyncio.get_running_loop()
            deadline = self._deadline or loop.time() + self.drain_seconds
            feed = self.feed
            if feed is not None:
                feed.stop_taking()
            if self._poller is not None:  # a batch already received is still taken in
                await asyncio.wait([self._poller], timeout=max(0.0, deadline - loop.time()))
                self._poller.cancel()
                await asyncio.gather(self._poller, return_exceptions=True)
            steps: list[tuple[str, Any]] = []
            if feed is not None:
                steps.append(("updates in hand", lambda: feed.drain(deadline)))
                if self.settings.mode != "webhook":
                    steps.append(("confirming", lambda: feed.confirm(app.bot)))
            steps += [
                ("card edits", lambda: self.refresher.close(max(0.5, deadline - loop.time()))),
                ("webhook", self._stop_webhook),
                ("session", app.shutdown),
            ]
            for name, step in steps:
                try:
                    await step()
                except Exception:
                    log.exception("telegram shutdown step failed: %s", name)
            self.hygiene.uninstall()
            if feed is not None:
                log.info(
                    "telegram stopped handled=%d skipped_redelivered=%d",
                    feed.handled_count,
                    feed.skipped,
                )

    async def _stop_webhook(self) -> None:
        if self.webhook is not None:
            await self.webhook.stop()

    # ----- updates → events -------------------------------------------------------------
    async def _actor(self, user: User, chat: Chat, sender_chat: Chat | None = None) -> Actor:
        assert self.application is not None
        if sender_chat is not None and sender_chat.id == chat.id:
            return actor_of(user, is_admin=True)  # an anonymous admin posting as the group
        scope = self._home_chat if is_private(chat) else chat.id
        is_admin = await self.admins.is_admin(self.application.bot, scope, user.id)
        return actor_of(user, is_admin=is_admin)

    def _author_of(self, message: Message) -> Actor | None:
        known = self.authors.get(message.chat_id, message.message_id)
        if known is not None:
            return known
        return actor_of(message.from_user) if message.from_user else None

    async def _origin(self, message: Message) -> Origin:
        assert message.from_user is not None
        chat = message.chat
        actor = await self._actor(message.from_user, chat, message.sender_chat)
        return Origin(
            chat.id,
            topic_of(message),
            is_private(chat),
            bool(chat.is_forum),
            message.message_id,
            message.from_user.id,
            actor,
        )

    async def _handle(self, origin: Origin, payload: Payload, update: Update) -> list[Reply]:
        assert origin.actor is not None
        where = where_of(origin.chat_id, private=origin.is_private, thread_id=origin.thread_id)
        event = Event(origin.actor, where, payload, key=self._key(update.update_id))
        replies = await self.host.dispatch(event)
        refused = [r.meta["error"] for r in replies if "error" in r.meta]
        log.info(
            "%s update_id=%s chat_id=%s user_id=%s replies=%d%s",
            type(payload).__name__.lower(),
            update.update_id,
            origin.chat_id,
            origin.user_id,
            len(replies),
            f" refused={refused[0]}" if refused else "",
        )
        return replies

    async def _committed(self) -> None:
        """The update's effects are stored; its answers follow (see UpdateFeed.handled)."""
        if self.feed is not None:
            await self.feed.handled()

    async def _on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        if message is None or message.from_user is None:
            return
        parsed = command_of(message)
        if parsed is None:
            return
        name, addressee, rest = parsed
        if addressee and addressee.casefold() != self.outbox.username.casefold():
            return  # /cmd@another_bot
        origin = await self._origin(message)
        assert origin.actor is not None
        self.authors.remember(message.chat_id, message.message_id, origin.actor)
        if name == START and self.host.command(START) is None:
            await self._start(update, origin, rest)
            return
        replied = replied_message(message)
        command = Command(
            name,
            rest,
            None,
            message_ref(message.chat_id, replied.message_id) if replied else None,
            self._author_of(replied) if replied else None,
        )
        replies = await self._handle(origin, command, update)
        await self._committed()
        await self.outbox.send_all(replies, origin)

    async def _start(self, update: Update, origin: Origin, payload: str) -> None:
        """/start: deliver missed private replies (deep link), else a welcome and /help."""
        if payload.startswith(PendingPrivate.PREFIX) and origin.is_private:
            assert origin.user_id is not None
            missed = self.pending.take(payload, origin.user_id)
            if missed is None:
                await self.outbox.post(Target(origin.chat_id), Reply(EXPIRED_LINK))
                return
            await self.outbox.post(Target(origin.chat_id), Reply(MISSED))
            await self.outbox.send_all(missed, origin)
            return
        if origin.is_private:
            await self.outbox.post(Target(origin.chat_id), Reply(WELCOME))
        replies = await self._handle(origin, Command("help"), update)
        await self.outbox.send_all(replies, origin)

    async def _on_press(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        message = query.message
        if message is None:  # a button on an inline-mode message: not ours to serve
            await _answer(query, "This button only works in a chat.", alert=True)
            return
        try:
            action, args = decode(query.data or "")
        except BadArguments as error:
            await _answer(query, error.message, alert=True)
            return
        chat = message.chat
        actor = await self._actor(query.from_user, chat)
        topic = topic_of(message) if isinstance(message, Message) else None
        origin = Origin(
            chat.id,
            topic,
            is_private(chat),
            bool(chat.is_forum),
            None,
            query.from_user.id,
            actor,
        )
        press = Press(action, args, message_ref(chat.id, message.message_id))
        replies = await self._handle(origin, press, update)
        await self._committed()
        refusal = next((r for r in replies if "error" in r.meta), None)
        rest = [r for r in replies if r is not refusal]
        outcome = await self.outbox.send_all(rest, origin, notice=False)
        if refusal is not None:
            await _answer(query, plain_short(refusal.text), alert=True)
        elif outcome.undelivered:
            # The member never started the bot: the answer opens the private chat, and
            # /start with this token delivers the receipt there — no notice in the group.
            token = self.pending.add(query.from_user.id, outcome.undelivered)
            await _answer(
                query,
                plain_short(first_line(outcome.private[0].text)),
                url=f"https://t.me/{self.outbox.username}?start={token}",
            )
        elif outcome.private:
            await _answer(query, plain_short(first_line(outcome.private[0].text)))
        else:
            await _answer(query, None)

    async def _on_foreign_press(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.callback_query is not None
        await _answer(update.callback_query, "That button is not one of govbot's.", alert=True)

    async def _on_reaction(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        change = update.message_reaction
        if change is None or change.user is None:
            return  # anonymous (posted as a chat): nobody to credit
        added, removed = reaction_changes(change.old_reaction, change.new_reaction)
        if not added and not removed:
            return
        chat = change.chat
        actor = await self._actor(change.user, chat)
        origin = Origin(
            chat.id,
            None,
            is_private(chat),
            bool(chat.is_forum),
            None,
            change.user.id,
            actor,
        )
        ref = message_ref(chat.id, change.message_id)
        author = self.authors.get(chat.id, change.message_id)
        replies: list[Reply] = []
        for emoji, is_added in [(e, True) for e in added] + [(e, False) for e in removed]:
            replies += await self._handle(origin, Reaction(ref, author, emoji, is_added), update)
        await self._committed()
        await self._quietly(replies, origin)

    async def _on_posted(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        if message is None or message.from_user is None:
            return
        origin = await self._origin(message)
        assert origin.actor is not None
        self.authors.remember(message.chat_id, message.message_id, origin.actor)
        replied = replied_message(message)
        topic = topic_of(message)
        root = self.outbox.topic_cards.get((message.chat_id, topic)) if topic else None
        posted = Posted(
            message_ref(message.chat_id, message.message_id),
            message_ref(message.chat_id, replied.message_id) if replied else None,
            self._author_of(replied) if replied else None,
            # Telegram offers no history later: only summaries keep it (proposal threads)
            text=message.text or message.caption,
            thread_root=message_ref(message.chat_id, root) if root else None,
        )
        replies = await self._handle(origin, posted, update)
        await self._committed()
        await self._quietly(replies, origin)

    async def _quietly(self, replies: list[Reply], origin: Origin) -> None:
        """Answers to reactions and chat messages: refusals are logged, never posted."""
        kept = [r for r in replies if "error" not in r.meta]
        if kept:
            await self.outbox.send_all(kept, origin, notice=False)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log with the update id; answer the member briefly (never a stack trace).

        Never raises: the failing update may be malformed in ways PTB accepts (no chat,
        `text` not a string), so reading it here is guarded too and a failed apology is
        only a warning."""
        error_id = secrets.token_hex(4)
        try:
            update_id = update.update_id if isinstance(update, Update) else None
            chat = update.effective_chat if isinstance(update, Update) else None
            chat_id = chat.id if chat else None
        except Exception:
            update_id, chat_id = None, None
        log.error(
            "telegram update failed error_id=%s update_id=%s chat_id=%s",
            error_id,
            update_id,
            chat_id,
            exc_info=context.error,
        )
        if not isinstance(update, Update):
            return
        try:
            await self._apologise(update, context, error_id)
        except Exception as error:
            log.warning(
                "telegram error reply failed error_id=%s update_id=%s: %s",
                error_id,
                update_id,
                type(error).__name__,
            )

    async def _apologise(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, error_id: str
    ) -> None:
        text = f"Sorry, something went wrong on our side (error id {error_id}). Please try again."
        message = update.message
        if update.callback_query is not None:
            await _answer(update.callback_query, text, alert=True)
        elif (
            message is not None
            and message.chat is not None
            and isinstance(message.text, str)
            and command_of(message) is not None
        ):
            with contextlib.suppress(TelegramError):
                await context.bot.send_message(
                    message.chat_id,
                    text,
                    message_thread_id=topic_of(message),
                    reply_parameters=ReplyParameters(
                        message.message_id, allow_sending_without_reply=True
                    ),
                )


async def _answer(
    query: CallbackQuery, text: str | None, *, alert: bool = False, url: str | None = None
) -> None:
    """answerCallbackQuery, once per press; a late answer (query too old) is only logged."""
    try:
        await query.answer(text=text, show_alert=alert, url=url)
    except TelegramError as error:
        log.warning("answerCallbackQuery failed query_id=%s: %s", query.id, error)


async def _bootstrap(call: Any, retries: int = 3) -> None:
    """deleteWebhook / setWebhook at start, retried briefly like the Updater did."""
    for attempt in range(retries + 1):
        try:
            await call()
            return
        except InvalidToken:
            raise
        except TelegramError as error:
            if attempt == retries:
                raise
            log.warning("telegram start-up call failed, retrying: %s", error)
            await asyncio.sleep(1.0)


def _chat_id(raw: str | None) -> int | None:
    if raw is None or not raw.strip().lstrip("-").isdigit():
        return None
    return int(raw.strip())
