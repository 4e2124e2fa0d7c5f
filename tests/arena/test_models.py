"""The real `openai` client against a local fake OpenAI-compatible server, and the
offline demo provider; plus a battle through /arena with live (fake) models."""

from __future__ import annotations

import random

import pytest

from bot.integrations.models import (
    OFFLINE_FILE,
    ArenaSettings,
    ModelConfig,
    OfflineModel,
    OpenAIModel,
    build_models,
    load_offline_answers,
)
from handlers.arena.ports import ModelError
from storage.schema_arena import arena_battles
from tests.arena.test_arena_flow import _count
from tests.conftest import is_refusal, run_command
from tests.harness.fakes.openai_server import FakeOpenAI


def config(base_url: str, name: str = "alpha", **extra: object) -> ModelConfig:
    return ModelConfig(
        name=name,
        base_url=base_url,
        model=f"{name}-id",
        api_key_env="FAKE_KEY",
        vendor="Acme AI",
        max_tokens=64,
        temperature=0.2,
        timeout=1.0,
        **extra,
    )


async def test_success_sends_model_limits_and_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_KEY", "sk-test-123")
    async with FakeOpenAI(lambda body: f"echo: {body['messages'][0]['content']}") as server:
        model = OpenAIModel(config(server.base_url))
        try:
            assert await model.generate("hello") == "echo: hello"
        finally:
            await model.close()
    sent = server.requests[0]
    assert sent["model"] == "alpha-id" and sent["max_tokens"] == 64
    assert sent["temperature"] == 0.2
    assert server.auth == ["Bearer sk-test-123"]


@pytest.mark.parametrize(
    ("reply", "message"), [(500, "HTTP 500"), ("SLEEP", "timed out"), ("   ", "empty")]
)
async def test_failures_become_model_errors(reply: str | int, message: str) -> None:
    async with FakeOpenAI(lambda _body: reply) as server:
        model = OpenAIModel(config(server.base_url))
        try:
            with pytest.raises(ModelError, match=message):
                await model.generate("hello")
        finally:
            await model.close()
    assert len(server.requests) == 1  # no silent retries


async def test_offline_provider_answers_from_the_bundled_file() -> None:
    answers = load_offline_answers(OFFLINE_FILE)
    model = OfflineModel(ModelConfig(name="demo-atlas", provider="offline"), answers)
    exact = await model.generate("Write a haiku about governance")
    assert exact == answers["demo-atlas"]["write a haiku about governance"]
    other = await model.generate("a haiku please")
    assert other.startswith("(canned answer from the offline demo provider)")
    missing = OfflineModel(ModelConfig(name="nobody", provider="offline"), answers)
    with pytest.raises(ModelError):
        await missing.generate("hi")


async def test_arena_with_live_models_redacts_and_refuses_half_battles(core) -> None:
    def reply(body: dict) -> str | int:
        if body["model"] == "broken-id":
            return 500
        return f"I am {body['model']} by Acme AI, and {body['model'][:-3]} says hi."

    async with FakeOpenAI(reply) as server:
        settings = ArenaSettings(
            models=[config(server.base_url, "alpha"), config(server.base_url, "beta")]
        )
        core.deps.arena.models = build_models(settings)
        core.deps.arena.rng = random.Random(3)
        replies = await run_command(core, "alice", "/arena say hi")
        card = replies[0].text
        assert "Output A" in card and "[redacted]" in card
        for hidden in ("alpha", "beta", "Acme AI"):
            assert hidden.casefold() not in card.split("Prompt", 1)[1].casefold()
        assert "offline demo provider" not in card.casefold()
        # one model failing means no battle at all, with a clear reply
        settings = ArenaSettings(
            models=[config(server.base_url, "alpha"), config(server.base_url, "broken")]
        )
        core.deps.arena.models = build_models(settings)
        before = await _count(core, arena_battles)
        failed = await run_command(core, "alice", "/arena say hi")
        assert (
            is_refusal(failed)
            and 'Model "broken" did not answer (the endpoint answered HTTP 500)' in failed[0].text
        )
        assert await _count(core, arena_battles) == before
        for model in core.deps.arena.models.values():
            await model.close()  # type: ignore[attr-defined]
