"""The arena's rules, as a pydantic model the settings tree composes (section [arena])."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

DEFAULT_CATEGORIES: dict[str, list[str]] = {
    "coding": [
        r"\b(code|coding|python|javascript|typescript|rust|java|c\+\+|sql|regex|function|"
        r"bug|compile|script|api|class|algorithm)\b",
        "```",
    ],
    "math": [
        r"\b(math|solve|equation|integral|derivative|probability|prove|proof|theorem|"
        r"algebra|geometry|calculate)\b",
        r"\d+\s*[-+*/^=]\s*\d+",
    ],
    "creative_writing": [r"\b(poem|story|haiku|lyrics|limerick|fiction|novel|screenplay)\b"],
}
"""Keyword/regex table: a prompt matching any pattern of a category carries it."""


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
        default=True,
        description="down-weight raters who fail gold battles, press one side or defy consensus",
    )
    max_prompt_chars: int = Field(default=2000, ge=1, le=8000)
    max_output_chars: int = Field(default=1500, ge=50, le=3500)
    style_control: Literal["auto", "on", "off"] = Field(
        default="auto",
        description="explain votes by answer length and markdown too (auto: on from "
        "style_min_battles counted battles)",
    )
    style_min_battles: int = Field(default=200, ge=0)
    categories: dict[str, list[str]] = Field(
        default_factory=lambda: {k: list(v) for k, v in DEFAULT_CATEGORIES.items()},
        description="category → regexes (case-insensitive) that assign it to a prompt",
    )
    category_min_battles: int = Field(
        default=50, ge=1, description="battles a category needs before it is ranked"
    )
    category_model: str = Field(
        default="", description="a configured model that also assigns categories ('' off)"
    )
    # 40 characters a second is skimming speed (about 480 words a minute, twice an
    # ordinary silent reading speed): slower readers are never cut off, while a press a
    # second or two after a long pair of answers is plainly not a reading. The cap keeps
    # the longest pairs (2 × max_output_chars) from asking more than half a minute.
    reading_chars_per_second: float = Field(
        default=40.0,
        ge=0,
        description="ratings faster than (both outputs' characters / this) are not counted "
        "(0: no floor; 40 ≈ skimming)",
    )
    reading_floor_max_seconds: float = Field(
        default=30.0, ge=0, description="the reading-time floor is never longer than this"
    )
    exclude_leaks: bool = Field(
        default=True, description="leave out battles whose output still names its model"
    )
    gold_rate: float = Field(
        default=0.1, ge=0, le=1, description="share of /arena (no prompt) serving a gold pair"
    )
    gold_pass: float = Field(
        default=0.75, gt=0, le=1, description="gold accuracy below which a rater is down-weighted"
    )
    rater_z: float = Field(
        default=2.0, gt=0, description="z beyond which side bias or disagreement counts"
    )
    rater_min_weight: float = Field(default=0.1, ge=0, le=1)

    @field_validator("categories")
    @classmethod
    def _patterns_compile(cls, table: dict[str, list[str]]) -> dict[str, list[str]]:
        for name, patterns in table.items():
            if not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", name):
                raise ValueError(f"category {name!r}: lower-case letters, digits and _ only")
            for pattern in patterns:
                try:
                    re.compile(pattern)
                except re.error as error:
                    raise ValueError(f"category {name!r}: bad regex {pattern!r}: {error}") from None
        return table
