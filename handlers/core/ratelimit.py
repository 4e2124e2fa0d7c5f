"""Per-member rate limits on state-changing commands and button presses.

One member must not be able to fill the write queue, the audit log and the chat: every
command declared with `writes=True` and every button press costs one token from that
member's bucket, keyed by (platform, user id). The bucket holds `burst` tokens and
refills at `commands_per_minute` per minute; a command arriving at an empty bucket is
refused before its handler runs, so it writes nothing and costs no database round trip.
Reads (/help, /proposals, /proposal …) are never limited, nor (by default) admins and
the console chat — a local terminal whose one operator is every member via /as, where a
per-member limit would protect nothing and only break scripted sessions.

Pure and deterministic: time comes from `deps.clock`, so tests move a ManualClock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from handlers.core.errors import TryAgain
from handlers.core.ports import Clock

# Buckets of members who have been quiet long enough to be full again are dropped once
# the table grows past this, so a stream of one-off users cannot grow memory forever.
PRUNE_ABOVE = 10_000


class LimitPolicy(BaseModel):
    """The `[limits]` settings section."""

    model_config = ConfigDict(extra="forbid")

    commands_per_minute: float = Field(
        default=30.0,
        ge=0,
        description="state-changing commands one member may send per minute (0 = no limit)",
    )
    burst: int = Field(
        default=10, ge=1, description="how many of them may come at once before the limit bites"
    )
    exempt_admins: bool = Field(
        default=True, description="admins are not limited (they run scripted batches of writes)"
    )
    exempt_platforms: list[str] = Field(
        default_factory=lambda: ["console"],
        description="platforms not limited: the console, where /as makes anyone anyone",
    )


class RateLimited(TryAgain):
    """A member sent state-changing commands faster than `limits` allows."""

    def __init__(self, retry_after: float) -> None:
        seconds = max(1, math.ceil(retry_after))
        super().__init__(
            "Slow down: you are sending commands faster than this community allows; "
            f"try again in {seconds} s. Nothing was changed."
        )
        self.retry_after = seconds


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Token buckets per (platform, user id); see the module docstring."""

    def __init__(self, policy: LimitPolicy, clock: Clock) -> None:
        self.policy = policy
        self.clock = clock
        self._buckets: dict[tuple[str, str], _Bucket] = {}

    @property
    def enabled(self) -> bool:
        return self.policy.commands_per_minute > 0

    def take(self, platform: str, user_id: str) -> float | None:
        """Spend one token: None when allowed, else the seconds until one is available."""
        if not self.enabled:
            return None
        now = self.clock.now()
        rate = self.policy.commands_per_minute / 60.0
        capacity = float(self.policy.burst)
        key = (platform, user_id)
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= PRUNE_ABOVE:
                self._prune(now, rate, capacity)
            bucket = self._buckets[key] = _Bucket(capacity, now)
        else:
            elapsed = max(0.0, now - bucket.updated)
            bucket.tokens = min(capacity, bucket.tokens + elapsed * rate)
            bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return None
        return (1.0 - bucket.tokens) / rate

    def check(self, platform: str, user_id: str, *, is_admin: bool = False) -> None:
        """Spend one token or raise RateLimited (the dispatcher's form of `take`)."""
        if (is_admin and self.policy.exempt_admins) or platform in self.policy.exempt_platforms:
            return
        wait = self.take(platform, user_id)
        if wait is not None:
            raise RateLimited(wait)

    def _prune(self, now: float, rate: float, capacity: float) -> None:
        full = [
            key
            for key, bucket in self._buckets.items()
            if bucket.tokens + (now - bucket.updated) * rate >= capacity
        ]
        for key in full:
            del self._buckets[key]
