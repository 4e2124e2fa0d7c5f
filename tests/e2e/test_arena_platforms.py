"""Issue 6 end to end: a battle from `/arena` to its reveal on Telegram and on Discord.

The real python-telegram-bot Application and the real discord.py client run against the
local fakes (tests/harness/fakes/); the arena uses the bundled offline models. We assert on what
the platform received (the card with its four buttons, answers to presses, the card
edited after the reveal to name the models and the split) and on the database (one
rating per member, changeable until the reveal, none from the prompt's author). The
console path is covered in tests/arena/test_arena_flow.py.
"""

from __future__ import annotations

import copy
import random
from pathlib import Path

from handlers.core.codec import encode
from handlers.core.ports import ManualClock
from storage.repos.arena import BattleRecord
from tests.harness.discord_env import DiscordEnv, discord_buttons, discord_env, discord_text
from tests.harness.fakes.telegram_api import FakeTelegramAPI
from tests.harness.telegram_env import ALICE, BOB, CAROL, DAVE, GROUP, telegram_env
from tests.harness.waiting import until

LABELS = ["A is better", "B is better", "Tie", "Both bad"]
PROMPT = "What is a Bradley-Terry model?"
HIDDEN = ("demo-atlas", "demo-borealis", "demo-cirrus", "Atlas Labs", "Borealis AI")


async def _battle(core: object, battle_id: int) -> BattleRecord:
    battle = await core.storage.arena.get(battle_id)  # type: ignore[attr-defined]
    assert battle is not None
    return battle


def _assert_blind(text: str) -> None:
    for name in HIDDEN:
        assert name.casefold() not in text.casefold(), f"{name} shows before the reveal"


