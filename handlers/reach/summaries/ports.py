"""What summaries need from outside: a text model and, where the platform can fetch it,
a thread's history (bot/integrations/summaries.py and the Discord adapter supply them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from handlers.arena.ports import ModelError

__all__ = ["HistoryUnavailable", "ModelError", "SummaryModel", "ThreadHistory", "ThreadMessage"]


@dataclass(frozen=True, slots=True)
class ThreadMessage:
    """One message of a discussion, as the summary reads it (never a mention id)."""

    author: str  # display name
    text: str
    at: float = 0.0


class HistoryUnavailable(Exception):
    """The platform cannot read the thread (missing intent or permission); says which."""


class SummaryModel(Protocol):
    """The configured summariser. `offline` marks the deterministic demo provider."""

    name: str
    offline: bool

    async def summarise(self, instructions: str, data: str) -> str:
        """Answer `instructions` (the system part) about `data` (the untrusted part);
        raises ModelError when it cannot answer."""
        ...


class ThreadHistory(Protocol):
    """Reads a thread's messages at request time (platforms with a history API)."""

    def can_read(self, platform: str) -> bool: ...

    async def read(self, platform: str, thread_id: str, limit: int) -> list[ThreadMessage]:
        """Oldest first, at most `limit`; raises HistoryUnavailable with the reason."""
        ...
