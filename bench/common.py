"""Shared shape of a benchmark result, so `make bench` prints one table."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    """One measured figure beside its target and the anchor it is compared with."""

    name: str
    value: float
    unit: str
    target: str = ""
    anchor: str = ""

    def cells(self) -> list[str]:
        shown = f"{self.value:,.0f}" if abs(self.value) >= 100 else f"{self.value:.3g}"
        return [self.name, f"{shown} {self.unit}", self.target, self.anchor]
