"""The fair arena end to end on the console: categories, style, hygiene, gold, export."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd
import pytest

from bench import fastchat_rating_systems as fastchat
from bot.arena_cli import arena_command
from bot.settings import load_settings
from handlers.arena.fair import in_time
from storage.repos.arena import QueuedPair
from storage.schema_arena import arena_battles
from tests.arena.test_arena_flow import _count
from tests.conftest import is_refusal, press, run_command, texts

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


async def _rate(core, battle_id: str, *votes: tuple[str, str]) -> None:
    for name, choice in votes:
        await press(core, name, "arena", battle_id, choice)


async def test_categories_style_hygiene_gold_and_export(core, clock, tmp_path: Path) -> None:
    arena = core.deps.arena
    arena.policy = arena.policy.model_copy(
        update={"reveal_votes": 2, "min_battles": 0, "category_min_battles": 2, "gold_rate": 0}
    )
    before = await _count(core, arena_battles)
    bad = await run_command(core, "alice", "/arena category=cooking Boil an egg")
    assert is_refusal(bad) and "Unknown category cooking" in bad[0].text
    assert "/arena [category=" in bad[0].text
    assert await _count(core, arena_battles) == before

    card = (await run_command(core, "alice", "/arena category=coding Sort a list"))[0]
    battle_id = card.buttons[0].args[0]
    battle = await core.storage.arena.get(int(battle_id))
    assert battle.categories == ("coding",)
    assert battle.style["sum_assistant_a_tokens"] > 0 and "bold_count_b" in battle.style
    await _rate(core, battle_id, ("bob", "a"), ("carol", "a"))

    few = texts(await run_command(core, "bob", "/leaderboard category=coding"))
    assert "has 1 counted battle" in few and "Not ranked yet" in few
    assert "Not style-controlled" in texts(await run_command(core, "bob", "/leaderboard"))
    styled = texts(await run_command(core, "bob", "/leaderboard style=on"))
    assert "Style-controlled" in styled and "length" in styled
    for wrong in ("style=maybe", "category=cooking", "colour=red"):
        refused = await run_command(core, "bob", f"/leaderboard {wrong}")
        assert is_refusal(refused) and "/leaderboard [style=on|off]" in refused[0].text

    # an output still naming its model after redaction: the battle is left out
    await core.storage.arena.enqueue(
        [QueuedPair("Who are you?", "m-one", "I am M_One, hello.", "m-two", "Hi there.")], at=1.0
    )
    leak_id = (await run_command(core, "alice", "/arena"))[0].buttons[0].args[0]
    assert (await core.storage.arena.get(int(leak_id))).leak == "m-one"
    await _rate(core, leak_id, ("bob", "a"), ("carol", "b"))
    board = texts(await run_command(core, "bob", "/leaderboard"))
    assert "1 battle naming a model" in board and "m-one" not in board

    # gold pairs are mixed in, never consumed; a rater failing them is flagged
    await core.storage.arena.enqueue(
        [QueuedPair("2+2?", "m-good", "4", "m-bad", "5", gold="m-good")], at=2.0
    )
    arena.policy = arena.policy.model_copy(update={"gold_rate": 1.0})
    for _ in range(2):
        gold_id = (await run_command(core, "alice", "/arena"))[0].buttons[0].args[0]
        gold = await core.storage.arena.get(int(gold_id))
        right = gold.gold
        assert right == ("a" if gold.model_a == "m-good" else "b")
        wrong = "b" if right == "a" else "a"
        await _rate(core, gold_id, ("bob", right), ("erin", wrong))
    assert len(await core.storage.arena.gold_pairs()) == 1
    assert await core.storage.arena.queued_count() == 0
    assert "m-good" not in texts(await run_command(core, "bob", "/leaderboard"))
    raters = texts(await run_command(core, "admin", "/raters", admin=True))
    assert "gold 0/2" in raters and "failed gold 2/2" in raters and "gold 2/2" in raters

    # a rating faster than the reading-time floor is not counted
    arena.policy = arena.policy.model_copy(
        update={"reading_chars_per_second": 1.0, "reading_floor_max_seconds": 30.0}
    )
    fast_id = (await run_command(core, "alice", "/arena Explain recursion"))[0].buttons[0].args[0]
    await press(core, "bob", "arena", fast_id, "a")
    clock.advance(31)
    await press(core, "carol", "arena", fast_id, "b")
    timed = {
        r.member_id: in_time(r, arena.policy)
        for r in await core.storage.arena.rated(None)
        if r.battle_id == int(fast_id)
    }
    assert sorted(timed.values()) == [False, True]  # bob too fast, carol after reading
    assert "faster than reading" in texts(await run_command(core, "bob", "/leaderboard"))

    # export: FastChat's battle format, read by FastChat's own style preprocessing
    settings = load_settings(database_url=core.settings.database_url)
    out = tmp_path / "battles.jsonl"
    args = argparse.Namespace(arena_command="export", out=out)
    assert await arena_command(args, settings) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 4  # the coding battle and the recursion one, two ratings each
    first = next(r for r in rows if r["category_tag"]["coding_v0.1"]["coding"])
    assert first["question_id"].startswith("govbot-") and "header_count_a" in first["conv_metadata"]
    frame = pd.DataFrame(rows)
    _, features, _, models = fastchat.preprocess_for_style(frame)
    assert features.shape == (4, 4) and len(models) >= 2
