"""A seeded synthetic community and the sybil attacks run against it.

The honest community: members join over five months, credits (reactions, replies,
helpful marks) follow preferential attachment on both ends (active members give more,
popular members receive more), proposals draw voters and some pass, battles draw
raters. The shape, not the numbers, is what matters: a heavy-tailed who-credits-whom
graph like a real chat's, with newcomers who have received little yet.

An attack adds a ring of fresh accounts that credit each other as much as the daily
cap allows (every sybil marks every other sybil helpful `daily_cap` times a day, merged
into one ledger row per pair and day: the score is linear in weight, so that is the
same ledger to the scoring code), vote on every proposal and rate every battle, and
`attack_edges` honest members who each credit one sybil now and then.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

DAY = 86400.0
START = 1_700_000_000.0
"""Day 0 of the simulated window (the first honest credits)."""

HONEST_KINDS = (("reaction", 1.0, 0.7), ("reply", 0.25, 0.2), ("helpful", 3.0, 0.1))


@dataclass(frozen=True)
class Shape:
    """The honest community's size and activity."""

    members: int = 1000
    days: float = 90.0
    credits: int = 18_000
    proposals: int = 50
    voters_per_proposal: int = 30
    pass_rate: float = 0.7
    battles: int = 60
    raters_per_battle: int = 5
    admins: int = 5
    uniform_share: float = 0.3
    """Share of credit givers and receivers drawn uniformly rather than by popularity."""
    joined_before_days: float = 60.0
    """Members join uniformly from this many days before day 0 until shortly before now."""


@dataclass(frozen=True)
class Attack:
    """A sybil ring: its size, its attack edges, and when it starts crediting itself."""

    sybils: int = 50
    attack_edges: int = 10
    joins_day: float = 62.0
    credits_from_day: float = 62.0
    attack_every_days: float = 7.0
    helpful_weight: float = 3.0
    daily_cap: int = 5
    pattern: str = "clique"
    """How the ring credits itself: "clique" (everyone → everyone, as much as the cap
    allows), "funnel" (the half that honest members credit → the other half, as much as
    the cap allows), "light" (everyone → everyone, one reaction a week, to look normal)."""
    flood: int = 0
    """Honest members (the most credited) every sybil also credits as much as the cap
    allows: an attempt to dilute their trust."""


@dataclass
class Community:
    """A ledger in the service's columns, with who is who."""

    giver: list[int | None] = field(default_factory=list)
    receiver: list[int] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)
    weight: list[float] = field(default_factory=list)
    at: list[float] = field(default_factory=list)
    first_seen: dict[int, float] = field(default_factory=dict)
    admins: list[int] = field(default_factory=list)
    honest: list[int] = field(default_factory=list)
    sybils: list[int] = field(default_factory=list)
    now: float = 0.0
    polls: list[tuple[str, float]] = field(default_factory=list)
    """(kind, when) of every proposal vote and battle: what a sybil can mint credit on."""

    def add(self, giver: int | None, receiver: int, kind: str, weight: float, at: float) -> None:
        self.giver.append(giver)
        self.receiver.append(receiver)
        self.kind.append(kind)
        self.weight.append(weight)
        self.at.append(at)


class _Urn:
    """Preferential attachment in O(1): mostly ∝ times drawn before, sometimes uniform.

    The uniform share keeps newcomers in play (everyone who is around posts now and
    then); the rest is rich-get-richer, which gives the heavy tail.
    """

    def __init__(self, rng: np.random.Generator, uniform: float) -> None:
        self.rng = rng
        self.uniform = uniform
        self.drawn: list[int] = []

    def draw(self, present: list[int], avoid: int | None = None) -> int:
        while True:
            if not self.drawn or self.rng.random() < self.uniform:
                pick = present[int(self.rng.integers(0, len(present)))]
            else:
                pick = self.drawn[int(self.rng.integers(0, len(self.drawn)))]
            if pick != avoid:
                self.drawn.append(pick)
                return pick


def honest_community(shape: Shape = Shape(), seed: int = 0) -> Community:
    """The attack-free community, `shape.days` of activity ending now."""
    rng = np.random.default_rng(seed)
    out = Community(now=START + shape.days * DAY)
    joined = np.sort(rng.uniform(-shape.joined_before_days, shape.days - 5.0, shape.members))
    joined[: shape.admins] = -shape.joined_before_days  # the founders run the place
    for i, day in enumerate(joined.tolist()):
        member = i + 1
        out.first_seen[member] = START + day * DAY
        out.honest.append(member)
    out.admins = out.honest[: shape.admins]
    times = np.sort(rng.uniform(0.0, shape.days, shape.credits))
    kinds = rng.choice(len(HONEST_KINDS), shape.credits, p=[k[2] for k in HONEST_KINDS])
    givers, receivers = _Urn(rng, shape.uniform_share), _Urn(rng, shape.uniform_share)
    present: list[int] = []
    pending = 0
    cap: dict[tuple[int, int, int], int] = {}
    for day, code in zip(times.tolist(), kinds.tolist(), strict=True):
        while pending < shape.members and joined[pending] <= day:
            present.append(pending + 1)
            pending += 1
        if len(present) < 2:
            continue
        g = givers.draw(present)
        r = receivers.draw(present, avoid=g)
        key = (g, r, int(day))
        if cap.get(key, 0) >= 5:  # the daily cap binds honest members too
            continue
        cap[key] = cap.get(key, 0) + 1
        name, weight, _ = HONEST_KINDS[code]
        out.add(g, r, name, weight, START + day * DAY)
    _minted(out, shape, rng, joined)
    return out


