"""Text models for the arena: the real `openai` client, and an offline demo provider.

Each configured model implements `handlers.arena.ports.TextModel`. OpenAI-compatible
endpoints (OpenAI, vLLM, llama.cpp, Ollama, OpenRouter …) are reached with the real
`AsyncOpenAI` client pointed at the model's `base_url`; its API key is read from the
environment variable the config names, never from the config file. The default
configuration uses the offline demo provider instead, which answers from a bundled
JSONL file so the console and the demo work without network — and says so on every
card that shows its outputs.
"""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from handlers.arena.policy import ArenaPolicy
from handlers.arena.ports import ModelError, TextModel

if TYPE_CHECKING:
    from openai.types.chat import ChatCompletionMessageParam

log = logging.getLogger(__name__)

OFFLINE_FILE = Path(__file__).with_name("offline_outputs.jsonl")
OFFLINE_LABEL = "offline demo provider"


class ModelConfig(BaseModel):
    """One model the arena may pit against another."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=80, description="shown after the reveal")
    provider: Literal["openai", "offline"] = "openai"
    base_url: str | None = Field(default=None, description="OpenAI-compatible endpoint")
    model: str | None = Field(default=None, description="the endpoint's model id")
    api_key_env: str = Field(default="OPENAI_API_KEY", description="variable holding the key")
    vendor: str = Field(default="", description="hidden from outputs with the name")
    aliases: list[str] = Field(default_factory=list, description="more names to redact")
    max_tokens: int = Field(default=512, ge=1, le=32_000)
    temperature: float = Field(default=0.7, ge=0, le=2)
    timeout: float = Field(default=30.0, gt=0, le=600)
    owner: str = Field(
        default="", description='paid its rewards share: a member ("platform:user id") or 0x…'
    )


def _default_models() -> list[ModelConfig]:
    return [
        ModelConfig(name="demo-atlas", provider="offline", vendor="Atlas Labs"),
        ModelConfig(name="demo-borealis", provider="offline", vendor="Borealis AI"),
        ModelConfig(name="demo-cirrus", provider="offline", vendor="Cirrus"),
    ]


class ArenaSettings(ArenaPolicy):
    """Section [arena]: the rules (handlers' ArenaPolicy) plus the configured models."""

    models: list[ModelConfig] = Field(default_factory=_default_models)
    offline_file: Path = OFFLINE_FILE

    @model_validator(mode="after")
    def _category_model_is_configured(self) -> ArenaSettings:
        # a misspelt name would silently leave every battle to the regex table
        names = [m.name for m in self.models]
        if self.category_model and self.category_model not in names:
            raise ValueError(
                f"category_model {self.category_model!r} is not one of the configured "
                f"models ({', '.join(names) or 'none'})"
            )
        return self

    def policy(self) -> ArenaPolicy:
        return ArenaPolicy(**{k: getattr(self, k) for k in ArenaPolicy.model_fields})


class OpenAIModel:
    """A model behind an OpenAI-compatible chat-completions endpoint."""

    offline = False

    def __init__(self, config: ModelConfig, *, api_key: str | None = None) -> None:
        from openai import AsyncOpenAI

        self.name = config.name
        self.vendor = config.vendor
        self.aliases = tuple(config.aliases) + ((config.model,) if config.model else ())
        self.config = config
        key = api_key if api_key is not None else os.environ.get(config.api_key_env)
        # Local endpoints often need no key; the client insists on one, so send a
        # placeholder rather than refusing to start.
        self.client = AsyncOpenAI(
            api_key=key or "unset",
            base_url=config.base_url,
            timeout=config.timeout,
            max_retries=0,
        )

    async def generate(self, prompt: str) -> str:
        return await self.chat([{"role": "user", "content": prompt}])

    async def chat(self, messages: list[ChatCompletionMessageParam]) -> str:
        """One chat completion; any failure becomes a `ModelError` naming what went wrong
        (never the key), an empty answer included."""
        import openai

        try:
            response = await self.client.chat.completions.create(
                model=self.config.model or self.config.name,
                messages=messages,
                max_tokens=self.config.max_tokens,
                temperature=self.config.temperature,
            )
        except openai.APITimeoutError:
            raise ModelError(f"timed out after {self.config.timeout:g} s") from None
        except openai.APIStatusError as error:
            log.warning("model request failed model=%s status=%s", self.name, error.status_code)
            raise ModelError(f"the endpoint answered HTTP {error.status_code}") from None
        except openai.APIConnectionError:
            raise ModelError("could not reach the endpoint") from None
        choices = response.choices or []
        text = (choices[0].message.content or "") if choices else ""
        if not text.strip():
            raise ModelError("the reply was empty")
        return text

    async def close(self) -> None:
        await self.client.close()


_WORD = re.compile(r"\w+")


class OfflineModel:
    """The offline demo provider: answers from a bundled JSONL of prompts and outputs.

    A prompt found in the file gets that model's stored answer; any other prompt gets
    the stored answer whose prompt shares the most words with it, prefixed with a note
    that it is a canned demo answer.
    """

    offline = True

    def __init__(self, config: ModelConfig, answers: dict[str, dict[str, str]]) -> None:
        self.name = config.name
        self.vendor = config.vendor
        self.aliases = tuple(config.aliases)
        self.answers = answers.get(config.name, {})

    async def generate(self, prompt: str) -> str:
        if not self.answers:
            raise ModelError(f"the {OFFLINE_LABEL} has no answers for this model")
        key = prompt.strip().casefold()
        if key in self.answers:
            return self.answers[key]
        words = set(_WORD.findall(key))
        best = max(self.answers, key=lambda p: (len(words & set(_WORD.findall(p))), p))
        return f"(canned answer from the {OFFLINE_LABEL})\n{self.answers[best]}"


def load_offline_answers(path: Path) -> dict[str, dict[str, str]]:
    """{model: {prompt (casefolded): output}} from the bundled JSONL."""
    answers: dict[str, dict[str, str]] = {}
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                answers.setdefault(row["model"], {})[row["prompt"].strip().casefold()] = row[
                    "output"
                ]
            except (ValueError, KeyError, AttributeError):
                raise ValueError(f"{path}:{number}: expected model, prompt, output") from None
    return answers


def build_models(settings: ArenaSettings) -> dict[str, TextModel]:
    """The configured models by name (offline answers loaded once)."""
    models: dict[str, TextModel] = {}
    offline: dict[str, dict[str, str]] | None = None
    for config in settings.models:
        if config.name in models:
            raise ValueError(f"arena model {config.name!r} is configured twice")
        if config.provider == "offline":
            if offline is None:
                offline = load_offline_answers(settings.offline_file)
            models[config.name] = OfflineModel(config, offline)
        else:
            models[config.name] = OpenAIModel(config)
    return models
