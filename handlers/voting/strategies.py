"""Weighting strategies: how much a member's ballot counts.

This is the one extension point later strategies (tokens at a snapshot block, NFTs,
reputation, `+` hybrids, `sqrt`/`cap=N` transforms) plug into: a strategy is parsed from
the proposal's `weight=` text, takes a snapshot when the proposal opens, and weighs each
ballot against that snapshot, returning the weight and a breakdown the voter sees.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from handlers.core.errors import BadArguments
from storage.records import MemberRecord, ProposalRecord


@dataclass(frozen=True, slots=True)
class Weight:
    value: float
    breakdown: dict[str, Any]


class Strategy(Protocol):
    spec: str

    async def snapshot(self, community_id: int) -> str | None:
        """What to freeze when the proposal opens (a block number, a reputation snapshot id)."""
        ...

    async def eligible_power(self, community_id: int) -> float | None:
        """Total power that could vote, for percentage quorums and turnout."""
        ...

    async def weigh(self, member: MemberRecord, proposal: ProposalRecord) -> Weight:
        """This member's weight on this proposal, read at the proposal's snapshot."""
        ...


class MemberStrategy:
    """One member, one vote."""

    spec = "member"

    def __init__(self, count_members: Callable[[int], Any]) -> None:
        self._count_members = count_members

    async def snapshot(self, community_id: int) -> str | None:
        return None

    async def eligible_power(self, community_id: int) -> float | None:
        return float(await self._count_members(community_id))

    async def weigh(self, member: MemberRecord, proposal: ProposalRecord) -> Weight:
        return Weight(1.0, {"member": 1.0})


StrategyFactory = Callable[[str], Strategy]


class StrategyRegistry:
    """Parses `weight=` text into a Strategy; unknown names are refused with the known ones."""

    def __init__(self) -> None:
        self._factories: dict[str, StrategyFactory] = {}

    def register(self, name: str, factory: StrategyFactory) -> None:
        self._factories[name] = factory

    @property
    def names(self) -> list[str]:
        return sorted(self._factories)

    def parse(self, spec: str) -> Strategy:
        """One strategy, or a combination: terms joined by `+` (summed), then `,sqrt` and
        `,cap=N` transforms applied in order; parentheses group, e.g.
        `(erc20:0x…,sqrt)+member,cap=100`. A lone name goes straight to its factory."""
        text = spec.strip()
        if len(text) > MAX_SPEC:
            raise BadArguments(f"weight= is at most {MAX_SPEC} characters.", usage=WEIGHT_USAGE)
        if not any(mark in text for mark in "+,()"):
            return self._leaf(text)
        parser = _SpecParser(text, self._leaf)
        strategy = parser.expression()
        if parser.pos != len(text):
            raise BadArguments(
                f'Unexpected "{text[parser.pos : parser.pos + 20]}" in weight=.',
                usage=WEIGHT_USAGE,
            )
        return strategy

    def _leaf(self, text: str) -> Strategy:
        name = text.split(":", 1)[0].casefold()
        factory = self._factories.get(name)
        if factory is None:
            raise BadArguments(
                f'Unknown weighting "{text[:60]}". Available here: {", ".join(self.names)}.',
                usage=WEIGHT_USAGE,
            )
        return factory(text)


MAX_SPEC = 400
WEIGHT_USAGE = (
    "weight=member · weight=erc20:0x… · weight=erc721:0x… · weight=native · combine with + "
    "and transforms ,sqrt ,cap=N — e.g. weight=erc20:0x…+erc721:0x…,sqrt,cap=1000"
)
Transform = tuple[str, float | None]


class _SpecParser:
    """Recursive descent over `expr := term ('+' term)* (',' transform)*`,
    `term := '(' expr ')' | leaf`, `transform := 'sqrt' | 'cap=' number`."""

    def __init__(self, text: str, leaf: Callable[[str], Strategy]) -> None:
        self.text = text
        self.pos = 0
        self.leaf = leaf

    def _peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def expression(self) -> Strategy:
        terms = [self.term()]
        while self._peek() == "+":
            self.pos += 1
            terms.append(self.term())
        transforms: list[Transform] = []
        while self._peek() == ",":
            self.pos += 1
            transforms.append(self.transform())
        if len(terms) == 1 and not transforms:
            return terms[0]
        return Combined(terms, transforms)

    def term(self) -> Strategy:
        if self._peek() == "(":
            self.pos += 1
            inner = self.expression()
            if self._peek() != ")":
                raise BadArguments("A ( in weight= is not closed.", usage=WEIGHT_USAGE)
            self.pos += 1
            return Grouped(inner)
        start = self.pos
        while self._peek() and self._peek() not in "+,()":
            self.pos += 1
        word = self.text[start : self.pos].strip()
        if not word:
            raise BadArguments("An empty term in weight=.", usage=WEIGHT_USAGE)
        return self.leaf(word)

    def transform(self) -> Transform:
        start = self.pos
        while self._peek() and self._peek() not in "+,()":
            self.pos += 1
        word = self.text[start : self.pos].strip().casefold()
        if word == "sqrt":
            return ("sqrt", None)
        if word.startswith("cap="):
            try:
                cap = float(word[4:])
            except ValueError:
                cap = math.nan
            if not math.isfinite(cap) or cap <= 0:
                raise BadArguments(
                    f'cap= takes a positive number, not "{word[4:24]}".', usage=WEIGHT_USAGE
                )
            return ("cap", cap)
        raise BadArguments(
            f'Unknown transform "{word[:20]}": use sqrt or cap=N.', usage=WEIGHT_USAGE
        )


def _pin(strategy: Strategy, snapshot: str) -> None:
    pin = getattr(strategy, "pin", None)
    if pin is not None:
        pin(snapshot)


class Grouped:
    """A parenthesised sub-expression: the same strategy, written back with its brackets."""

    def __init__(self, inner: Strategy) -> None:
        self.inner = inner
        self.spec = f"({inner.spec})"

    async def snapshot(self, community_id: int) -> str | None:
        return await self.inner.snapshot(community_id)

    def pin(self, snapshot: str) -> None:
        _pin(self.inner, snapshot)

    async def eligible_power(self, community_id: int) -> float | None:
        return await self.inner.eligible_power(community_id)

    async def weigh(self, member: MemberRecord, proposal: ProposalRecord) -> Weight:
        return await self.inner.weigh(member, proposal)


class Combined:
    """Terms summed, then transforms applied; the breakdown names every part."""

    def __init__(self, terms: list[Strategy], transforms: list[Transform]) -> None:
        self.terms = terms
        self.transforms = transforms
        shown = [f"cap={value:g}" if name == "cap" else name for name, value in transforms]
        self.spec = ",".join(["+".join(t.spec for t in terms), *shown])

    async def snapshot(self, community_id: int) -> str | None:
        """One snapshot for every term: the first term that takes one, pinned on the rest."""
        first: str | None = None
        for term in self.terms:
            if first is not None and hasattr(term, "pin"):
                term.pin(first)
                continue
            taken = await term.snapshot(community_id)
            if first is None and taken is not None:
                first = taken
        if first is not None:
            for term in self.terms:
                _pin(term, first)
        return first

    def pin(self, snapshot: str) -> None:
        for term in self.terms:
            _pin(term, snapshot)

    async def eligible_power(self, community_id: int) -> float | None:
        """The sum of the terms' powers; unknown (None) once a transform reshapes them,
        since sqrt or a cap of a total is not the total of each voter's sqrt or cap."""
        if self.transforms:
            return None
        total = 0.0
        for term in self.terms:
            power = await term.eligible_power(community_id)
            if power is None:
                return None
            total += power
        return total

    async def weigh(self, member: MemberRecord, proposal: ProposalRecord) -> Weight:
        total = 0.0
        breakdown: dict[str, Any] = {}
        for term in self.terms:
            weight = await term.weigh(member, proposal)
            total += weight.value
            for key, value in weight.breakdown.items():
                if breakdown.get(key) == value and key == "block":
                    continue  # every chain term reads the one snapshot block
                name, n = key, 2
                while name in breakdown:
                    name, n = f"{key} #{n}", n + 1
                breakdown[name] = value
        for name, value in self.transforms:
            if name == "sqrt":
                total = math.sqrt(max(total, 0.0))
                breakdown["sqrt"] = total
            else:
                assert value is not None
                total = min(total, value)
                breakdown[f"cap={value:g}"] = total
        return Weight(total, breakdown)