def _minted(out: Community, shape: Shape, rng: np.random.Generator, joined: np.ndarray) -> None:
    """Votes cast, proposals passed and battle ratings: the community mints these."""
    activity = np.bincount(
        [g for g in out.giver if g is not None], minlength=shape.members + 1
    ).astype(float)[1:]
    for day in np.sort(rng.uniform(0.0, shape.days, shape.proposals)).tolist():
        present = np.flatnonzero(joined <= day)
        chance = activity[present] + 1.0
        count = min(shape.voters_per_proposal, len(present))
        voters = rng.choice(present, count, replace=False, p=chance / chance.sum())
        at = START + day * DAY
        out.polls.append(("vote", at))
        for v in voters.tolist():
            out.add(None, v + 1, "vote", 0.5, at + float(rng.uniform(0, DAY)))
        if rng.random() < shape.pass_rate:
            author = int(rng.choice(present, p=chance / chance.sum()))
            out.add(None, author + 1, "proposal_passed", 5.0, at + 3 * DAY)
    for day in np.sort(rng.uniform(0.0, shape.days, shape.battles)).tolist():
        present = np.flatnonzero(joined <= day)
        count = min(shape.raters_per_battle, len(present))
        raters = rng.choice(present, count, replace=False)
        at = START + day * DAY
        out.polls.append(("rating", at))
        for v in raters.tolist():
            out.add(None, v + 1, "rating", 0.5, at + float(rng.uniform(0, DAY)))


def attacked(base: Community, attack: Attack, seed: int = 0) -> Community:
    """`base` plus a sybil ring: a new community (the base is not changed)."""
    rng = np.random.default_rng(seed + 7919)
    out = Community(
        list(base.giver),
        list(base.receiver),
        list(base.kind),
        list(base.weight),
        list(base.at),
        dict(base.first_seen),
        list(base.admins),
        list(base.honest),
        [],
        base.now,
        list(base.polls),
    )
    first = max(base.honest) + 1
    out.sybils = list(range(first, first + attack.sybils))
    joins = START + attack.joins_day * DAY
    for s in out.sybils:
        out.first_seen[s] = joins
    days = int((base.now - START) / DAY - attack.credits_from_day)
    per_pair = attack.daily_cap * attack.helpful_weight
    half = max(1, len(out.sybils) // 2)
    if attack.pattern == "funnel":
        givers, takers = out.sybils[:half], out.sybils[half:]
    else:
        givers = takers = out.sybils
    received: dict[int, int] = {}
    for r in base.receiver:
        received[r] = received.get(r, 0) + 1
    victims = sorted(base.honest, key=lambda m: (-received.get(m, 0), m))[: attack.flood]
    g_col, r_col = np.meshgrid(np.asarray(givers), np.asarray(takers + victims), indexing="ij")
    keep = g_col != r_col
    g_col, r_col = g_col[keep], r_col[keep]
    ring_day = np.arange(days)
    if attack.pattern == "light":  # one reaction a week to each ring-mate, to look normal
        ring_day = ring_day[ring_day % 7 == 0]
    kind, weight = ("reaction", 1.0) if attack.pattern == "light" else ("helpful", per_pair)
    at = START + (attack.credits_from_day + ring_day + 0.5) * DAY
    pairs = len(g_col)
    out.giver.extend(np.tile(g_col, len(at)).tolist())
    out.receiver.extend(np.tile(r_col, len(at)).tolist())
    out.kind.extend([kind] * (pairs * len(at)))
    out.weight.extend([weight] * (pairs * len(at)))
    out.at.extend(np.repeat(at, pairs).tolist())
    # the ring votes on every proposal and rates every battle it is around for
    for kind, when in base.polls:
        if when >= joins:
            for s in out.sybils:
                out.add(None, s, kind, 0.5, when + DAY / 2)
    # attack edges: honest members (drawn by activity, established before the ring came)
    # who credit one sybil every `attack_every_days` while the ring is around
    activity = np.bincount(
        [g for g in base.giver if g is not None], minlength=max(base.honest) + 1
    ).astype(float)
    established = [m for m in base.honest if base.first_seen[m] < joins]
    chance = activity[established] + 1.0
    count = min(attack.attack_edges, len(established))
    friends = rng.choice(established, count, replace=False, p=chance / chance.sum())
    span = base.now - joins
    targets = givers if attack.pattern == "funnel" else out.sybils
    for h in friends.tolist():
        target = targets[int(rng.integers(0, len(targets)))]
        t = joins + float(rng.uniform(0, attack.attack_every_days * DAY))
        while t < base.now and span > 0:
            out.add(int(h), target, "reaction", 1.0, t)
            t += attack.attack_every_days * DAY
    return out
