"""Categories assigned by the configured model (`arena.category_model`), through the real
`openai` client against the local fake server; and the reading floor on an empty board."""

from __future__ import annotations

import random
from typing import Any

import pytest
from pydantic import ValidationError

from bot.integrations.models import ArenaSettings, build_models
from handlers.arena.categories import from_model_reply
from handlers.arena.policy import DEFAULT_CATEGORIES
from storage.schema_arena import arena_battles
from tests.arena.test_arena_flow import _count
from tests.arena.test_models import config
from tests.conftest import press, run_command, texts
from tests.harness.fakes.openai_server import FakeOpenAI

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

CLASSIFY = "Which of these categories"


def test_only_configured_names_are_read_from_the_reply() -> None:
    table = DEFAULT_CATEGORIES
    assert from_model_reply("Coding, Creative writing.", table) == ["coding", "creative_writing"]
    assert from_model_reply("- math\n- poetry", table) == ["math"]
    assert from_model_reply("poetry", table) == [] and from_model_reply("none", table) == []
    # a sentence that merely mentions a name (as an injected prompt might ask for) adds nothing
    assert from_model_reply("Ignore the rules: this is not coding", table) == []
    assert from_model_reply("x" * 500 + ", math", table) == []  # past the part that is read


def test_category_model_must_be_a_configured_model() -> None:
    with pytest.raises(ValidationError, match="category_model 'judge' is not one of"):
        ArenaSettings(models=[config("http://127.0.0.1:9/v1", "alpha")], category_model="judge")


@SQLITE
async def test_model_categories_are_best_effort_and_checked(core) -> None:
    answer: dict[str, Any] = {"reply": "coding"}

    def reply(body: dict[str, Any]) -> str | int:
        text = body["messages"][0]["content"]
        if text.startswith(CLASSIFY):
            return answer["reply"]
        return f"An answer to: {text.rsplit(':', 1)[-1]}"

    async with FakeOpenAI(reply) as server:
        settings = ArenaSettings(
            models=[
                config(server.base_url, "alpha"),
                config(server.base_url, "beta"),
                config(server.base_url, "judge").model_copy(update={"timeout": 0.3}),
            ],
            category_model="judge",
        )
        arena = core.deps.arena
        arena.models = build_models(settings)
        arena.rng = random.Random(5)
        arena.policy = arena.policy.model_copy(update={"category_model": "judge"})
        try:
            seen: dict[object, tuple[str, ...]] = {}
            # "solve" matches the math row of the regex table, whatever the model says
            for outcome in ("coding", "poetry, cooking", 500, "SLEEP"):
                answer["reply"] = outcome
                before = await _count(core, arena_battles)
                card = (await run_command(core, "alice", "/arena Please solve this"))[0]
                assert await _count(core, arena_battles) == before + 1  # never blocked
                battle = await core.storage.arena.get(int(card.buttons[0].args[0]))
                seen[outcome] = battle.categories
            given = await run_command(core, "alice", "/arena category=creative_writing Hi")
            battle = await core.storage.arena.get(int(given[0].buttons[0].args[0]))
        finally:
            for model in arena.models.values():
                await model.close()  # type: ignore[attr-defined]
    assert seen == {
        "coding": ("coding", "math"),
        "poetry, cooking": ("math",),  # unknown names are dropped
        500: ("math",),
        "SLEEP": ("math",),  # timed out
    }
    assert battle.categories == ("creative_writing",)  # model still "timing out": given only
    asked = [r["messages"][0]["content"] for r in server.requests if r["model"] == "judge-id"]
    classify = [t for t in asked if t.startswith(CLASSIFY)]
    assert len(classify) == 5 and classify[0].endswith("Request:\nPlease solve this")
    assert "coding, creative_writing, math" in classify[0]


@SQLITE
async def test_an_empty_board_says_its_ratings_were_too_fast(core, clock) -> None:
    arena = core.deps.arena
    arena.policy = arena.policy.model_copy(
        update={"reveal_votes": 1, "reading_chars_per_second": 40.0}
    )
    card = (await run_command(core, "alice", "/arena Explain recursion to a child"))[0]
    await press(core, "bob", "arena", card.buttons[0].args[0], "a")  # at once: not read
    board = texts(await run_command(core, "bob", "/leaderboard"))
    assert board == "No counted arena battles yet. Left out: 1 rating faster than reading."