# ----- Telegram -------------------------------------------------------------------------
async def test_telegram_battle_from_arena_to_reveal(
    tmp_path: Path, tg_fake: FakeTelegramAPI
) -> None:
    async with telegram_env(tmp_path, tg_fake, arena={"reveal_votes": 2}) as tg:
        tg.core.deps.arena.rng = random.Random(7)
        card = await tg.say(GROUP, ALICE, f"/arena {PROMPT}")
        text = card.params["text"]
        assert card.params["chat_id"] == GROUP and card.params["parse_mode"] == "HTML"
        assert "<b>Output A</b>" in text and "<b>Output B</b>" in text and PROMPT in text
        assert "Offline demo provider" in text
        _assert_blind(text)
        keys = [b for row in card.params["reply_markup"]["inline_keyboard"] for b in row]
        assert [b["text"] for b in keys] == LABELS
        battle_id = keys[0]["callback_data"].split(":")[2]
        assert [b["callback_data"] for b in keys] == [
            encode("arena", (battle_id, choice)) for choice in ("a", "b", "tie", "bothbad")
        ]
        battle = await _battle(tg.core, int(battle_id))
        assert battle.status == "open" and battle.model_a != battle.model_b
        assert battle.origin["platform"] == "telegram" and battle.origin["channel_id"] == str(GROUP)
        card_id = card.result["message_id"]
        a, b, tie = (k["callback_data"] for k in keys[:3])

        # the prompt's author may not rate it: an alert, nothing stored
        own = tg_fake.press(GROUP, ALICE, card_id, a)
        [refused] = await tg_fake.wait_for("answerCallbackQuery", callback_query_id=own)
        assert refused.params["show_alert"] is True
        assert "wrote this battle" in refused.params["text"]
        assert await tg.core.storage.arena.ratings(battle.id) == []

        # Bob rates, then changes his mind: one rating, the split stays hidden
        first = tg_fake.press(GROUP, BOB, card_id, a)
        [answer] = await tg_fake.wait_for("answerCallbackQuery", callback_query_id=first)
        assert "recorded: A is better" in answer.params["text"]
        assert not answer.params.get("show_alert")
        again = tg_fake.press(GROUP, BOB, card_id, tie)
        [changed] = await tg_fake.wait_for("answerCallbackQuery", callback_query_id=again)
        assert "recorded: Tie" in changed.params["text"]
        edits = await tg_fake.wait_for(
            "editMessageText",
            chat_id=GROUP,
            message_id=card_id,
            where=lambda c: "1 rating so far" in c.params["text"],
        )
        assert edits[-1].params["reply_markup"]["inline_keyboard"], "buttons stay until reveal"
        _assert_blind(edits[-1].params["text"])
        [bob_rating] = await tg.core.storage.arena.ratings(battle.id)
        assert bob_rating.choice == "tie"

        # Carol's rating is the second: the card is edited to name the models and the split
        before = len(tg_fake.sent(GROUP))
        last = tg_fake.press(GROUP, CAROL, card_id, b)
        [answer] = await tg_fake.wait_for("answerCallbackQuery", callback_query_id=last)
        assert "recorded: B is better" in answer.params["text"]
        [revealed] = await tg_fake.wait_for(
            "editMessageText",
            message_id=card_id,
            where=lambda c: "Revealed" in c.params["text"],
        )
        shown = revealed.params["text"]
        assert f"A was {battle.model_a} · B was {battle.model_b}" in shown
        assert "Split: A 0 · B 1 · Tie 1 · Both bad 0." in shown
        assert not (revealed.params.get("reply_markup") or {}).get("inline_keyboard")
        await until(lambda: len(tg_fake.sent(GROUP)) > before, what="the reveal announcement")
        announce = tg_fake.sent(GROUP)[before].params["text"]
        assert f"Arena battle #{battle.id} revealed" in announce
        assert f"<b>{battle.model_a}</b>" in announce

        # stored: the reveal with its split, two ratings by two members
        stored = await _battle(tg.core, battle.id)
        assert stored.status == "revealed"
        assert stored.result is not None and stored.result["ratings"] == 2
        ratings = await tg.core.storage.arena.ratings(battle.id)
        assert sorted(r.choice for r in ratings) == ["b", "tie"]
        assert len({r.member_id for r in ratings}) == 2

        # a late press is refused with an alert and changes nothing
        late = tg_fake.press(GROUP, DAVE, card_id, a)
        [too_late] = await tg_fake.wait_for("answerCallbackQuery", callback_query_id=late)
        assert too_late.params["show_alert"] is True
        assert "already revealed" in too_late.params["text"]
        assert len(await tg.core.storage.arena.ratings(battle.id)) == 2

        board = await tg.say(GROUP, BOB, "/leaderboard")
        assert board.method == "sendPhoto", "the leaderboard comes with its chart"
        assert battle.model_a in board.params["caption"]


async def test_telegram_reveal_after_the_time_window(
    tmp_path: Path, tg_fake: FakeTelegramAPI
) -> None:
    clock = ManualClock(1_800_000_000.0)
    async with telegram_env(tmp_path, tg_fake, clock=clock, arena={"reveal_minutes": 10}) as tg:
        card = await tg.say(GROUP, ALICE, "/arena Write a haiku about governance")
        keys = [b for row in card.params["reply_markup"]["inline_keyboard"] for b in row]
        battle_id = int(keys[0]["callback_data"].split(":")[2])
        press = tg_fake.press(GROUP, BOB, card.result["message_id"], keys[1]["callback_data"])
        await tg_fake.wait_for("answerCallbackQuery", callback_query_id=press)
        clock.advance(10 * 60 + 1)
        before = len(tg_fake.sent(GROUP))
        await tg.core.close_due()  # what the scheduler does every tick
        battle = await _battle(tg.core, battle_id)
        assert battle.status == "revealed"
        [revealed] = await tg_fake.wait_for(
            "editMessageText",
            message_id=card.result["message_id"],
            where=lambda c: "Revealed" in c.params["text"],
        )
        assert "Split: A 0 · B 1 · Tie 0 · Both bad 0." in revealed.params["text"]
        await until(lambda: len(tg_fake.sent(GROUP)) > before, what="the timed announcement")
        assert f"Arena battle #{battle_id} revealed" in tg_fake.sent(GROUP)[before].params["text"]


