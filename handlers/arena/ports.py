"""What the arena needs from outside: text models (bot/integrations/models.py supplies them)."""

from __future__ import annotations

from typing import Protocol


class ModelError(Exception):
    """A model did not answer (HTTP error, timeout, empty reply); the message says which."""


class TextModel(Protocol):
    """One configured model. `vendor` and `aliases` are what redaction hides."""

    name: str
    vendor: str
    aliases: tuple[str, ...]
    offline: bool

    async def generate(self, prompt: str) -> str:
        """The model's answer to one prompt; raises ModelError when it cannot answer."""
        ...
