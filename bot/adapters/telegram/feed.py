"""Telegram updates in, at least once and applied once: confirmed only after handling.

Telegram confirms updates by offset: a `getUpdates` call with offset N confirms every
update below N, and an unconfirmed update is delivered again (for 24 hours). The
python-telegram-bot `Updater` confirms a batch with the very next `getUpdates`, before the
batch is handled, and confirms everything it fetched when polling stops — so a crash, or
a shutdown that does not finish the queue, loses those updates for good. `UpdateFeed`
drives `getUpdates` itself:

* the offset it sends is the lowest update still held (or one past the highest when
  none is), so an update is confirmed only once it was handled and noted as done in the
  database; everything held when the process dies comes back. An update is held until
  it has also answered, except that up to `max_unanswered` updates whose effects are
  committed may be confirmed while their answers wait for Telegram's message budget
  (receipts go out at ~30 a second): a burst is stored in seconds, and the drain still
  has time to send every answer owed;
* a redelivered update is recognised by its key (`telegram:<bot id>:<update id>`): one
  noted done is skipped; one whose effect committed but whose answer may not have gone
  out is handled again, and the effect itself is keyed (a ballot records the key in its
  own transaction), so it answers again without applying twice;
* updates run side by side, but one member's updates run one after another in the order
  they came (`Lanes`), so a double tap or a changed mind is never reordered;
* while updates are in hand a long poll would have to confirm them, so the feed polls
  without waiting instead, each time some update finishes (or every `idle_poll` seconds),
  and takes in what is new; Telegram returns at most `limit` updates from the offset,
  which bounds how many can be in hand at once.

Webhook mode uses the same feed (`take_one`): the HTTP answer to Telegram waits for the
update to be handled, so an update that was not handled is posted again.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any, Protocol

from telegram import Update
from telegram.error import InvalidToken, TelegramError

log = logging.getLogger(__name__)

Handle = Callable[[Update], Awaitable[None]]


class DeliveryLog(Protocol):
    """Where handled update keys are kept (the host's storage)."""

    async def delivered(self, keys: list[str]) -> dict[str, bool]:
        """Keys already recorded: True when done, False when only the effect committed."""
        ...

    async def mark_delivered(self, key: str) -> None:
        """Note the key done; returns once committed."""
        ...


class Lanes:
    """Run work one item after another per lane, and lanes side by side."""

    def __init__(self) -> None:
        self._tails: dict[Hashable, asyncio.Task[None]] = {}

    def run(self, lane: Hashable, work: Callable[[], Awaitable[None]]) -> asyncio.Task[None]:
        before = self._tails.get(lane)
        task = asyncio.create_task(self._after(before, work))
        self._tails[lane] = task

        def forget(done: asyncio.Task[None]) -> None:
            if self._tails.get(lane) is done:
                del self._tails[lane]

        task.add_done_callback(forget)
        return task

    @staticmethod
    async def _after(
        before: asyncio.Task[None] | None, work: Callable[[], Awaitable[None]]
    ) -> None:
        if before is not None and not before.done():
            await asyncio.wait([before])  # its failure or cancellation is its own
        await work()

    def __len__(self) -> int:
        return len(self._tails)


def lane_of(update: Update) -> Hashable:
    """One member's updates share a lane; updates without a member use their chat's."""
    user = update.effective_user
    if user is not None:
        return ("user", user.id)
    chat = update.effective_chat
    if chat is not None:
        return ("chat", chat.id)
    return ("update", update.update_id)


_current: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "telegram_update", default=None
)


