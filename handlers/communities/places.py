"""Where a community lives on each platform, as configured (`[[communities]]`).

The bot resolves the configured spaces to community ids at start-up and hands the
result to handlers as `Deps.communities`: handlers never read settings, and a community
nobody configured simply has no entry (it lives on the one platform that created it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from handlers.core.types import Where


@dataclass(frozen=True, slots=True)
class MappedCommunity:
    """A configured community: its name, where cards go per platform, its voting default."""

    community_id: int
    name: str
    places: tuple[Where, ...] = ()  # one card place per platform (channel, optional topic)
    spaces: tuple[tuple[str, str], ...] = ()  # (platform, space id) mapped at start-up
    allow_unlinked: bool = False
    conflicts: tuple[str, ...] = field(default=())  # spaces already mapped elsewhere

    @property
    def platforms(self) -> frozenset[str]:
        return frozenset(platform for platform, _ in self.spaces)

    @property
    def spans_platforms(self) -> bool:
        """Mapped on two or more chat platforms: one person may hold several accounts."""
        return len(self.platforms - {"console"}) >= 2

    def place_on(self, platform: str) -> Where | None:
        return next((w for w in self.places if w.platform == platform), None)


def allow_unlinked(mapped: MappedCommunity | None, settings: dict[str, Any]) -> bool:
    """Whether accounts not linked by wallet vote separately (each counts once).

    `/config allow_unlinked` (stored in the community's settings) wins over the
    `[[communities]]` entry; a community on one platform only is never restricted.
    """
    if mapped is None or not mapped.spans_platforms:
        return True
    stored = (settings.get("voting") or {}).get("allow_unlinked")
    return mapped.allow_unlinked if stored is None else bool(stored)
