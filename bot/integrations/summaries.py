"""The summariser behind `/summary`: the real `openai` client, or the offline demo provider.

The openai client is built exactly as the arena builds it (`OpenAIModel`: any
OpenAI-compatible `base_url`, the key read from the environment variable the config
names, no retries, the configured timeout); a summary sends the fixed instructions as
the system message and the discussion, as data, as the user message. The offline
provider needs no network: it reads the same data part and writes a deterministic
digest of it (who argued what about which choice, which questions are open), and every
summary it gives says it came from the offline demo provider.

`AdapterHistory` is the thread-history port: it asks the running adapter of a platform
that can read a thread at request time (Discord) and says no for the others.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from pydantic import Field

from bot.integrations.models import ModelConfig, OpenAIModel
from handlers.arena.ports import ModelError
from handlers.reach.summaries.policy import SummariesPolicy
from handlers.reach.summaries.ports import HistoryUnavailable, SummaryModel, ThreadMessage
from handlers.reach.summaries.prompt import parse_data

log = logging.getLogger(__name__)


def _offline_default() -> ModelConfig:
    return ModelConfig(name="demo-summariser", provider="offline", max_tokens=600, temperature=0)


class SummariesSettings(SummariesPolicy):
    """Section [summaries]: the rules (handlers' SummariesPolicy) plus the model to use."""

    model: ModelConfig = Field(default_factory=_offline_default)

    def policy(self) -> SummariesPolicy:
        return SummariesPolicy(**{k: getattr(self, k) for k in SummariesPolicy.model_fields})


class OpenAISummariser:
    """A summariser behind an OpenAI-compatible chat-completions endpoint."""

    offline = False

    def __init__(self, config: ModelConfig) -> None:
        self.config = config
        self.name = config.model or config.name
        self.model = OpenAIModel(config)  # the arena's client construction and error mapping

    async def summarise(self, instructions: str, data: str) -> str:
        return await self.model.chat(
            [{"role": "system", "content": instructions}, {"role": "user", "content": data}]
        )

    async def close(self) -> None:
        await self.model.close()


_AGAINST = re.compile(
    r"\b(against|oppose|opposed|no|not|don't|dont|disagree|worse|risk|risky|too)\b", re.I
)
_FOR = re.compile(r"\b(for|support|yes|agree|prefer|better|like|love|\+1)\b", re.I)


_CLAUSE = re.compile(r"[,;.!?]|\bbut\b", re.I)


def _first_named(choices: list[str], clause: str) -> str | None:
    """The choice a clause names first (a clause is about one choice at most)."""
    found = [
        (hit.start(), choice)
        for choice in choices
        if (hit := re.search(rf"(?<!\w){re.escape(choice)}(?!\w)", clause, re.I))
    ]
    return min(found)[1] if found else None


def _quote(text: str, limit: int = 70) -> str:
    flat = " ".join(text.split())
    return f"“{flat[: limit - 1]}…”" if len(flat) > limit else f"“{flat}”"


class OfflineSummariser:
    """The offline demo provider: a deterministic digest of the messages it is given.

    Each clause of a message that names a choice counts for it, or against it when the
    clause has a word such as "against" or "not"; messages with a question mark are the
    open questions. Same messages, same
    summary: the demo and the console work without network."""

    offline = True

    def __init__(self, config: ModelConfig) -> None:
        self.name = config.name

    async def summarise(self, instructions: str, data: str) -> str:
        try:
            document: dict[str, Any] = parse_data(data)
        except ValueError as error:
            raise ModelError(
                f"the offline provider could not read the discussion: {error}"
            ) from None
        choices = [str(c) for c in document["proposal"]["choices"]]
        messages = document["messages"]
        sides: dict[str, tuple[list[str], list[str]]] = {c: ([], []) for c in choices}
        for m in messages:
            seen: set[tuple[str, bool]] = set()
            for clause in _CLAUSE.split(m["text"]):
                named = _first_named(choices, clause)
                if named is None:
                    continue
                against = _AGAINST.search(clause) is not None
                if (named, against) not in seen:
                    seen.add((named, against))
                    sides[named][1 if against else 0].append(f"{m['author']} {_quote(m['text'])}")
        lines: list[str] = []
        for choice in choices:
            pro, con = sides[choice]
            said = []
            if pro:
                said.append("for: " + "; ".join(pro))
            if con:
                said.append("against: " + "; ".join(con))
            lines.append(f"• {choice} — " + (" | ".join(said) if said else "nobody named it."))
        general = [
            m
            for m in messages
            if not any(re.search(rf"(?<!\w){re.escape(c)}(?!\w)", m["text"], re.I) for c in choices)
            and "?" not in m["text"]
        ]
        if general:
            lines.append(
                "• Other points — "
                + "; ".join(f"{m['author']} {_quote(m['text'])}" for m in general[:5])
            )
        questions = [m for m in messages if "?" in m["text"]]
        lines.append(
            "Open questions: "
            + ("; ".join(f"{m['author']} {_quote(m['text'])}" for m in questions[:5]) or "none.")
        )
        return "\n".join(lines)


def build_summariser(settings: SummariesSettings) -> SummaryModel:
    if settings.model.provider == "offline":
        return OfflineSummariser(settings.model)
    return OpenAISummariser(settings.model)


class AdapterHistory:
    """The thread-history port over the running adapters (filled in after start-up)."""

    def __init__(self, adapters: Mapping[str, Any]) -> None:
        self.adapters = adapters

    def _reader(self, platform: str) -> Any:
        return getattr(self.adapters.get(platform), "read_thread", None)

    def can_read(self, platform: str) -> bool:
        return self._reader(platform) is not None

    async def read(self, platform: str, thread_id: str, limit: int) -> list[ThreadMessage]:
        reader = self._reader(platform)
        if reader is None:
            raise HistoryUnavailable(f"{platform} cannot read a thread's history")
        messages: list[ThreadMessage] = await reader(thread_id, limit)
        return messages