class UpdateFeed:
    """See the module docstring."""

    def __init__(
        self,
        handle: Handle,
        log_: DeliveryLog,
        key_of: Callable[[int], str],
        *,
        limit: int = 100,
        max_unanswered: int = 100,
        idle_poll: float = 0.5,
        settle: float = 0.02,
    ) -> None:
        self._handle = handle
        self._log = log_
        self.key_of = key_of
        self.limit = limit
        self.max_unanswered = max_unanswered
        self.idle_poll = idle_poll
        self.settle = settle
        self._lanes = Lanes()
        self._pending: dict[int, asyncio.Task[None]] = {}  # every update being worked on
        self._holding: set[int] = set()  # in hand and not yet confirmable
        self._unanswered: set[int] = set()  # confirmable (effects committed), answer going out
        self._marked: set[int] = set()  # noted done in the database
        self._finished: set[int] = set()  # done, above a lower update still held
        self._abandoned: set[int] = set()  # cut off by the drain deadline: never confirmed
        self._high = 0  # the highest update id taken in
        self._confirmed = 0  # the last offset Telegram was sent
        self._progress = asyncio.Event()
        self._getting: asyncio.Future[Any] | None = None
        self.accepting = True
        self.handled_count = 0
        self.skipped = 0

    # ----- offsets ----------------------------------------------------------------------
    @property
    def offset(self) -> int:
        """Confirms exactly what may be: the lowest update held, else the next one."""
        held = self._holding | self._abandoned
        if held:
            return min(held)
        return self._high + 1 if self._high else 0

    @property
    def in_hand(self) -> int:
        return len(self._pending)

    def known(self, update_id: int) -> bool:
        """Being worked on, or finished but not yet confirmable (polls return these again)."""
        return not self._is_new(update_id)

    def _is_new(self, update_id: int) -> bool:
        return (
            update_id not in self._pending
            and update_id not in self._finished
            and update_id not in self._abandoned
            and update_id >= self._confirmed
        )

    # ----- taking updates in --------------------------------------------------------------
    async def take(self, updates: Sequence[Update]) -> dict[int, asyncio.Task[None]]:
        """Start handling every update not already in hand or done; the tasks in hand
        for the given updates afterwards (a skipped or finished one has none)."""
        fresh = [u for u in updates if self._is_new(u.update_id)]
        if fresh:
            seen = await self._log.delivered([self.key_of(u.update_id) for u in fresh])
            for update in fresh:
                if self._is_new(update.update_id):  # not taken by a concurrent caller
                    self._start(update, done=seen.get(self.key_of(update.update_id)) is True)
        return {u.update_id: t for u in updates if (t := self._pending.get(u.update_id))}

    def _start(self, update: Update, *, done: bool) -> None:
        update_id = update.update_id
        self._high = max(self._high, update_id)
        if done:
            self.skipped += 1
            log.info("telegram update already handled, skipped update_id=%s", update_id)
            self._finish(update_id)
            return
        self._holding.add(update_id)
        task = self._lanes.run(lane_of(update), lambda: self._one(update))
        self._pending[update_id] = task
        task.add_done_callback(lambda t: self._settled(update_id, t))

    async def take_one(self, update: Update) -> bool:
        """Webhook mode: handle one update and wait for it; False if it was not handled
        (stopping, or cut off by the drain), so Telegram is told to post it again."""
        if not self.accepting:
            return False
        update_id = update.update_id
        if update_id in self._finished:
            return True
        task = (await self.take([update])).get(update_id)
        if task is not None:
            await asyncio.wait([task])
        return update_id not in self._abandoned and update_id not in self._pending

    async def handled(self) -> None:
        """Called by a handler once the update's effects are committed, before it answers.

        The update may then be confirmed while its answer is still going out (receipts
        queue behind Telegram's 30 messages a second), so a burst is taken in and stored
        without waiting for every answer. At most `max_unanswered` updates are in that
        state, few enough that the drain always finishes their answers; beyond that an
        update stays held until it has answered."""
        update_id = _current.get()
        if (
            update_id is None
            or update_id not in self._holding
            or len(self._unanswered) >= self.max_unanswered
        ):
            return
        self._unanswered.add(update_id)  # reserve the slot before the await
        await self._mark(update_id)
        self._holding.discard(update_id)
        self._progress.set()

    async def _one(self, update: Update) -> None:
        token = _current.set(update.update_id)
        try:
            await self._handle(update)
        except Exception:
            # The application's error handler answers handler failures; this is a bug
            # outside any handler. Retrying it on every start would not fix it.
            log.exception(
                "telegram update failed outside its handler update_id=%s", update.update_id
            )
        finally:
            _current.reset(token)
        await self._mark(update.update_id)
        self.handled_count += 1

    async def _mark(self, update_id: int) -> None:
        """Note the update done before it can be confirmed (retried: a brief outage must
        not make a handled update run again after a restart)."""
        if update_id in self._marked:
            return
        key = self.key_of(update_id)
        for attempt in range(5):
            try:
                await self._log.mark_delivered(key)
                self._marked.add(update_id)
                return
            except Exception as error:
                log.warning("could not note a handled update key=%s: %s", key, type(error).__name__)
                await asyncio.sleep(0.2 * 2**attempt)
        log.error("a handled update was not noted as done; it may run again key=%s", key)

    def _settled(self, update_id: int, task: asyncio.Task[None]) -> None:
        if task.cancelled():
            self._pending.pop(update_id, None)
            if update_id in self._holding:
                self._holding.discard(update_id)
                self._abandoned.add(update_id)  # Telegram delivers it again after the restart
            elif update_id in self._unanswered:
                log.warning(
                    "telegram update stored but its answer was cut off update_id=%s", update_id
                )
            self._unanswered.discard(update_id)
        else:
            self._finish(update_id)
        self._progress.set()

    def _finish(self, update_id: int) -> None:
        self._pending.pop(update_id, None)
        self._holding.discard(update_id)
        self._unanswered.discard(update_id)
        self._marked.discard(update_id)
        self._finished.add(update_id)
        floor = self.offset
        self._finished = {i for i in self._finished if i >= floor}

    # ----- polling ------------------------------------------------------------------------
    async def poll(self, bot: Any, *, timeout: int, allowed_updates: list[str]) -> None:
        """getUpdates until `stop_taking()`."""
        failures = 0
        while self.accepting:
            if self._holding:
                # A long poll would confirm what is still held: poll when some of it
                # finished (or every idle_poll seconds) and take in what is new.
                self._progress.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._progress.wait(), self.idle_poll)
                await asyncio.sleep(self.settle)  # let finishes that arrive together batch
                wait = 0
            else:
                wait = timeout
            offset = self.offset
            self._getting = asyncio.ensure_future(
                bot.get_updates(
                    offset=offset or None,
                    limit=self.limit,
                    timeout=wait,
                    allowed_updates=allowed_updates,
                )
            )
            try:
                updates = await self._getting
            except asyncio.CancelledError:
                if not self.accepting and self._getting.cancelled():
                    return  # stop_taking() interrupted the long poll: it confirmed nothing
                raise
            except InvalidToken:
                raise
            except TelegramError as error:
                failures += 1
                log.warning("telegram polling failed, retrying: %s", error)
                await asyncio.sleep(min(30.0, 0.5 * 2 ** min(failures, 6)))
                continue
            failures = 0
            self._confirmed = max(self._confirmed, offset)
            try:
                await self.take(updates)
            except Exception as error:  # the database is unreachable: nothing was started
                log.warning("telegram updates not taken in, retrying: %s", type(error).__name__)
                await asyncio.sleep(1.0)

    # ----- stopping -----------------------------------------------------------------------
    def stop_taking(self) -> None:
        """Take nothing new: a poll still waiting is cut short (its answer, if any, is
        not confirmed, so Telegram sends it again); a batch already received is still
        taken in, and poll() returns after it."""
        self.accepting = False
        self._progress.set()
        if self._getting is not None and not self._getting.done():
            self._getting.cancel()

    async def drain(self, deadline: float) -> int:
        """Wait for the updates in hand until `deadline` (loop time); cancel the rest,
        which stay unconfirmed. Returns how many were cut off."""
        loop = asyncio.get_running_loop()
        late: set[asyncio.Task[None]] = set()
        while tasks := list(self._pending.values()):  # a webhook post may still start one
            left = deadline - loop.time()
            if left <= 0:
                late = set(tasks)
                break
            await asyncio.wait(tasks, timeout=left)
        for task in late:
            task.cancel()
        if late:
            await asyncio.gather(*late, return_exceptions=True)
            log.warning(
                "%d telegram updates not finished by the drain deadline; Telegram will "
                "deliver them again",
                len(late),
            )
        return len(late)

    async def confirm(self, bot: Any, *, timeout: float = 2.0) -> None:
        """Tell Telegram that everything handled is handled (what was cut off is not)."""
        offset = self.offset
        if not offset or offset <= self._confirmed:
            return
        started = time.monotonic()
        try:
            await asyncio.wait_for(bot.get_updates(offset=offset, limit=1, timeout=0), timeout)
        except (TelegramError, TimeoutError) as error:
            log.warning("could not confirm handled telegram updates: %s", error)
            return
        self._confirmed = offset
        log.info(
            "telegram updates confirmed up to %s in %.0f ms",
            offset - 1,
            (time.monotonic() - started) * 1000,
        )
