"""The `[reach]` settings section: when reminders go out and how often the job looks."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator


class ReachPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Hours before a proposal closes at which its places get a reminder (turnout and
    # what quorum still needs). An offset longer than the proposal's whole voting
    # period is skipped: the card itself was the announcement.
    reminder_offsets_hours: list[float] = Field(default_factory=lambda: [24.0, 1.0])
    # How often the reminder job looks for reminders that fell due.
    interval_seconds: float = Field(default=60.0, gt=0)
    # Whether members may ask for private reminders (`/remind on`).
    private_reminders: bool = True

    @field_validator("reminder_offsets_hours")
    @classmethod
    def _positive(cls, offsets: list[float]) -> list[float]:
        if any(not (0 < hours <= 24 * 90) for hours in offsets):
            raise ValueError("each offset must be more than 0 and at most 2160 hours")
        return sorted(set(offsets), reverse=True)

    @property
    def offsets_seconds(self) -> list[float]:
        """Largest first."""
        return [hours * 3600.0 for hours in self.reminder_offsets_hours]
