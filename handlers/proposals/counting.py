"""A proposal's tally from its stored ballots: pure, shared by the live card, closing
and `govbot audit verify` (which re-runs it from the audit log's ballots)."""

from __future__ import annotations

from typing import Any

from handlers.voting.ballots import decode_selection
from handlers.voting.tally import Quorum, TallyResult, tally
from storage.records import BallotRecord, ProposalRecord


def quorum_of(text: str | None) -> Quorum | None:
    if not text:
        return None
    if text.endswith("%"):
        return Quorum(float(text[:-1]), True)
    return Quorum(float(text), False)


def tally_ballots(
    method: str,
    choices: tuple[str, ...],
    ballots: list[tuple[list[Any], float]],
    *,
    quorum: str | None,
    threshold: float | None,
    eligible_power: float | None,
    options: dict[str, Any] | None = None,
    seed: str = "",
    preview: bool = False,
) -> TallyResult:
    """Tally stored (encoded selection, weight) pairs; used by closing and by audit verify.

    `options` are the method's own (from `proposal.opened`); `seed` is that entry's hash,
    from which ties are broken by lot.
    """
    decoded = [(decode_selection(method, sel, len(choices)), weight) for sel, weight in ballots]
    return tally(
        method,
        choices,
        decoded,
        quorum=quorum_of(quorum),
        threshold=threshold,
        eligible_power=eligible_power,
        options=options,
        seed=seed,
        preview=preview,
    )


def tally_proposal(
    proposal: ProposalRecord,
    ballots: list[BallotRecord],
    eligible_power: float | None = None,
    *,
    seed: str = "",
    preview: bool = False,
) -> TallyResult:
    return tally_ballots(
        proposal.method,
        proposal.choices,
        [(b.selection, b.weight) for b in ballots],
        quorum=proposal.quorum,
        threshold=proposal.threshold,
        eligible_power=proposal.eligible_power if eligible_power is None else eligible_power,
        options=proposal.options,
        seed=seed,
        preview=preview,
    )