# ----- Discord --------------------------------------------------------------------------
async def _press(
    dc: DiscordEnv,
    user: object,
    card: dict,  # type: ignore[type-arg]
    custom_id: str,
) -> tuple[str, str, str]:
    """Press a button; return the callback type, the ephemeral answer's text, the token."""
    payload = dc.fake.button(user, card, custom_id)  # type: ignore[arg-type]
    await dc.fake.send_interaction(payload)
    callback = await dc.fake.wait_callback(payload["id"])
    [answer, *_] = await dc.followups(payload["token"])
    assert answer.json["flags"] & 64, "answers to presses are ephemeral"
    return str(callback.json["type"]), discord_text(answer), payload["token"]


async def test_discord_battle_from_arena_to_reveal(tmp_path: Path) -> None:
    async with discord_env(tmp_path, arena={"reveal_votes": 2}) as dc:
        dc.core.deps.arena.rng = random.Random(7)
        fake = dc.fake
        alice, bob, carol, dave = (fake.add_user(n) for n in ("alice", "bob", "carol", "dave"))
        assert fake.find_command("arena")
        token, posted = await dc.ask("arena", alice, prompt=PROMPT)
        text = discord_text(posted)
        assert "Output A" in text and "Output B" in text and PROMPT in text
        _assert_blind(text)
        assert posted.json["allowed_mentions"] == {"parse": []}
        keys = discord_buttons(posted.json)
        assert [k["label"] for k in keys] == LABELS
        battle_id = keys[0]["custom_id"].split(":")[2]
        assert [k["custom_id"] for k in keys] == [
            encode("arena", (battle_id, choice)) for choice in ("a", "b", "tie", "bothbad")
        ]
        card = fake.messages[fake.original[token]]
        battle = await _battle(dc.core, int(battle_id))
        assert battle.origin["platform"] == "discord"
        assert battle.origin["channel_id"] == str(fake.channel_id)
        a, b = keys[0]["custom_id"], keys[1]["custom_id"]
        card_path = rf"/channels/{fake.channel_id}/messages/{card['id']}"

        _, refusal, _ = await _press(dc, alice, card, a)
        assert "wrote this battle" in refusal
        assert await dc.core.storage.arena.ratings(battle.id) == []

        start = len(fake.calls)
        kind, receipt, _ = await _press(dc, bob, card, b)
        assert kind == "6", "a press defers an update: no loading message"
        assert "recorded: B is better" in receipt
        edits = await fake.wait_for(
            "PATCH", card_path, since=start, where=lambda c: "1 rating so far" in discord_text(c)
        )
        assert discord_buttons(edits[-1].json), "buttons stay until the reveal"
        _assert_blind(discord_text(edits[-1]))

        stale = copy.deepcopy(card)  # the fake edits its stored message in place
        start = len(fake.calls)
        _, receipt, token = await _press(dc, carol, card, a)
        assert "recorded: A is better" in receipt
        [revealed, *_] = await fake.wait_for(
            "PATCH", card_path, since=start, where=lambda c: "Revealed" in discord_text(c)
        )
        shown = discord_text(revealed)
        assert f"A was {battle.model_a} · B was {battle.model_b}" in shown
        assert "Split: A 1 · B 1 · Tie 0 · Both bad 0." in shown
        assert revealed.json["components"] == [], "no buttons on a revealed card"
        _, announce = await dc.followups(token, count=2)
        assert not announce.json.get("flags", 0) & 64, "the reveal is announced publicly"
        assert f"Arena battle #{battle.id} revealed" in discord_text(announce)
        stored = await _battle(dc.core, battle.id)
        assert stored.status == "revealed" and stored.result is not None
        assert (stored.result["a"], stored.result["b"], stored.result["ratings"]) == (1, 1, 2)

        # a press that raced the edit (Dave's client still showed the buttons) is refused
        _, late, _ = await _press(dc, dave, stale, a)
        assert "already revealed" in late
        assert len(await dc.core.storage.arena.ratings(battle.id)) == 2
