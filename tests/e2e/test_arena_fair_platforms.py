"""Categories and leaderboard options end to end on Telegram and on Discord.

The console path (style, hygiene, gold battles, export) is in tests/arena/test_fair_flow.py.
"""

from __future__ import annotations

from pathlib import Path

from tests.harness.discord_env import discord_buttons, discord_env, discord_text
from tests.harness.fakes.telegram_api import FakeTelegramAPI
from tests.harness.telegram_env import ALICE, BOB, GROUP, telegram_env

PROMPT = "Sort a list in Python"


async def test_telegram_category_battle_and_category_board(
    tmp_path: Path, tg_fake: FakeTelegramAPI
) -> None:
    async with telegram_env(tmp_path, tg_fake) as tg:
        card = await tg.say(GROUP, ALICE, f"/arena category=math {PROMPT}")
        battle_id = int(
            card.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"].split(":")[2]
        )
        battle = await tg.core.storage.arena.get(battle_id)
        assert battle is not None and battle.categories == ("coding", "math")  # given + table
        board = await tg.say(GROUP, BOB, "/leaderboard category=coding")
        assert "Not ranked yet" in board.params["text"]
        refused = await tg.say(GROUP, BOB, "/leaderboard style=sometimes")
        assert "/leaderboard [style=on|off]" in refused.params["text"]


async def test_discord_category_battle_and_category_board(tmp_path: Path) -> None:
    async with discord_env(tmp_path) as dc:
        alice, bob = dc.user("alice"), dc.user("bob")
        _, posted = await dc.ask("arena", alice, prompt=f"category=coding {PROMPT}")
        assert "Output A" in discord_text(posted)
        battle_id = int(discord_buttons(posted.json)[0]["custom_id"].split(":")[2])
        battle = await dc.core.storage.arena.get(battle_id)
        assert battle is not None and battle.categories == ("coding",)
        _, board = await dc.ask("leaderboard", bob, options="category=coding")
        assert "Not ranked yet" in discord_text(board)
