"""The rewards rules as settings (section `[rewards]`): the token, the budget, the pools.

Amounts in the settings are in whole tokens (`budget = "1000"`, `"2.5"`); everything
after start-up is an integer in the token's smallest unit (`units`), so an epoch's
amounts add up to its budget exactly. A wrong value stops start-up naming its key.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

POINTS = "points"
ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
POOLS = ("contributors", "raters", "models")
Schedule = Literal["weekly", "monthly", "manual"]


def to_units(amount: Decimal, decimals: int) -> int:
    """Whole tokens → the smallest unit; refuses an amount finer than one unit."""
    scaled = amount.scaleb(decimals)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} has more than {decimals} decimals")
    return int(scaled)


def show_units(units: int, decimals: int) -> str:
    """The smallest unit → whole tokens, without trailing zeros (1500000, 6 → "1.5")."""
    if decimals == 0:
        return f"{units:,}"
    sign = "-" if units < 0 else ""
    whole, frac = divmod(abs(units), 10**decimals)
    text = f"{whole:,}"
    digits = str(frac).rjust(decimals, "0").rstrip("0")
    return sign + (f"{text}.{digits}" if digits else text)


class RewardsPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(default=True, description="run epochs and answer /epoch")
    token: str = Field(
        default=POINTS, description='"points", or the ERC-20 contract address paid out'
    )
    symbol: str = Field(default="POINTS", min_length=1, max_length=12)
    decimals: int = Field(default=0, ge=0, le=36, description="the token's decimals")
    chain_id: int = Field(default=1, ge=1, description="the chain the token and Safe live on")
    safe_address: str = Field(default="", description="the Safe that pays (Safe batch file)")
    budget: Decimal = Field(default=Decimal(1000), description="whole tokens per epoch")
    schedule: Schedule = Field(default="weekly", description="weekly, monthly or manual")
    pools: dict[str, Decimal] = Field(
        default_factory=lambda: {
            "contributors": Decimal(60),
            "raters": Decimal(15),
            "models": Decimal(25),
        },
        description="percent of the budget per pool; they add up to 100",
    )
    contributor_policy: Literal["immediate", "balanced"] = Field(
        default="immediate", description="SourceCred's grain policies"
    )
    model_split: Literal["wins", "softmax"] = Field(
        default="wins", description="share of wins, or softmax of Bradley–Terry ratings"
    )
    member_cap: Decimal = Field(default=Decimal(0), ge=0, description="whole tokens; 0 = none")
    min_payout: Decimal = Field(default=Decimal(0), ge=0, description="whole tokens")
    hold_epochs: int = Field(
        default=2, ge=0, description="epochs an unlinked member's share waits for a wallet"
    )
    credit_max_points: float = Field(
        default=50.0, gt=0, description="most points one /credit may grant"
    )
    check_interval_seconds: float = Field(default=60.0, gt=0)

    @field_validator("token")
    @classmethod
    def _token(cls, value: str) -> str:
        if value != POINTS and not ADDRESS.fullmatch(value):
            raise ValueError(f'unknown token {value!r}: use "points" or an 0x… ERC-20 address')
        return value

    @field_validator("safe_address")
    @classmethod
    def _safe(cls, value: str) -> str:
        if value and not ADDRESS.fullmatch(value):
            raise ValueError(f"{value!r} is not an 0x… address")
        return value

    @field_validator("budget")
    @classmethod
    def _budget(cls, value: Decimal) -> Decimal:
        if not value.is_finite() or value <= 0:
            raise ValueError("the budget must be positive")
        return value

    @field_validator("pools")
    @classmethod
    def _pools(cls, pools: dict[str, Decimal]) -> dict[str, Decimal]:
        unknown = sorted(set(pools) - set(POOLS))
        if unknown:
            raise ValueError(f"unknown pool {unknown[0]!r}: pools are {', '.join(POOLS)}")
        if any(not share.is_finite() or share < 0 for share in pools.values()):
            raise ValueError("a pool's share must be a percentage of at least 0")
        total = sum(pools.values(), Decimal(0))
        if total != 100:
            raise ValueError(f"the pools add up to {total}%, not 100%")
        return pools

    @model_validator(mode="after")
    def _whole_units(self) -> RewardsPolicy:
        for key in ("budget", "member_cap", "min_payout"):
            try:
                to_units(getattr(self, key), self.decimals)
            except (ValueError, InvalidOperation) as error:
                raise ValueError(f"{key}: {error}") from None
        return self

    # ----- in the smallest unit ---------------------------------------------------------
    @property
    def budget_units(self) -> int:
        return to_units(self.budget, self.decimals)

    @property
    def cap_units(self) -> int:
        return to_units(self.member_cap, self.decimals)

    @property
    def min_units(self) -> int:
        return to_units(self.min_payout, self.decimals)

    @property
    def is_points(self) -> bool:
        return self.token == POINTS

    def pool_shares(self) -> dict[str, Fraction]:
        """Each pool's fraction of the budget, exactly (in POOLS order)."""
        return {p: Fraction(self.pools[p]) / 100 for p in POOLS if p in self.pools}

    def show(self, units: int) -> str:
        return f"{show_units(units, self.decimals)} {self.symbol}"
