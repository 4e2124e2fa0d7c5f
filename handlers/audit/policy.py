"""The `[audit]` settings (checkpoints) and what a community publishes (its public page).

Checkpoints anchor the log where the operator cannot rewrite it unseen: every so many
entries or hours the head hash is posted in chat, and a later download of the log must
agree with every message posted.

What a community publishes is decided by `[web]` defaults (the operator's) and the
community's own `/config public_page …` and `/config ballots_private …`, stored in its
settings under "public".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from handlers.core.types import Where


class CheckpointPlace(BaseModel):
    """A channel where checkpoints are posted."""

    model_config = ConfigDict(extra="forbid")

    platform: Literal["console", "telegram", "discord"]
    space_id: str = Field(min_length=1, description="Discord guild id, Telegram chat id")
    channel_id: str | None = Field(default=None, description="default: the space itself")
    thread_id: str | None = Field(default=None, description="a Telegram forum topic")

    def where(self) -> Where:
        return Where(self.platform, self.space_id, self.channel_id or self.space_id, self.thread_id)


class AuditPolicy(BaseModel):
    """The `[audit]` settings section."""

    model_config = ConfigDict(extra="forbid")

    checkpoint_entries: int = Field(
        default=1000, ge=0, description="post a checkpoint after this many new entries (0: never)"
    )
    checkpoint_hours: float = Field(
        default=24.0, ge=0, description="…or after this many hours with new entries (0: never)"
    )
    checkpoint_check_seconds: float = Field(
        default=60.0, gt=0, description="how often the checkpoint job looks"
    )
    checkpoint_places: list[CheckpointPlace] = Field(
        default_factory=list, description="where checkpoints are posted (none: no checkpoints)"
    )


@dataclass(frozen=True, slots=True)
class PublicDefaults:
    """The operator's `[web]` defaults for publishing, as handlers see them."""

    url: str | None = None  # web.public_url: where the public pages are reached
    pages: bool = False  # web.public_pages
    ballots_private: bool = False  # web.ballots_private

    def base(self) -> str | None:
        return self.url.rstrip("/") if self.url else None


def _override(settings: dict[str, Any], key: str) -> bool | None:
    value = (settings.get("public") or {}).get(key)
    return value if isinstance(value, bool) else None


def page_on(defaults: PublicDefaults, settings: dict[str, Any]) -> bool:
    """Whether the community's public page (and its audit log URL) is served."""
    override = _override(settings, "page")
    return defaults.pages if override is None else override


def ballots_private(defaults: PublicDefaults, settings: dict[str, Any]) -> bool:
    """Whether the page shows only receipts, not who cast them."""
    override = _override(settings, "ballots_private")
    return defaults.ballots_private if override is None else override


def community_url(defaults: PublicDefaults, community_id: int) -> str | None:
    base = defaults.base()
    return None if base is None else f"{base}/c/{community_id}/"


def proposal_url(
    defaults: PublicDefaults, community_id: int, number: int, settings: dict[str, Any]
) -> str | None:
    """The proposal's page, when a public URL is set and the community publishes."""
    home = community_url(defaults, community_id)
    if home is None or not page_on(defaults, settings):
        return None
    return f"{home}p/{number}"
