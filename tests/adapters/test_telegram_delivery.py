"""Telegram intake and flood limits: what is confirmed, in what order, and what waits.

The feed is driven by the real `telegram.Bot` polling the fake Bot API, with handled
update keys in a real database; the adapter tests run the whole `TelegramAdapter`.

* an update is confirmed (getUpdates offset past it) only once it was handled; a slow
  one holds the offset while later ones finish, and after a crash a new process skips
  what was done and handles the rest;
* one member's updates run in arrival order, other members' beside them;
* an update whose effects are committed may be confirmed before its answer went out,
  but never more than `max_unanswered` of them;
* webhook mode answers Telegram only after the update was handled (503 while stopping);
* only messages count against a group's 20-a-minute budget: reads go out at once;
* one getChatAdministrators per group answers for every member;
* notices to members who never started the bot share a message while the group's
  budget is spent.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from telegram import Bot, Update
from telegram.ext import ExtBot

from bot.adapters.telegram import ALLOWED_UPDATES, TelegramAdapter
from bot.adapters.telegram.feed import UpdateFeed
from bot.adapters.telegram.limits import PREPAID, SendLimiter
from bot.app import Core, build_core
from bot.settings import load_settings
from storage import Storage, open_storage
from tests.harness.fakes.telegram_api import FakeTelegramAPI

TOKEN = "123:ABC"
GROUP = -1001
ALICE, BOB, CAROL = 11, 22, 33


async def until(condition: Callable[[], bool], timeout: float = 10.0, what: str = "") -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met in time: {what}")
        await asyncio.sleep(0.01)


def pending_at_telegram(fake: FakeTelegramAPI) -> int:
    """Updates Telegram still holds (not confirmed by any offset yet)."""
    return int(fake.api_getwebhookinfo({}, {})["pending_update_count"])


def offsets(fake: FakeTelegramAPI) -> list[int]:
    return [int(c.params.get("offset") or 0) for c in fake.calls_to("getUpdates")]


class StorageLog:
    """The feed's view of handled keys, in a real database (as the Core provides it)."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    async def delivered(self, keys: list[str]) -> dict[str, bool]:
        return await self.storage.deliveries.seen(keys)

    async def mark_delivered(self, key: str) -> None:
        await self.storage.deliveries.mark_done(key)


