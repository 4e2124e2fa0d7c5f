"""Reminders end to end: the real adapters against the Telegram and Discord fakes, with a
ManualClock moved past the offsets; the job's replies are routed by the core."""

from __future__ import annotations

from pathlib import Path

from handlers.core.ports import ManualClock
from tests.harness.discord_env import discord_buttons, discord_env, discord_text
from tests.harness.fakes.discord_gateway import FakeDiscord
from tests.harness.fakes.telegram_api import FakeTelegramAPI
from tests.harness.telegram_env import ALICE, BOB, FORUM, telegram_env
from tests.harness.waiting import TIMEOUT

HOUR = 3600.0


def _reach_job(core):  # type: ignore[no-untyped-def]
    [job] = [j for j in core.jobs() if j.name == "remind before proposals close"]
    return job


async def test_telegram_reminder_in_the_topic_and_a_private_one(
    tmp_path: Path, tg_fake: FakeTelegramAPI
) -> None:
    clock = ManualClock(1_800_000_000.0)
    home = {"home_chat_id": str(FORUM)}  # private chats act on the forum's community
    async with telegram_env(tmp_path, tg_fake, clock=clock, telegram=home) as tg:
        card = await tg.propose(FORUM, ALICE, "Budget | yes | no hours=48 quorum=3")
        thread = card.params["message_thread_id"]
        await tg.command(FORUM, BOB, "/remind on", thread_id=thread)
        await tg_fake.wait_for(
            "sendMessage", where=lambda c: "Reminders on" in str(c.params.get("text"))
        )
        clock.advance(24 * HOUR + 60)
        before = len(tg_fake.sent())
        for _ in range(2):  # twice: nothing new the second time
            await tg.core.run_job(_reach_job(tg.core))
        sent = (await tg.wait_sent(before + 2))[before:]
        public = [c for c in sent if c.params["chat_id"] == FORUM]
        private = [c for c in sent if c.params["chat_id"] == BOB]
        assert len(public) == 1 and len(private) == 1
        assert public[0].params["message_thread_id"] == thread
        assert "closes in 23 h 59 min" in public[0].params["text"]
        assert "3 more ballots reach quorum" in public[0].params["text"]
        keyboard = private[0].params["reply_markup"]["inline_keyboard"]
        assert [b["text"] for row in keyboard for b in row] == ["yes", "no"]
        assert len(tg_fake.sent()) == before + 2
        # the DM's button votes
        data = keyboard[0][0]["callback_data"]
        query = tg_fake.press(BOB, BOB, private[0].result["message_id"], data)
        [answer] = await tg_fake.wait_for("answerCallbackQuery", callback_query_id=query)
        assert answer.params["text"].startswith("Vote recorded on #1: yes"), answer.params


async def test_discord_reminder_in_the_channel_and_a_direct_message(tmp_path: Path) -> None:
    clock = ManualClock(1_800_000_000.0)
    async with (
        FakeDiscord() as fake,
        discord_env(
            tmp_path, fake, clock=clock, discord={"home_guild_id": str(fake.guild_id)}
        ) as dc,
    ):
        alice, bob = dc.user("alice"), dc.user("bob")
        await dc.propose(alice, "Budget", hours="48", quorum="2")
        await dc.ask("remind", bob, state="on")
        clock.advance(47 * HOUR)
        since = len(dc.fake.calls)
        for _ in range(2):
            await dc.core.run_job(_reach_job(dc.core))
        dm = await dc.fake.wait_for("POST", r"/users/@me/channels", since=since, timeout=TIMEOUT)
        assert str(dm[0].json["recipient_id"]) == str(bob.id)
        posts = await dc.fake.wait_for(
            "POST", r"/channels/\d+/messages", since=since, count=2, timeout=TIMEOUT
        )
        public = [c for c in posts if f"/channels/{dc.fake.channel_id}/" in c.path]
        private = [c for c in posts if c not in public]
        assert len(public) == 1 and len(private) == 1
        assert "closes in 1 h 0 min" in discord_text(public[0])
        assert "2 more ballots reach quorum" in discord_text(public[0])
        assert "<@" not in discord_text(public[0]) and "@" not in discord_text(private[0])
        assert [b["label"] for b in discord_buttons(private[0].json)] == ["yes", "no"]
        assert len(dc.fake.find("POST", r"/channels/\d+/messages", since)) == 2
