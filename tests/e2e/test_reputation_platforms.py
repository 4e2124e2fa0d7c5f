"""Issue 7 end to end: contributions from Telegram and Discord arrive and count.

The real python-telegram-bot Application and the real discord.py client run against the
local fakes. Members react, reply, mark answers helpful (`/helpful` as a reply on
Telegram, the "Mark as helpful" message menu on Discord, ✅ added by the asker on both)
and take a reaction back; we assert on the ledger rows (kind, giver, receiver, emoji,
counted or why not, retracted) and on the `/rep` answer the platform received, which
must agree with the stored snapshot. Rules and scoring in depth: tests/reputation/.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.app import Core
from storage.schema import members
from tests.harness.discord_env import discord_env, discord_text
from tests.harness.fakes.telegram_api import FakeTelegramAPI
from tests.harness.telegram_env import ALICE, BOB, CAROL, DAVE, GROUP, telegram_env
from tests.harness.waiting import until
from tests.reputation.helpers import ledger_rows

Row = tuple[str, str | None, str, str | None, bool, str | None, bool]


def _row(row: dict[str, Any]) -> Row:
    """(kind, giver, receiver, emoji, counted, reason, retracted), by platform user id."""
    return (
        row["kind"],
        row["giver_user"],
        row["receiver_user"],
        row["emoji"],
        bool(row["counted"]),
        row["reason"],
        row["retracted_at"] is not None,
    )


async def _ledger_has(core: Core, count: int) -> list[dict[str, Any]]:
    """Wait until the ledger holds `count` rows; return them."""
    rows: list[dict[str, Any]] = []

    async def enough() -> bool:
        rows[:] = await ledger_rows(core)
        return len(rows) >= count

    await until(enough, what=f"{count} ledger rows")
    return rows


async def _known(core: Core, user_id: int) -> bool:
    """Whether the member row exists (its name is set by whoever is seen first)."""
    async with core.storage.db.read() as conn:
        found = await conn.scalar(select(members.c.id).where(members.c.user_id == str(user_id)))
    return found is not None


async def _retracted(core: Core, emoji: str) -> bool:
    return any(r["emoji"] == emoji and r["retracted_at"] for r in await ledger_rows(core))


def _shown(text: str) -> tuple[float, dict[str, float]]:
    """The total and the per-kind parts a `/rep` answer shows."""
    plain = re.sub(r"<[^>]+>|\*\*", "", text)
    total = float(re.search(r"Reputation of [^:]+: ([\d.]+)", plain).group(1))  # type: ignore[union-attr]
    by_kind = re.search(r"By kind: (.*)", plain).group(1)  # type: ignore[union-attr]
    parts = {m[0]: float(m[1]) for m in re.findall(r"([a-z ]+?) ([\d.]+)(?: · |$)", by_kind)}
    return total, parts


async def _stored_score(core: Core, rows: list[dict[str, Any]], user: str) -> float:
    """The receiver's score in the community's latest snapshot."""
    community_id = rows[0]["community_id"]
    member_id = next(r["receiver_id"] for r in rows if r["receiver_user"] == user)
    snapshot = await core.storage.reputation.latest(community_id)
    assert snapshot is not None
    stored = await core.storage.reputation.score(snapshot.id, member_id)
    assert stored is not None
    return stored.score


def _assert_rep_agrees(text: str, stored: float, kinds: set[str]) -> None:
    total, parts = _shown(text)
    assert total > 0 and abs(total - stored) < 0.051, (text, stored)
    assert set(parts) == kinds, parts
    assert abs(sum(parts.values()) - total) < 1e-6, "the breakdown adds up to the score"


# ----- Telegram -------------------------------------------------------------------------
async def test_telegram_events_arrive_and_count(tmp_path: Path, tg_fake: FakeTelegramAPI) -> None:
    tg_fake.members[(GROUP, ALICE)] = "administrator"  # a trusted seed
    async with telegram_env(tmp_path, tg_fake) as tg:
        core = tg.core
        question = tg_fake.send_text(GROUP, CAROL, "how do I delegate my vote?")
        answer = tg_fake.send_text(GROUP, BOB, "use /vote", reply_to=question["message_id"])
        await _ledger_has(core, 1)  # the reply is logged before the asker's ✅ looks for it
        tg_fake.react(GROUP, CAROL, answer["message_id"], new=["✅"])  # the asker: helpful
        tg_fake.react(GROUP, ALICE, answer["message_id"], new=["👍"])
        tg_fake.react(GROUP, BOB, answer["message_id"], new=["👍"])  # himself: logged, not counted
        tg_fake.react(GROUP, DAVE, answer["message_id"], new=["🔥"])
        await _ledger_has(core, 5)
        tg_fake.react(GROUP, DAVE, answer["message_id"], old=["🔥"])  # …and taken back
        await until(lambda: _retracted(core, "🔥"), what="the 🔥 retracted")

        receipt = await tg.say(GROUP, ALICE, "/helpful", reply_to=answer["message_id"])
        assert receipt.params["chat_id"] == ALICE, "the mark is confirmed privately"
        assert receipt.params["text"] == "Marked Bob's message as a helpful answer."
        again = await tg.say(GROUP, ALICE, "/helpful", reply_to=answer["message_id"])
        assert "already marked" in again.params["text"]
        refusal = await tg.say(GROUP, ALICE, "/helpful")
        assert "as a reply" in refusal.params["text"]

        # a reaction to the bot's own message earns nothing and is not even logged
        rows_before = len(await ledger_rows(core))
        tg_fake.react(GROUP, CAROL, refusal.result["message_id"], new=["👍"])
        mine = await tg.say(GROUP, BOB, "/rep")  # handled after the reaction: updates queue
        assert len(await ledger_rows(core)) == rows_before

        rows = await ledger_rows(core)
        alice, bob, carol, dave = (str(u) for u in (ALICE, BOB, CAROL, DAVE))
        assert sorted(map(_row, rows), key=str) == sorted(
            [
                ("reply", bob, carol, None, True, None, False),
                ("helpful", carol, bob, "✅", True, None, False),
                ("reaction", alice, bob, "👍", True, None, False),
                ("reaction", bob, bob, "👍", False, "self", False),
                ("reaction", dave, bob, "🔥", True, None, True),
                ("helpful", alice, bob, None, True, None, False),
            ],
            key=str,
        )
        assert all(r["platform"] == "telegram" and r["channel_id"] == str(GROUP) for r in rows)
        assert {r["message_id"] for r in rows if r["receiver_user"] == bob} == {
            str(answer["message_id"])
        }

        text = mine.params["text"]
        assert mine.params["chat_id"] == GROUP
        assert text.startswith("Reputation of <b>Bob</b>: ")
        _assert_rep_agrees(
            text, await _stored_score(core, rows, bob), {"helpful answers", "reactions"}
        )
        assert re.search(r"Top sources: Alice [\d.]+ · Carol [\d.]+\n", text), "most first"
        assert "from 4 counted credits" in text, (
            "the self-reaction and the retracted one do not count"
        )

        board = await tg.say(GROUP, CAROL, "/top 3")
        assert board.params["text"].splitlines()[1].startswith("1. Bob ")


# ----- Discord --------------------------------------------------------------------------
async def test_discord_events_arrive_and_count(tmp_path: Path) -> None:
    # Discord tells account age (snowflakes); the fake's accounts are minutes old.
    async with discord_env(tmp_path, reputation={"min_account_age_days": 0}) as dc:
        fake, core = dc.fake, dc.core
        admin = fake.add_user("admin", admin=True)  # a trusted seed
        alice, bob, carol = (fake.add_user(n) for n in ("alice", "bob", "carol"))
        question = await fake.message_create(alice)
        answer = await fake.message_create(bob, reply_to=question)
        await _ledger_has(core, 1)
        await fake.reaction(alice, int(answer["id"]), "✅", message_author=bob)
        await fake.reaction(admin, int(answer["id"]), "👍", message_author=bob)
        await fake.reaction(bob, int(answer["id"]), "👍", message_author=bob)
        await fake.reaction(carol, int(answer["id"]), "🎉", message_author=bob)
        await _ledger_has(core, 5)
        await fake.reaction(carol, int(answer["id"]), "🎉", added=False)
        await until(lambda: _retracted(core, "🎉"), what="the 🎉 retracted")

        menu = fake.message_command("Mark as helpful", admin, answer)
        await fake.send_interaction(menu)
        callback = await fake.wait_callback(menu["id"])
        assert callback.flags & 64, "the mark is private"
        [marked] = await fake.wait_for(
            "PATCH", rf"/webhooks/{fake.app_id}/{menu['token']}/messages/@original"
        )
        assert discord_text(marked) == "Marked bob's message as a helpful answer."
        rows = await _ledger_has(core, 6)

        ids = {u.name: str(u.id) for u in (admin, alice, bob, carol)}
        assert sorted(map(_row, rows), key=str) == sorted(
            [
                ("reply", ids["bob"], ids["alice"], None, True, None, False),
                ("helpful", ids["alice"], ids["bob"], "✅", True, None, False),
                ("reaction", ids["admin"], ids["bob"], "👍", True, None, False),
                ("reaction", ids["bob"], ids["bob"], "👍", False, "self", False),
                ("reaction", ids["carol"], ids["bob"], "🎉", True, None, True),
                ("helpful", ids["admin"], ids["bob"], None, True, None, False),
            ],
            key=str,
        )
        assert all(
            r["platform"] == "discord" and r["channel_id"] == str(fake.channel_id) for r in rows
        )

        _, answered = await dc.ask("rep", alice, member="bob")
        text = discord_text(answered)
        assert text.startswith("Reputation of **bob**: ")
        _assert_rep_agrees(
            text, await _stored_score(core, rows, ids["bob"]), {"helpful answers", "reactions"}
        )
        assert re.search(r"Top sources: admin [\d.]+ · alice [\d.]+\n", text), "most first"


async def test_discord_young_accounts_are_logged_but_not_counted(tmp_path: Path) -> None:
    """With the default minimum account age, a minutes-old Discord account earns nobody."""
    async with discord_env(tmp_path) as dc:
        fake = dc.fake
        alice, bob = fake.add_user("alice"), fake.add_user("bob")
        said = await fake.message_create(alice)
        # Gateway events run in their own tasks: let Alice's message name her before a
        # reaction (which knows its author by id only) could create her row first.
        await until(lambda: _known(dc.core, alice.id), what="alice's member row")
        await fake.reaction(bob, int(said["id"]), "👍", message_author=alice)
        [row] = await _ledger_has(dc.core, 1)
        assert _row(row) == (
            "reaction",
            str(bob.id),
            str(alice.id),
            "👍",
            False,
            "young_account",
            False,
        )
        _, answered = await dc.ask("rep", bob, member="alice")
        assert discord_text(answered).startswith("alice has no reputation yet")
