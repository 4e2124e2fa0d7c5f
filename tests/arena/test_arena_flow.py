"""A battle from /arena to reveal through the dispatcher, on SQLite and PostgreSQL."""

from __future__ import annotations

import random

from sqlalchemy import func, select

from storage.schema import audit_log
from storage.schema_arena import arena_battles, arena_votes
from tests.conftest import is_refusal, press, run_command, texts


async def _count(core, table) -> int:
    async with core.storage.db.read() as conn:
        return int(await conn.scalar(select(func.count()).select_from(table)) or 0)


async def test_battle_from_arena_to_reveal(core, clock) -> None:
    core.deps.arena.rng = random.Random(7)
    core.deps.arena.policy = core.deps.arena.policy.model_copy(update={"reveal_votes": 3})
    replies = await run_command(core, "alice", "/arena What is a Bradley-Terry model?")
    card = replies[0]
    assert "Output A" in card.text and "Output B" in card.text
    assert "Offline demo provider" in card.text
    assert [b.label for b in card.buttons] == ["A is better", "B is better", "Tie", "Both bad"]
    battle_id = card.buttons[0].args[0]
    battle = await core.storage.arena.get(int(battle_id))
    assert battle is not None and battle.model_a != battle.model_b
    # no model or vendor name survives on the card
    for name in ("demo-atlas", "demo-borealis", "demo-cirrus", "Atlas Labs", "Borealis AI"):
        assert name.casefold() not in card.text.casefold()
    # the author may not rate their own prompt (default), and nothing is written
    before = await _count(core, arena_votes)
    refused = await press(core, "alice", "arena", battle_id, "a")
    assert is_refusal(refused) and "wrote this battle" in refused[0].text
    assert await _count(core, arena_votes) == before
    # votes are private receipts; the card shows no split until the reveal
    first = await press(core, "bob", "arena", battle_id, "a")
    assert first[0].private and "recorded: A is better" in first[0].text
    changed = await press(core, "bob", "arena", battle_id, "b")
    assert "replaces your earlier rating" in changed[0].text
    rendered = await core.render_card(changed[-1].card)
    assert rendered is not None and "1 rating so far" in rendered.text
    assert "Revealed" not in rendered.text and battle.model_a not in rendered.text
    await press(core, "carol", "arena", battle_id, "b")
    revealed = await press(core, "dave", "arena", battle_id, "tie")
    text = texts(revealed)
    assert f"A was {battle.model_a}" in text.replace("\x02", "").replace("\x03", "")
    assert "Split: A 0 · B 2 · Tie 1 · Both bad 0" in text
    late = await press(core, "erin", "arena", battle_id, "a")
    assert is_refusal(late) and "already revealed" in late[0].text
    board = await run_command(core, "bob", "/leaderboard")
    assert board[0].image and "battles" in board[0].text
    async with core.storage.db.read() as conn:
        kinds = list(await conn.scalars(select(audit_log.c.kind)))
    assert (
        kinds.count("arena.rating") == 4 and "arena.battle" in kinds and "arena.revealed" in kinds
    )


async def test_reveal_after_time_window_routes_to_origin(core, clock) -> None:
    core.deps.arena.rng = random.Random(1)
    replies = await run_command(core, "alice", "/arena Write a haiku about governance")
    battle_id = int(replies[0].buttons[0].args[0])
    await press(core, "bob", "arena", str(battle_id), "a")
    clock.advance(core.deps.arena.policy.reveal_minutes * 60 + 1)
    from handlers.arena.commands import reveal_due

    routed = await reveal_due(core.deps)
    assert routed and all(r.where is not None and r.where.platform == "console" for r in routed)
    assert (await core.storage.arena.get(battle_id)).status == "revealed"
    assert await reveal_due(core.deps) == []


async def test_bad_input_writes_nothing(core) -> None:
    battles = await _count(core, arena_battles)
    empty = await run_command(core, "alice", "/arena")
    assert is_refusal(empty) and "No imported pairs" in empty[0].text
    long = await run_command(core, "alice", "/arena " + "x" * 5000)
    assert is_refusal(long) and "limit" in long[0].text
    bad = await press(core, "bob", "arena", "999", "a")
    assert is_refusal(bad)
    odd = await press(core, "bob", "arena", "1", "maybe")
    assert is_refusal(odd)
    assert await _count(core, arena_battles) == battles
