"""The reputation rules as settings: weights, what is not counted, how the score is made.

Handlers own this model (they enforce it); `bot.settings` mounts it as `[reputation]`.
A community can override any key through its stored settings (`/config`), see
`effective_policy`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

KINDS = (
    "reaction",
    "reply",
    "helpful",
    "vote",
    "proposal_passed",
    "rating",
    "praise",
    "grant",
    "juror",  # minted by a final dispute ruling for jurors who voted with the outcome
    "bond",  # a dispute's bond (negative), kept when the dispute is rejected
)
KIND_LABELS = {
    "reaction": "reactions",
    "reply": "replies",
    "helpful": "helpful answers",
    "vote": "votes cast",
    "proposal_passed": "proposals passed",
    "rating": "battle ratings",
    "praise": "praise",
    "grant": "admin grants",
    "juror": "jury service",
    "bond": "dispute bonds",
}


def normalise_emoji(emoji: str) -> str:
    """One spelling per emoji: ❤️ and ❤ (with or without the variation selector) match."""
    return emoji.replace("\ufe0f", "").strip()


class ReputationPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(default=True, description="log contributions and answer /rep")
    half_life_days: float = Field(default=90.0, gt=0, description="a credit halves this often")
    kind_weights: dict[str, float] = Field(
        default_factory=lambda: {
            "reaction": 1.0,
            "reply": 0.25,
            "helpful": 3.0,
            "vote": 0.5,
            "proposal_passed": 5.0,
            "rating": 0.5,
            "praise": 2.0,
            "grant": 1.0,
        }
    )
    emoji_weights: dict[str, float] = Field(
        default_factory=lambda: {"👎": 0.0, "🙏": 1.5, "🎉": 1.0, "❤": 1.0, "👍": 1.0}
    )
    default_emoji_weight: float = Field(default=1.0, ge=0)
    channel_weights: dict[str, float] = Field(
        default_factory=dict, description='channel id (or "platform:channel") → weight'
    )
    default_channel_weight: float = Field(default=1.0, ge=0)
    helpful_emojis: list[str] = Field(default_factory=lambda: ["✅"])
    daily_cap: int = Field(
        default=5, ge=0, description="counted credits from one member to another per UTC day"
    )
    min_account_age_days: float = Field(default=7.0, ge=0)
    seed_roles: list[str] = Field(default_factory=list)
    seed_min_givers: int = Field(
        default=3, ge=1, description="distinct trusted members who must credit a member to seed"
    )
    seed_min_days: int = Field(
        default=3, ge=1, description="distinct days those credits must span to earn seed status"
    )
    seed_member_age_days: float = Field(
        default=0.0,
        ge=0,
        description="members first seen more recently than this cannot earn seed status yet",
    )
    damping: float = Field(default=0.85, gt=0, lt=1)
    giver_budget: float = Field(
        default=100.0, gt=0, description="decayed weight one member can give at full worth"
    )
    full_trust_support: float = Field(
        default=2.5,
        gt=0,
        description="support from trusted members (credit weight) for a member to count fully",
    )
    giving_multiple: float = Field(
        default=5.0, gt=0, description="a member gives at full worth up to this × their support"
    )
    recompute_interval_seconds: float = Field(default=30.0, gt=0)
    snapshot_max_age_seconds: float = Field(default=3600.0, gt=0)
    inline_recompute_max_events: int = Field(default=50_000, ge=0)
    min_to_propose: float = Field(default=0.0, ge=0)

    def kind_weight(self, kind: str) -> float:
        return float(self.kind_weights.get(kind, 0.0))

    def emoji_weight(self, emoji: str) -> float:
        wanted = normalise_emoji(emoji)
        for key, value in self.emoji_weights.items():
            if normalise_emoji(key) == wanted:
                return float(value)
        return self.default_emoji_weight

    def channel_weight(self, platform: str, channel_id: str) -> float:
        for key in (f"{platform}:{channel_id}", channel_id):
            if key in self.channel_weights:
                return float(self.channel_weights[key])
        return self.default_channel_weight

    def is_helpful_emoji(self, emoji: str) -> bool:
        wanted = normalise_emoji(emoji)
        return any(normalise_emoji(e) == wanted for e in self.helpful_emojis)


def effective_policy(
    base: ReputationPolicy, community_settings: dict[str, Any]
) -> ReputationPolicy:
    """The base rules with this community's `reputation` overrides (ignored if invalid)."""
    overrides = community_settings.get("reputation")
    if not isinstance(overrides, dict) or not overrides:
        return base
    try:
        return ReputationPolicy.model_validate(base.model_dump() | overrides)
    except ValidationError:
        return base
