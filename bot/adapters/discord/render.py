"""Reply → the keyword arguments of a Discord send or edit.

Rules (Discord's limits): message content ≤ 2,000 characters, an embed description
≤ 4,096. Cards (anything with a card key, buttons, a refresh or a chart) are embeds so they can
be edited in place and carry their chart; plain text up to 2,000 stays a plain message,
longer text moves into an embed description, and anything beyond 4,096 continues as
extra plain messages split at line breaks. User text was escaped by `to_discord`, and
every part carries `AllowedMentions.none()`, so `@everyone` in a title stays text.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import discord

from bot.adapters.discord.buttons import make_view
from handlers.core.markup import clean, split_text, to_discord
from handlers.core.types import Reply

CONTENT_LIMIT = 2000
EMBED_LIMIT = 4096
TITLE_LIMIT = 256
EMBED_COLOUR = 0x5865F2
NO_MENTIONS = discord.AllowedMentions.none()


@dataclass
class Part:
    """One Discord message worth of a reply."""

    content: str | None = None
    embed: discord.Embed | None = None
    view: discord.ui.View | None = None
    image: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def file(self) -> discord.File | None:
        """A fresh File each call: discord.py consumes the file object when it sends."""
        if self.image is None:
            return None
        return discord.File(self.image, filename=os.path.basename(self.image))

    def send_kwargs(self) -> dict[str, Any]:
        """For channel.send / followup.send."""
        kwargs: dict[str, Any] = {"allowed_mentions": NO_MENTIONS}
        if self.content:
            kwargs["content"] = self.content
        if self.embed is not None:
            kwargs["embed"] = self.embed
        if self.view is not None:
            kwargs["view"] = self.view
        if (file := self.file()) is not None:
            kwargs["file"] = file
        return kwargs

    def edit_kwargs(self) -> dict[str, Any]:
        """For message.edit / edit_original_response: replace every field, also the file."""
        file = self.file()
        return {
            "content": self.content,
            "embed": self.embed,
            "view": self.view,
            "attachments": [file] if file is not None else [],
            "allowed_mentions": NO_MENTIONS,
        }


def is_card(reply: Reply) -> bool:
    """Cards, button messages and results with a chart are embeds (editable, chart inline)."""
    return reply.card is not None or bool(reply.buttons) or reply.edit or bool(reply.image)


def render(reply: Reply) -> list[Part]:
    """The message parts of one reply, the first carrying the buttons and the image."""
    text = to_discord(reply.text)
    image = reply.image if reply.image and os.path.isfile(reply.image) else None
    view = make_view(reply.buttons) if reply.buttons else None
    if not is_card(reply) and len(text) <= CONTENT_LIMIT:
        return [Part(content=text or None, view=view, image=image)]
    chunks = split_text(text, EMBED_LIMIT) if text else [""]
    embed = discord.Embed(description=chunks[0] or None, colour=EMBED_COLOUR)
    if image is not None:
        embed.set_image(url=f"attachment://{os.path.basename(image)}")
    parts = [Part(embed=embed, view=view, image=image)]
    for rest in chunks[1:]:
        parts.extend(Part(content=piece) for piece in split_text(rest, CONTENT_LIMIT))
    return parts


def thread_name(title: str) -> str:
    """Thread and forum-post names: plain text, 1–100 characters."""
    name = " ".join(clean(title).split())[:100]
    return name or "discussion"


__all__ = ["NO_MENTIONS", "TITLE_LIMIT", "Part", "is_card", "render", "thread_name"]
