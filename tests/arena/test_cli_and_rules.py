"""CLI import/export/leaderboard in FastChat's format; redaction, pairing."""

from __future__ import annotations

import argparse
import json
import random
from collections import Counter
from pathlib import Path

import pytest

from bot.arena_cli import arena_command, read_battles
from bot.settings import load_settings
from handlers.arena import bt
from handlers.arena.battles import counts_of, redact
from handlers.arena.pairing import choose_pair, pair_weights
from storage.schema_arena import arena_queue
from tests.arena.test_arena_flow import _count
from tests.conftest import press, run_command


def test_redaction_hides_names_and_vendors_whole() -> None:
    text, hits = redact(
        "I'm GPT-4o-mini by OpenAI; gpt-4o is my sibling. Openair is fine.",
        ["gpt-4o", "gpt-4o-mini", "OpenAI"],
    )
    assert text == "I'm [redacted] by [redacted]; [redacted] is my sibling. Openair is fine."
    assert hits == 3


def test_pairing_favours_uncertain_pairs() -> None:
    models = ["a", "b", "c"]
    ratings = {"a": 1300.0, "b": 1010.0, "c": 1000.0}
    weights = pair_weights(models, {("a", "b"): 50}, ratings)
    assert weights[("b", "c")] > weights[("a", "c")] > weights[("a", "b")]
    rng = random.Random(4)
    drawn = Counter(
        tuple(sorted(choose_pair(models, {("a", "b"): 50}, ratings, rng))) for _ in range(400)
    )
    assert drawn[("b", "c")] > drawn[("a", "c")] > drawn[("a", "b")]
    sides = Counter(choose_pair(["x", "y"], {}, {}, rng)[0] for _ in range(400))
    assert 150 < sides["x"] < 250


def _args(**kw: object) -> argparse.Namespace:
    base = {
        "battles": None,
        "json": False,
        "rounds": None,
        "min_battles": None,
        "anchor": None,
        "fastchat": False,
        "style": None,
        "category": None,
    }
    return argparse.Namespace(**(base | kw))


async def test_import_arena_vote_export_and_leaderboard_round_trip(
    core, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = load_settings(database_url=core.settings.database_url)
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text(
        json.dumps(
            {
                "prompt": "2+2?",
                "model_a": "m-one",
                "output_a": "4, says m-one",
                "model_b": "m-two",
                "output_b": "five",
            }
        )
        + "\n"
    )
    assert await arena_command(_args(arena_command="import", file=pairs), settings) == 0
    assert "queued 1 pairs" in capsys.readouterr().out
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"prompt": "x", "model_a": "m", "output_a": "o", "model_b": "m", "output_b": "p"}\n'
    )
    before = await _count(core, arena_queue)
    assert await arena_command(_args(arena_command="import", file=bad), settings) == 2
    assert "line 1" in capsys.readouterr().err and await _count(core, arena_queue) == before

    core.deps.arena.policy = core.deps.arena.policy.model_copy(update={"reveal_votes": 2})
    card = (await run_command(core, "alice", "/arena"))[0]
    assert "Imported pair" in card.text and "m-one" not in card.text and "[redacted]" in card.text
    battle_id = card.buttons[0].args[0]
    battle = await core.storage.arena.get(int(battle_id))
    four = "a" if battle.output_a.startswith("4") else "b"
    await press(core, "alice", "arena", battle_id, four)  # imported: nobody wrote the prompt
    await press(core, "bob", "arena", battle_id, four)
    assert (await core.storage.arena.get(int(battle_id))).status == "revealed"

    out = tmp_path / "battles.jsonl"
    assert await arena_command(_args(arena_command="export", out=out), settings) == 0
    rows = read_battles(out)
    assert len(rows) == 2 and all(r.judge.startswith("console:") for r in rows)
    winner_model = {r.model_a if r.winner == "model_a" else r.model_b for r in rows}
    assert winner_model == {"m-one"}

    assert (
        await arena_command(
            _args(arena_command="leaderboard", battles=out, json=True, rounds=20), settings
        )
        == 0
    )
    from_file = json.loads(capsys.readouterr().out)
    assert (
        await arena_command(_args(arena_command="leaderboard", json=True, rounds=20), settings) == 0
    )
    from_db = json.loads(capsys.readouterr().out)
    assert from_file == from_db
    assert from_file[0]["model"] == "m-one" and set(from_file[0]) >= {
        "model",
        "rating",
        "lower",
        "upper",
        "rank",
        "battles",
        "win_rate",
    }
    expected = bt.leaderboard(counts_of(rows), rounds=20)
    assert from_file[0]["rating"] == pytest.approx(expected[0].rating, abs=0.01)


async def test_leaderboard_file_errors_are_clear(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = load_settings(database_url=f"sqlite:///{tmp_path}/x.db")
    bad = tmp_path / "b.jsonl"
    bad.write_text('{"model_a": "x", "model_b": "y", "winner": "draw"}\n')
    assert await arena_command(_args(arena_command="leaderboard", battles=bad), settings) == 2
    assert "line 1: winner must be one of" in capsys.readouterr().err
