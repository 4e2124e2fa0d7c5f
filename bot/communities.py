"""`[[communities]]`: platform spaces mapped to one community, applied at start-up.

Each entry names a community and the spaces it lives in: a Discord guild (and the
channel where its cards are posted), a Telegram chat (and optionally a forum topic).
At start-up each entry becomes one community: if one of its spaces already created a
community on first sight, that community is kept (its proposals and members stay) and
the other spaces join it; a space already mapped to a *different* community is left
alone (communities are never merged) and reported in the log and by `/config`.
"""

from __future__ import annotations

import logging

from pydantic import BaseModel, ConfigDict, Field, model_validator

from handlers.communities.places import MappedCommunity
from handlers.core.types import Where
from storage import Storage

log = logging.getLogger(__name__)


class CommunityMapping(BaseModel):
    """One `[[communities]]` entry."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, description="the community's name")
    discord_guild_id: str | None = Field(default=None, description="the Discord server")
    discord_channel_id: str | None = Field(
        default=None, description="the Discord channel where cards from elsewhere are posted"
    )
    telegram_chat_id: str | None = Field(default=None, description="the Telegram group")
    telegram_topic_id: str | None = Field(
        default=None, description="a forum topic of that group for cards from elsewhere"
    )
    allow_unlinked: bool = Field(
        default=False,
        description="members without a linked wallet may vote (a person with an unlinked "
        "account on each platform then counts twice); /config allow_unlinked overrides",
    )

    @model_validator(mode="after")
    def _some_space(self) -> CommunityMapping:
        if not (self.discord_guild_id or self.telegram_chat_id):
            raise ValueError("a community needs discord_guild_id and/or telegram_chat_id")
        if self.discord_channel_id and not self.discord_guild_id:
            raise ValueError("discord_channel_id needs discord_guild_id")
        if self.telegram_topic_id and not self.telegram_chat_id:
            raise ValueError("telegram_topic_id needs telegram_chat_id")
        return self

    def spaces(self) -> list[tuple[str, str]]:
        found = []
        if self.discord_guild_id:
            found.append(("discord", self.discord_guild_id))
        if self.telegram_chat_id:
            found.append(("telegram", self.telegram_chat_id))
        return found

    def places(self) -> tuple[Where, ...]:
        """Where cards opened on another platform are posted, per platform."""
        found = []
        if self.discord_guild_id and self.discord_channel_id:
            found.append(Where("discord", self.discord_guild_id, self.discord_channel_id))
        if self.telegram_chat_id:
            chat = self.telegram_chat_id
            found.append(Where("telegram", chat, chat, thread_id=self.telegram_topic_id))
        return tuple(found)


async def apply_communities(
    storage: Storage, entries: list[CommunityMapping]
) -> dict[int, MappedCommunity]:
    """Map every configured space; returns the configured communities by id."""
    result: dict[int, MappedCommunity] = {}
    repo = storage.communities
    for entry in entries:
        spaces = entry.spaces()
        existing = [await repo.find_space(p, s) for p, s in spaces]
        known = next((cid for cid in existing if cid is not None), None)
        if known is None:
            platform, space = spaces[0]
            known = (await repo.ensure(f"{platform}:{space}", entry.name)).id
        mapped: list[tuple[str, str]] = []
        conflicts: list[str] = []
        for platform, space in spaces:
            got = await repo.map_space(platform, space, known)
            if got == known:
                mapped.append((platform, space))
            else:
                conflicts.append(f"{platform} {space} belongs to community {got}")
                log.error(
                    "community mapping conflict name=%s platform=%s space=%s mapped_to=%s",
                    entry.name,
                    platform,
                    space,
                    got,
                )
        result[known] = MappedCommunity(
            community_id=known,
            name=entry.name,
            places=tuple(w for w in entry.places() if (w.platform, w.space_id) in mapped),
            spaces=tuple(mapped),
            allow_unlinked=entry.allow_unlinked,
            conflicts=tuple(conflicts),
        )
        log.info("community mapped name=%s id=%s spaces=%s", entry.name, known, mapped)
    return result
