"""A council elected end to end on Telegram, on Discord, across both in one community, and
on the console chat: the real adapters against the local fakes, the clock moved by hand
through nomination → election → seating, the scheduler's jobs run as `govbot run` does
(`Core.close_due`), and the cards and announcements checked where members see them."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from bot.adapters.console import ConsoleAdapter
from handlers.audit.verify import verify
from handlers.core.ports import ManualClock
from tests.councils.helpers import HOUR
from tests.harness.both_env import both_env
from tests.harness.core import core_env
from tests.harness.discord_env import discord_env, discord_text
from tests.harness.fakes.telegram_api import FakeTelegramAPI
from tests.harness.telegram_env import ALICE, BOB, CAROL, DAVE, GROUP, telegram_env, text_of
from tests.harness.waiting import until

CREATE = "create Stewards seats=2 term=30 method=stv nomination=24 voting=24"


def says(needle: str) -> Any:
    return lambda call: needle in text_of(call)


async def ballots(core: Any, number: int) -> int:
    proposal = await core.storage.proposals.get(1, number)
    return 0 if proposal is None else len(await core.storage.ballots.for_proposal(proposal.id))


async def test_a_council_elected_on_telegram(tmp_path: Path, tg_fake: FakeTelegramAPI) -> None:
    clock = ManualClock(1_800_000_000.0)
    tg_fake.members[(GROUP, ALICE)] = "administrator"
    async with telegram_env(tmp_path, tg_fake, clock=clock) as tg:
        created = await tg.say(GROUP, ALICE, f"/council {CREATE}")
        assert "Council Stewards created" in text_of(created)
        refused = await tg.say(GROUP, BOB, f"/council {CREATE.replace('Stewards', 'Other')}")
        assert "Only admins can create councils" in text_of(refused)
        for user in (BOB, CAROL, DAVE):
            answer = await tg.say(GROUP, user, "/stand Stewards")
            assert "stands for council Stewards" in text_of(answer)
        clock.advance(24 * HOUR + 1)
        await tg.core.close_due()
        [card] = await tg_fake.wait_for("sendMessage", chat_id=GROUP, where=says("#1 Council"))
        assert "Choices: 1. Bob  2. Carol  3. Dave" in text_of(card)
        await tg_fake.wait_for("sendMessage", chat_id=GROUP, where=says("Vote on #1 until"))
        tg_fake.send_text(GROUP, ALICE, "/vote 1 Bob > Carol")
        tg_fake.send_text(GROUP, BOB, "/vote 1 Carol > Bob")
        tg_fake.send_text(GROUP, CAROL, "/vote 1 Carol")
        tg_fake.send_text(GROUP, DAVE, "/vote 1 Bob > Dave")

        async def four() -> bool:
            return await ballots(tg.core, 1) == 4

        await until(four, "four ballots")
        clock.advance(24 * HOUR)
        await tg.core.close_due()
        [seated] = await tg_fake.wait_for(
            "sendMessage", chat_id=GROUP, where=says("Council Stewards: elected on #1")
        )
        assert "Carol" in text_of(seated) and "Bob" in text_of(seated)
        shown = await tg.say(GROUP, DAVE, "/council Stewards")
        assert "Members (2 of 2 seats held)" in text_of(shown)
        assert (await verify(tg.core.storage)).ok


async def test_a_council_elected_on_discord(tmp_path: Path) -> None:
    clock = ManualClock(1_800_000_000.0)
    async with discord_env(tmp_path, clock=clock) as dc:
        fake = dc.fake
        admin = dc.user("admin", admin=True)
        _, answer = await dc.ask("council", admin, text=CREATE)
        assert "Council Stewards created" in discord_text(answer)
        for name in ("ann", "bob", "cyd"):
            _, stood = await dc.ask("stand", dc.user(name), council="Stewards")
            assert "stands for council Stewards" in discord_text(stood)
        payload = fake.slash("stand", dc.user("dee"), {"council": "stew"}, focused="council")
        await fake.send_interaction(payload)  # autocomplete offers the community's councils
        offered = (await fake.wait_callback(payload["id"])).json
        assert offered["type"] == 8
        assert offered["data"]["choices"] == [{"name": "Stewards · 2 seats", "value": "Stewards"}]
        token, _ = await dc.command("stand", dc.user("ann"), council="Stewards")
        [twice] = await dc.followups(token)  # a refusal: ephemeral, to ann only
        assert "already standing" in discord_text(twice) and twice.json["flags"] & 64
        channel = rf"/channels/{fake.channel_id}/messages"
        start = len(fake.calls)
        clock.advance(24 * HOUR + 1)
        await dc.core.close_due()
        await fake.wait_for(
            "POST", channel, since=start, where=lambda c: "#1 Council" in discord_text(c)
        )
        ballots_cast = (("ann", "ann > bob"), ("bob", "bob"), ("dee", "ann > cyd"), ("eve", "bob"))
        for voter, ballot in ballots_cast:
            _, voted = await dc.ask("vote", dc.user(voter), id=1, ballot=ballot)
            assert "Vote recorded on #1" in discord_text(voted)
        start = len(fake.calls)
        clock.advance(24 * HOUR)
        await dc.core.close_due()
        [seated] = await fake.wait_for(
            "POST",
            channel,
            since=start,
            where=lambda c: "Council Stewards: elected on #1" in discord_text(c),
        )
        assert "ann" in discord_text(seated) and "bob" in discord_text(seated)
        _, shown = await dc.ask("council", dc.user("dee"), text="Stewards")
        assert "Members (2 of 2 seats held)" in discord_text(shown)
        assert (await verify(dc.core.storage)).ok


async def test_one_council_across_discord_and_telegram(
    tmp_path: Path, tg_fake: FakeTelegramAPI
) -> None:
    clock = ManualClock(1_800_000_000.0)
    async with both_env(tmp_path, tg_fake, clock=clock) as both:
        core, tg, dc = both.core, both.telegram, both.discord
        await core.storage.communities.update_settings(
            1, {"voting": {"allow_unlinked": True}}, by=1, at=0.0
        )
        _, answer = await dc.ask("council", dc.user("admin", admin=True), text=CREATE)
        assert "Council Stewards created" in discord_text(answer)
        await tg_fake.wait_for("sendMessage", chat_id=GROUP, where=says("Council Stewards created"))
        await dc.ask("stand", dc.user("ann"), council="Stewards")
        assert "stands for council Stewards" in text_of(await tg.say(GROUP, BOB, "/stand Stewards"))
        assert "stands" in text_of(await tg.say(GROUP, CAROL, "/stand Stewards"))
        start = len(dc.fake.calls)
        clock.advance(24 * HOUR + 1)
        await core.close_due()
        # the election card, on both platforms
        await tg_fake.wait_for("sendMessage", chat_id=GROUP, where=says("#1 Council Stewards"))
        await dc.fake.wait_for(
            "POST",
            rf"/channels/{dc.fake.channel_id}/messages",
            since=start,
            where=lambda c: "#1 Council Stewards" in discord_text(c),
        )
        await dc.ask("vote", dc.user("ann"), id=1, ballot="ann > Bob")
        await dc.ask("vote", dc.user("dee"), id=1, ballot="ann > Carol")
        tg_fake.send_text(GROUP, ALICE, "/vote 1 Bob > ann")
        tg_fake.send_text(GROUP, DAVE, "/vote 1 Bob")

        async def four() -> bool:
            return await ballots(core, 1) == 4

        await until(four, "ballots from both platforms")
        start = len(dc.fake.calls)
        clock.advance(24 * HOUR)
        await core.close_due()
        [on_telegram] = await tg_fake.wait_for(
            "sendMessage", chat_id=GROUP, where=says("Council Stewards: elected on #1")
        )
        assert "ann" in text_of(on_telegram) and "Bob" in text_of(on_telegram)
        await dc.fake.wait_for(
            "POST",
            rf"/channels/{dc.fake.channel_id}/messages",
            since=start,
            where=lambda c: "Council Stewards: elected on #1" in discord_text(c),
        )
        shown = await tg.say(GROUP, CAROL, "/council Stewards")
        assert "ann · until" in text_of(shown) and "Bob · until" in text_of(shown)
        assert (await verify(core.storage)).ok


async def test_a_council_elected_on_the_console(tmp_path: Path) -> None:
    clock = ManualClock(1_800_000_000.0)
    out = io.StringIO()
    async with core_env(tmp_path, clock=clock) as core:
        console = ConsoleAdapter(core, stdin=io.StringIO(""), stdout=out)
        core.adapters["console"] = console

        async def lines(*typed: str) -> None:
            for line in typed:
                await console.handle_line(line)

        await lines(
            "/as admin",
            f"/council {CREATE}",
            "/as ann",
            "/stand Stewards",
            "/as bob",
            "/stand Stewards",
            "/as cyd",
            "/stand Stewards",
        )
        clock.advance(24 * HOUR + 1)
        await core.close_due()
        await lines("/vote 1 ann > cyd", "/as dee", "/vote 1 cyd", "/as eve", "/vote 1 ann")
        clock.advance(24 * HOUR)
        await core.close_due()
        await lines("/council Stewards")
        transcript = out.getvalue()
        assert "govbot: Council Stewards created" in transcript
        assert "govbot: Nominations for council Stewards closed: 3 candidates for 2 seats" in (
            transcript
        )
        assert "govbot: #1 Council Stewards first election: 2 seats · open" in transcript
        assert "govbot: Council Stewards: elected on #1: ann" in transcript
        assert "Members (2 of 2 seats held)" in transcript
        assert (await verify(core.storage)).ok
