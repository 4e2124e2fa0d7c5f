"""A credit dispute end to end on Telegram and on Discord: the real adapters against the
local fakes, jurors told in a direct message with Uphold · Reject · Recuse buttons, the
clock moved by hand past the deadline and the appeal window, the jobs run as `govbot run`
runs them (`Core.close_due`), and the ruling read where members see it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from handlers.audit.verify import verify
from handlers.core.ports import ManualClock
from tests.disputes.helpers import HOUR
from tests.harness.both_env import both_env
from tests.harness.discord_env import discord_buttons, discord_env, discord_text
from tests.harness.fakes.telegram_api import FakeTelegramAPI
from tests.harness.telegram_env import ALICE, BOB, CAROL, DAVE, GROUP, telegram_env, text_of

ERIN, FINN, GAIL = 55, 66, 77
SETTINGS: dict[str, Any] = {"jury_size": 3, "appeal_hours": 24}


def says(needle: str) -> Any:
    return lambda call: needle in text_of(call)


async def test_a_credit_dispute_on_telegram(tmp_path: Path, tg_fake: FakeTelegramAPI) -> None:
    clock = ManualClock(1_800_000_000.0)
    tg_fake.members[(GROUP, ALICE)] = "administrator"
    for user, name in ((ERIN, "Erin"), (FINN, "Finn"), (GAIL, "Gail")):
        tg_fake.add_user(user, name, name.lower())
    async with telegram_env(tmp_path, tg_fake, clock=clock, disputes=SETTINGS) as tg:
        people = (BOB, CAROL, DAVE, ERIN, FINN, GAIL)
        for user in people:
            await tg.say(GROUP, user, "/rep")
        for name in ("Bob", "Carol", "Dave", "Erin", "Finn", "Gail"):
            granted = await tg.say(GROUP, ALICE, f"/credit {name} 3 good work")
            assert "Granted 3 points" in text_of(granted)
        praised = await tg.say(GROUP, CAROL, "/praise Bob thanks")
        assert "Praised Bob" in text_of(praised)
        rep = text_of(await tg.say(GROUP, BOB, "/rep"))
        credit = rep.split("credit:")[1].split(" ")[0]  # the praise, newest first
        card = await tg.say(GROUP, DAVE, f"/dispute credit:{credit} Carol is Bob's other account")
        assert "Dispute d1" in text_of(card)
        notices = await tg_fake.wait_for(
            "sendMessage", count=3, where=says("you are drawn as a juror for dispute d1")
        )
        assert sorted(c.params["chat_id"] for c in notices) == [ERIN, FINN, GAIL]
        for notice in notices:
            keyboard = notice.params["reply_markup"]["inline_keyboard"]
            labels = [b["text"] for row in keyboard for b in row]
            assert labels == ["Uphold", "Reject", "Recuse"]
            juror = notice.params["chat_id"]
            query = tg_fake.press(
                juror, juror, notice.result["message_id"], keyboard[0][0]["callback_data"]
            )
            [answer] = await tg_fake.wait_for("answerCallbackQuery", callback_query_id=query)
            assert "Your vote on dispute d1 is in: uphold" in answer.params["text"]
        clock.advance(48 * HOUR)
        await tg.core.close_due()
        await tg_fake.wait_for(
            "sendMessage", chat_id=GROUP, where=says("is ruled upheld (3 uphold")
        )
        clock.advance(24 * HOUR)
        await tg.core.close_due()
        await tg_fake.wait_for("sendMessage", chat_id=GROUP, where=says("voided by dispute d1"))
        rep = text_of(await tg.say(GROUP, BOB, "/rep"))
        assert "1 credit (2.0) voided by dispute d1" in rep
        assert (await verify(tg.core.storage)).ok


async def test_a_credit_dispute_on_discord(tmp_path: Path) -> None:
    clock = ManualClock(1_800_000_000.0)
    async with discord_env(tmp_path, clock=clock, disputes=SETTINGS) as dc:
        fake = dc.fake
        admin = dc.user("admin", admin=True)
        names = ("bob", "cyd", "dee", "eve", "fay", "gus")
        for name in names:
            await dc.ask("rep", dc.user(name))
        for name in names:
            _, granted = await dc.ask("credit", admin, member=name, points=3.0, reason="work")
            assert "Granted 3 points" in discord_text(granted)
        _, praised = await dc.ask("praise", dc.user("cyd"), member="bob", reason="thanks")
        assert "Praised bob" in discord_text(praised)
        _, rep = await dc.ask("rep", dc.user("bob"))
        credit = discord_text(rep).split("credit:")[1].split(" ")[0]  # the praise
        start = len(fake.calls)
        _, card = await dc.ask("dispute", dc.user("dee"), text=f"credit:{credit} same person")
        assert "Dispute d1" in discord_text(card)
        opened = await fake.wait_for("POST", r"/users/@me/channels", since=start, count=3)
        drawn = {j.member_id for j in await dc.core.storage.disputes.jurors(1)}
        accounts = [await dc.core.storage.members.get(i) for i in drawn]
        users = {m.user_id: dc.users[m.display_name] for m in accounts if m}
        assert {str(c.json["recipient_id"]) for c in opened} == set(users)
        assert not {"bob", "cyd", "dee"} & {u.name for u in users.values()}
        await fake.wait_for(
            "POST",
            r"/channels/\d+/messages",
            since=start,
            count=3,
            where=lambda c: "drawn as a juror" in discord_text(c),
        )
        [dm, *_] = [
            m
            for m in fake.messages.values()
            if any("dispute_vote" in b.get("custom_id", "") for b in discord_buttons(m))
        ]
        assert [b["label"] for b in discord_buttons(dm)] == ["Uphold", "Reject", "Recuse"]
        for user in users.values():
            payload = fake.button(user, dm, discord_buttons(dm)[1]["custom_id"])
            await fake.send_interaction(payload)
            [answer] = await dc.followups(payload["token"])
            assert answer.json["flags"] & 64
            assert "Your vote on dispute d1 is in: reject" in discord_text(answer)
        channel = rf"/channels/{fake.channel_id}/messages"
        start = len(fake.calls)
        clock.advance(48 * HOUR)
        await dc.core.close_due()
        await fake.wait_for(
            "POST", channel, since=start, where=lambda c: "is ruled rejected" in discord_text(c)
        )
        clock.advance(24 * HOUR)
        await dc.core.close_due()
        await fake.wait_for(
            "POST", channel, since=start, where=lambda c: "is final" in discord_text(c)
        )
        _, shown = await dc.ask("dispute", dc.user("eve"), text="d1")
        assert "Rejected: the target stands" in discord_text(shown)
        assert (await verify(dc.core.storage)).ok


async def test_one_credit_dispute_across_telegram_and_discord(
    tmp_path: Path, tg_fake: FakeTelegramAPI
) -> None:
    """Opened on Telegram, jurors on both platforms (each told in a DM there), the ruling
    announced in the community's Telegram group and Discord channel alike."""
    clock = ManualClock(1_800_000_000.0)
    tg_fake.members[(GROUP, ALICE)] = "administrator"
    tg_fake.add_user(ERIN, "Erin", "erin")
    async with both_env(tmp_path, tg_fake, clock=clock, disputes=SETTINGS) as both:
        core, tg, dc = both.core, both.telegram, both.discord
        for user in (BOB, CAROL, DAVE, ERIN):
            await tg.say(GROUP, user, "/rep")
        for name in ("eve", "fay"):
            await dc.ask("rep", dc.user(name))
        # exactly three members besides the parties have reputation: all three sit
        for name in ("Bob", "Erin", "eve", "fay"):
            granted = await tg.say(GROUP, ALICE, f"/credit {name} 3 good work")
            assert "Granted 3 points" in text_of(granted)
        assert "Praised Bob" in text_of(await tg.say(GROUP, CAROL, "/praise Bob thanks"))
        rep = text_of(await tg.say(GROUP, BOB, "/rep"))
        credit = rep.split("credit:")[1].split(" ")[0]
        start = len(dc.fake.calls)
        card = await tg.say(GROUP, DAVE, f"/dispute credit:{credit} Carol is Bob's other account")
        assert "Dispute d1" in text_of(card)
        channel = rf"/channels/{dc.fake.channel_id}/messages"
        await dc.fake.wait_for(  # the card is copied to the Discord side of the community
            "POST", channel, since=start, where=lambda c: "Dispute d1" in discord_text(c)
        )
        [tg_notice] = await tg_fake.wait_for(
            "sendMessage", chat_id=ERIN, where=says("you are drawn as a juror for dispute d1")
        )
        await dc.fake.wait_for("POST", r"/users/@me/channels", since=start, count=2)
        keyboard = tg_notice.params["reply_markup"]["inline_keyboard"]
        query = tg_fake.press(
            ERIN, ERIN, tg_notice.result["message_id"], keyboard[0][0]["callback_data"]
        )
        [answer] = await tg_fake.wait_for("answerCallbackQuery", callback_query_id=query)
        assert "Your vote on dispute d1 is in: uphold" in answer.params["text"]
        dms = [
            m
            for m in dc.fake.messages.values()
            if any("dispute_vote" in b.get("custom_id", "") for b in discord_buttons(m))
        ]
        assert len(dms) == 2
        uphold = discord_buttons(dms[0])[0]["custom_id"]  # the press names the juror
        for name in ("eve", "fay"):
            payload = dc.fake.button(dc.user(name), dms[0], uphold)
            await dc.fake.send_interaction(payload)
            [pressed] = await dc.followups(payload["token"])
            assert "Your vote on dispute d1 is in: uphold" in discord_text(pressed)
        start = len(dc.fake.calls)
        clock.advance(48 * HOUR)
        await core.close_due()
        await tg_fake.wait_for(
            "sendMessage", chat_id=GROUP, where=says("is ruled upheld (3 uphold")
        )
        await dc.fake.wait_for(
            "POST", channel, since=start, where=lambda c: "is ruled upheld" in discord_text(c)
        )
        clock.advance(24 * HOUR)
        await core.close_due()
        await tg_fake.wait_for("sendMessage", chat_id=GROUP, where=says("voided by dispute d1"))
        await dc.fake.wait_for(
            "POST", channel, since=start, where=lambda c: "voided by dispute d1" in discord_text(c)
        )
        _, rep_on_discord = await dc.ask("dispute", dc.user("eve"), text="d1")
        assert "Final (3 uphold, 0 reject)" in discord_text(rep_on_discord)
        assert (await verify(core.storage)).ok
