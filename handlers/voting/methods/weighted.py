"""weighted: a ballot splits its weight over choices in proportion to its shares; the
per-choice sums are rescaled to add up to the total power, as snapshot.js does."""

from __future__ import annotations

import math
from typing import Any

from handlers.voting.methods.base import Count, FloatArray
from handlers.voting.methods.counting import share_items, snapshot_rescale
from handlers.voting.methods.shapes import Shares


def split_power(
    method: str,
    selections: list[Any],
    weights: FloatArray,
    k: int,
    total_power: float,
    *,
    quadratic: bool,
) -> list[float]:
    """weighted and quadratic, following snapshot.js term by term.

    Per ballot, a choice's fraction is ``(share / Σ shares × 100) / 100`` with Σ
    shares added in index order, like their ``percentageOfTotal``; weighted adds
    ``fraction × weight`` per choice, quadratic adds ``sqrt(fraction × weight)`` and
    squares the per-choice sum. The one intended difference: per-choice sums use
    math.fsum instead of a left-to-right reduce, so ballot order cannot matter.
    """
    terms: list[list[float]] = [[] for _ in range(k)]
    for selection, weight in zip(selections, weights.tolist(), strict=True):
        items = share_items(method, selection, k)
        share_total = 0.0
        for _, share in items:
            share_total += share
        for index, share in items:
            fraction = (share / share_total * 100) / 100
            terms[index].append(math.sqrt(fraction * weight) if quadratic else fraction * weight)
    sums = [math.fsum(t) for t in terms]
    results = [s * s for s in sums] if quadratic else sums
    return snapshot_rescale(results, total_power)


class Weighted(Shares):
    name = "weighted"
    help = "split your weight over choices (a=70, b=30)"
    usage = "/vote <id> a=70, b=30"
    snapshot_type = "weighted"
    quadratic = False

    def count(
        self, selections: list[Any], weights: FloatArray, k: int, total_power: float
    ) -> Count:
        totals = split_power(
            self.name, selections, weights, k, total_power, quadratic=self.quadratic
        )
        return Count(totals, math.fsum(totals), tuple(range(k)))


METHOD = Weighted()
