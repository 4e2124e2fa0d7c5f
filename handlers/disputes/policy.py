"""The dispute rules as settings (`[disputes]` in config/govbot.toml)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

KINDS = ("result", "credit", "battle", "epoch")


class DisputePolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(default=True, description="answer /dispute")
    jury_size: int = Field(default=5, ge=1, le=25, description="K jurors drawn (odd)")
    deadline_hours: float = Field(default=48.0, gt=0, description="how long jurors have to vote")
    challenge_hours: float = Field(
        default=72.0, ge=0, description="how long after closing a result may be disputed"
    )
    appeal_hours: float = Field(
        default=48.0, ge=0, description="how long after a ruling either party may appeal (0: none)"
    )
    min_juror_reputation: float = Field(
        default=0.0, ge=0, description="members below this reputation are never drawn"
    )
    max_replacements: int = Field(
        default=5, ge=0, description="jurors asked per round in place of recusals and no-answers"
    )
    replacement_hours: float = Field(
        default=24.0, gt=0, description="extra time a round gets when lapsed jurors are replaced"
    )
    bond: float = Field(
        default=0.0, ge=0, description="reputation the disputer stakes (returned if upheld)"
    )
    juror_credit: float = Field(
        default=0.5, ge=0, description="credit each juror voting with the outcome earns"
    )
    deciders: dict[str, str] = Field(
        default_factory=lambda: {k: "jury" for k in KINDS},
        description='per target kind: "jury" or "council:<name>"',
    )
    check_interval_seconds: float = Field(default=30.0, gt=0)

    @field_validator("jury_size")
    @classmethod
    def _odd(cls, value: int) -> int:
        if value % 2 == 0:
            raise ValueError("jury_size must be odd, so a full jury always has a majority")
        return value

    @field_validator("deciders")
    @classmethod
    def _deciders(cls, value: dict[str, str]) -> dict[str, str]:
        for kind, decider in value.items():
            if kind not in KINDS:
                raise ValueError(f"unknown target kind {kind!r} (one of {', '.join(KINDS)})")
            if decider != "jury" and not (decider.startswith("council:") and decider[8:].strip()):
                raise ValueError(f'{kind}: decider must be "jury" or "council:<name>"')
        return {k: value.get(k, "jury") for k in KINDS}

    def decider(self, kind: str) -> str:
        return self.deciders.get(kind, "jury")
