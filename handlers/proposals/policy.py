"""The governance rules a community runs under, as pydantic models.

Handlers own these models (they are the rules handlers enforce); `bot.settings`
composes them into the one settings tree loaded from TOML and the environment.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from handlers.voting.methods import MethodName


class Profile(BaseModel):
    """A named preset of proposal options, e.g. `treasury`: 7 days, quorum 20%, 66%."""

    model_config = ConfigDict(extra="forbid")

    hours: float | None = Field(default=None, gt=0, description="voting period in hours")
    quorum: str | None = Field(default=None, description='"20%" of eligible power, or "15"')
    threshold: float | None = Field(default=None, gt=0, le=1, description="winning share")
    method: MethodName | None = None
    weight: str | None = None
    hidden: bool | None = None


class VotingPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    require_wallet: bool = Field(
        default=True, description="voting needs a linked wallet (/link, then /verify)"
    )
    default_method: MethodName = "single"
    default_weight: str = "member"
    default_hours: float = Field(default=72.0, gt=0)
    min_hours: float = Field(default=0.01, gt=0)
    max_hours: float = Field(default=24 * 90, gt=0)


class ProposalPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    who_may_propose: Literal["everyone", "admins", "role"] = "everyone"
    propose_role: str | None = None
    max_open_per_member: int = Field(default=10, ge=1)
    profiles: dict[str, Profile] = Field(
        default_factory=lambda: {
            "treasury": Profile(hours=168, quorum="20%", threshold=0.66),
            "quick": Profile(hours=24),
        }
    )

    @field_validator("profiles")
    @classmethod
    def _profile_names(cls, profiles: dict[str, Profile]) -> dict[str, Profile]:
        for name in profiles:
            if not name.isidentifier():
                raise ValueError(f"profile name {name!r} must be a single word")
        return profiles


class Policy(BaseModel):
    """All rules handlers enforce."""

    model_config = ConfigDict(extra="forbid")

    voting: VotingPolicy = Field(default_factory=VotingPolicy)
    proposals: ProposalPolicy = Field(default_factory=ProposalPolicy)