class Recorder:
    """A stand-in for the application's handlers: records starts and ends, and holds
    chosen updates until released (an update id → Event)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, int]] = []
        self.gates: dict[int, asyncio.Event] = {}
        self.feed: UpdateFeed | None = None
        self.committed_first: set[int] = set()  # call feed.handled() before the gate

    async def __call__(self, update: Update) -> None:
        self.events.append(("start", update.update_id))
        if update.update_id in self.committed_first and self.feed is not None:
            await self.feed.handled()
        if (gate := self.gates.get(update.update_id)) is not None:
            await gate.wait()
        self.events.append(("end", update.update_id))

    def ended(self, update_id: int) -> bool:
        return ("end", update_id) in self.events


@contextlib.asynccontextmanager
async def feeding(
    fake: FakeTelegramAPI, storage: Storage, recorder: Recorder, **options: Any
) -> AsyncIterator[UpdateFeed]:
    bot = Bot(TOKEN, base_url=fake.base_url)
    await bot.initialize()
    feed = UpdateFeed(recorder, StorageLog(storage), lambda i: f"telegram:test:{i}", **options)
    recorder.feed = feed
    poller = asyncio.create_task(feed.poll(bot, timeout=1, allowed_updates=ALLOWED_UPDATES))
    try:
        yield feed
    finally:
        feed.stop_taking()
        poller.cancel()
        await asyncio.gather(poller, return_exceptions=True)
        await bot.shutdown()


def say(fake: FakeTelegramAPI, user: int, text: str = "hello") -> int:
    return fake.push({"message": fake.message(GROUP, user, text)})


async def test_a_slow_update_holds_the_offset_and_a_restart_skips_what_was_done(
    tmp_path: Path,
) -> None:
    storage = await open_storage(f"sqlite:///{tmp_path}/feed.db")
    try:
        async with FakeTelegramAPI(token=TOKEN) as fake:
            first = Recorder()
            slow = say(fake, ALICE)
            fast = [say(fake, BOB), say(fake, CAROL)]
            first.gates[slow] = asyncio.Event()
            async with feeding(fake, storage, first, idle_poll=0.05) as feed:
                await until(lambda: all(first.ended(i) for i in fast), what="the fast ones")
                polls = len(offsets(fake))
                await until(lambda: len(offsets(fake)) > polls + 2, what="polls after them")
                assert max(offsets(fake)) <= slow, "an update was confirmed before it was handled"
                assert pending_at_telegram(fake) == 3
                assert feed.in_hand == 1
            # The process dies here: the slow update was never handled nor confirmed.
            second = Recorder()
            async with feeding(fake, storage, second, idle_poll=0.05) as feed:
                await until(lambda: second.ended(slow), what="the slow update, redelivered")
                await until(lambda: pending_at_telegram(fake) == 0, what="everything confirmed")
                assert feed.skipped == 2, "the two handled before the crash are not run again"
            assert [e for e in second.events if e[0] == "start"] == [("start", slow)]
    finally:
        await storage.close()


async def test_one_members_updates_keep_their_order_while_others_run_beside_them(
    tmp_path: Path,
) -> None:
    storage = await open_storage(f"sqlite:///{tmp_path}/feed.db")
    try:
        async with FakeTelegramAPI(token=TOKEN) as fake:
            recorder = Recorder()
            a1, a2, b1 = say(fake, ALICE, "one"), say(fake, ALICE, "two"), say(fake, BOB)
            recorder.gates[a1] = asyncio.Event()
            async with feeding(fake, storage, recorder, idle_poll=0.05):
                await until(lambda: recorder.ended(b1), what="Bob's update, beside Alice's")
                assert ("start", a2) not in recorder.events, "Alice's second ran before her first"
                recorder.gates[a1].set()
                await until(lambda: recorder.ended(a2), what="Alice's second")
            events = recorder.events
            assert events.index(("start", a2)) > events.index(("end", a1))
    finally:
        await storage.close()


async def test_committed_updates_are_confirmed_before_their_answers_but_only_so_many(
    tmp_path: Path,
) -> None:
    storage = await open_storage(f"sqlite:///{tmp_path}/feed.db")
    try:
        async with FakeTelegramAPI(token=TOKEN) as fake:
            recorder = Recorder()
            first, second = say(fake, ALICE), say(fake, BOB)
            recorder.committed_first = {first, second}  # stored; their answers still going out
            recorder.gates = {first: asyncio.Event(), second: asyncio.Event()}
            async with feeding(fake, storage, recorder, idle_poll=0.05, max_unanswered=1):
                await until(lambda: second in offsets(fake), what="the first confirmed early")
                polls = len(offsets(fake))
                await until(lambda: len(offsets(fake)) > polls + 2, what="more polls")
                assert max(offsets(fake)) == second, "only one may be owed an answer at a time"
                assert not recorder.ended(first)
                recorder.gates[first].set()
                recorder.gates[second].set()
                await until(lambda: pending_at_telegram(fake) == 0, what="both confirmed")
    finally:
        await storage.close()


# ----- the adapter ----------------------------------------------------------------------
@contextlib.asynccontextmanager
async def serve(
    tmp_path: Path, fake: FakeTelegramAPI, rate_limiter: Any = None, **telegram: Any
) -> AsyncIterator[tuple[Core, TelegramAdapter]]:
    settings = load_settings(
        database_url=f"sqlite:///{tmp_path}/t.db",
        charts_dir=tmp_path / "charts",
        telegram={"token": TOKEN, "api_base_url": fake.base_url, **telegram},
    )
    core = await build_core(settings)
    adapter = TelegramAdapter(core, edit_interval=0, rate_limiter=rate_limiter, poll_timeout=1)
    core.adapters["telegram"] = adapter
    task = asyncio.create_task(adapter.run())
    try:
        ready = asyncio.create_task(adapter.ready())
        await asyncio.wait({task, ready}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            task.result()
        assert ready.done(), "the adapter did not start"
        yield core, adapter
    finally:
        await adapter.stop()
        await asyncio.wait_for(task, 10)
        await core.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_webhook_answers_telegram_only_after_the_update_was_handled(
    tmp_path: Path,
) -> None:
    port = _free_port()
    async with (
        FakeTelegramAPI(token=TOKEN) as fake,
        serve(
            tmp_path,
            fake,
            mode="webhook",
            webhook_url=f"http://127.0.0.1:{port}/hook",
            webhook_port=port,
            webhook_secret="s3cret",
        ) as (_core, adapter),
    ):
        status = await fake.post_webhook({"message": fake.message(GROUP, ALICE, "/help")})
        assert status == 200
        assert any("govbot commands" in str(c.params["text"]) for c in fake.sent(GROUP)), (
            "Telegram heard 200 before the answer went out"
        )
        assert adapter.feed is not None
        adapter.feed.stop_taking()  # the drain has begun: Telegram must post it again later
        later = {"message": fake.message(GROUP, BOB, "/help")}
        assert await fake.post_webhook(later) == 503
        assert len(fake.sent(GROUP)) == 1


async def test_only_messages_count_against_a_groups_budget() -> None:
    async with FakeTelegramAPI(token=TOKEN) as fake:
        limiter = SendLimiter(group_per_minute=1, overall_per_second=0)
        bot = ExtBot(TOKEN, base_url=fake.base_url, rate_limiter=limiter)
        await bot.initialize()
        try:
            await bot.send_message(GROUP, "one")  # the group's only message this minute
            for read in (
                bot.get_chat_member(GROUP, ALICE),
                bot.get_chat_administrators(GROUP),
                bot.get_chat(GROUP),
            ):
                await asyncio.wait_for(read, 10)  # behind the budget, each would wait 60 s
            await asyncio.wait_for(bot.send_message(ALICE, "a private chat"), 10)
            second = asyncio.create_task(bot.send_message(GROUP, "two"))
            await asyncio.sleep(0.3)
            assert not second.done(), "a second group message went out within the minute"
            second.cancel()
            await asyncio.gather(second, return_exceptions=True)
            assert len(fake.calls_to("sendMessage", chat_id=GROUP)) == 1
        finally:
            await bot.shutdown()


async def test_a_budget_spent_ahead_is_not_charged_twice() -> None:
    async with FakeTelegramAPI(token=TOKEN) as fake:
        limiter = SendLimiter(group_per_minute=1, overall_per_second=0)
        bot = ExtBot(TOKEN, base_url=fake.base_url, rate_limiter=limiter)
        await bot.initialize()
        try:
            await limiter.spend(GROUP)
            await asyncio.wait_for(bot.send_message(GROUP, "paid", rate_limit_args=PREPAID), 10)
            assert not limiter.group(GROUP).has_capacity()  # type: ignore[union-attr]
        finally:
            await bot.shutdown()


async def test_one_administrator_list_answers_for_every_member(tmp_path: Path) -> None:
    async with FakeTelegramAPI(token=TOKEN) as fake:
        fake.add_chat(GROUP, "supergroup", "Builders")
        fake.members[(GROUP, BOB)] = "administrator"
        async with serve(tmp_path, fake) as _:
            fake.send_text(GROUP, ALICE, "/propose Charter | yes | no")
            await fake.wait_for("sendMessage", chat_id=GROUP)  # members vote on the card
            voters = range(100, 130)
            for member in voters:
                fake.send_text(GROUP, member, "/vote 1 yes")
            await fake.wait_for(
                "sendMessage", len(voters), where=lambda c: c.params["chat_id"] in voters
            )
            fake.send_text(GROUP, BOB, "/close 1")
            await fake.wait_for(
                "sendPhoto", chat_id=GROUP, where=lambda c: "closed" in c.params["caption"]
            )
        assert len(fake.calls_to("getChatAdministrators")) == 1
        assert fake.calls_to("getChatMember") == []


async def test_notices_waiting_for_the_groups_budget_share_one_message(
    tmp_path: Path,
) -> None:
    async with FakeTelegramAPI(token=TOKEN) as fake:
        fake.add_chat(GROUP, "supergroup", "Builders")
        strangers = list(range(200, 205))
        fake.forbidden |= set(strangers)
        limiter = SendLimiter(group_per_minute=120, overall_per_second=0)
        async with serve(tmp_path, fake, rate_limiter=limiter):
            fake.send_text(GROUP, ALICE, "/propose Charter | yes | no")
            await fake.wait_for("sendMessage", chat_id=GROUP)
            bucket = limiter.group(GROUP)
            assert bucket is not None
            while bucket.has_capacity():  # the group's budget is spent for now
                await bucket.acquire()
            for member in strangers:
                fake.send_text(GROUP, member, "/vote 1 yes")

            def told() -> set[int]:
                return {
                    m for m in strangers for c in fake.sent(GROUP) if f'id={m}"' in c.params["text"]
                }

            await until(lambda: told() == set(strangers), what="every stranger told")
        notices = [c for c in fake.sent(GROUP) if "press Start" in c.params["text"]]
        assert len(notices) < len(strangers), "each notice took a message of its own"
        assert any(c.params["text"].count("tg://user?id=") > 1 for c in notices)
        links = [t.split('"')[0] for c in notices for t in c.params["text"].split("start=")[1:]]
        assert len(set(links)) == len(strangers), "every member gets a link of their own"
