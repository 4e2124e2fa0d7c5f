"""The arena's rules, as a pydantic model the settings tree composes (section [arena])."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ArenaPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reveal_votes: int = Field(default=5, ge=1, description="reveal after this many ratings")
    reveal_minutes: float = Field(default=60.0, gt=0, description="or after this long")
    author_may_rate: bool = Field(
        default=False, description="may the member who wrote the prompt rate its battle"
    )
    min_battles: int = Field(
        default=20,
        ge=0,
        description="battles a model needs to be ranked (fewer: listed, not enough battles yet)",
    )
    bootstrap_rounds: int = Field(default=100, ge=0, le=2000)
    uniform_share: float = Field(
        default=0.25,
        ge=0,
        le=1,
        description="share of battles whose pair is drawn uniformly (every model keeps battling)",
    )
    weight_by_quality: bool = Field(
        default=False, description="weight each rating by its rater's quality"
    )
    max_prompt_chars: int = Field(default=2000, ge=1, le=8000)
    max_output_chars: int = Field(default=1500, ge=50, le=3500)
