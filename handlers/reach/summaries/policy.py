"""The `[summaries]` rules: whether summaries run, how much they read, how often one
proposal may be summarised, and how long Telegram's thread messages are kept."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SummariesPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Off by default: on Telegram (and the console) turning it on means the bot keeps
    # the text of messages posted in proposal threads until the retention ends.
    enabled: bool = False
    # One summary per proposal per this many seconds, whoever asks (model calls cost).
    interval_seconds: float = Field(default=600.0, ge=0)
    # The newest messages a summary reads, and how much of each.
    max_messages: int = Field(default=200, ge=1, le=1000)
    max_message_chars: int = Field(default=1000, ge=20, le=4000)
    # Kept thread messages are deleted this long after their proposal closes.
    retention_days: float = Field(default=7.0, ge=0, le=365)
    # How often the retention job looks for messages to delete.
    purge_interval_seconds: float = Field(default=3600.0, gt=0)
    # The longest summary posted (the model's answer is cut there).
    max_summary_chars: int = Field(default=3000, ge=200, le=3800)

    @property
    def retention_seconds(self) -> float:
        return self.retention_days * 86400.0
