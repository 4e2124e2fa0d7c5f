"""The defaults a council is created with when `/council create` leaves them out.

A council keeps the values it was created with (they are part of its audited record),
so changing these later affects only councils created afterwards.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class CouncilPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    nomination_hours: float = Field(
        default=48.0, gt=0, description="how long nominations stay open (hours)"
    )
    voting_hours: float = Field(default=72.0, gt=0, description="how long an election runs")
    veto_hours: float = Field(default=48.0, gt=0, description="how long a council may veto")
    recall_threshold: float = Field(
        default=2 / 3, gt=0, le=1, description="share of for/against a recall needs"
    )
    check_interval_seconds: float = Field(
        default=30.0, gt=0, description="how often elections, terms and notices are checked"
    )
