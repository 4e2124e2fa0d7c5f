"""What a community's public page shows, as plain data (the web layer renders it).

The rules live here, next to the log's: a hidden-tally proposal shows no tally and no
ballots until it closes; where the community keeps ballots private only receipts are
listed; members appear by display name only (never a platform account id); nothing
that is secret (nonces, signatures, message text) is read at all. Every string is
passed on raw: the templates escape everything.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Any

from handlers.arena.fair import fit_board
from handlers.audit.policy import ballots_private
from handlers.core.deps import Deps
from handlers.core.errors import BadBallot
from handlers.proposals.cards import OUTCOME_TEXT, when
from handlers.proposals.counting import tally_proposal
from handlers.voting.ballots import decode_selection, format_selection
from storage.records import CommunityRecord, ProposalRecord

TOP_N = 10
LISTED = 50  # proposals per status on the community page
BALLOTS_SHOWN = 1000  # on a proposal's page; every ballot is in the log and the export


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: float
    share: float  # 0..1 of the total
    winner: bool = False


@dataclass(frozen=True, slots=True)
class ProposalView:
    number: int
    title: str
    body: str
    status: str
    method: str
    rules: str
    ends: str
    closed: str | None
    hidden_open: bool  # tally and ballots sealed until it closes
    bars: list[Bar]
    verdict: str | None
    turnout: str | None
    rounds: list[str]
    result_hash: str | None
    ballot_count: int
    ballots: list[dict[str, Any]] = field(default_factory=list)
    names_shown: bool = True


@dataclass(frozen=True, slots=True)
class Standing:
    rank: int | None  # None: not enough battles yet to be ranked
    model: str
    rating: float
    lower: float
    upper: float
    battles: int
    win_rate: float


@dataclass(frozen=True, slots=True)
class CommunityView:
    id: int
    name: str
    open: list[ProposalView]
    closed: list[ProposalView]
    cancelled: list[ProposalView]
    arena: list[Standing]
    reputation: list[dict[str, Any]]
    reputation_as_of: str | None
    head_index: int
    head_hash: str


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _bars(choices: tuple[str, ...], totals: list[float], winner: int | None) -> list[Bar]:
    grand = sum(totals) or 1.0
    return [
        Bar(choice, total, total / grand, index == winner)
        for index, (choice, total) in enumerate(zip(choices, totals, strict=True))
    ]


def _rules(proposal: ProposalRecord) -> str:
    parts = [f"method {proposal.method}", f"weight {proposal.strategy}"]
    if proposal.quorum:
        parts.append(f"quorum {proposal.quorum}")
    if proposal.threshold:
        parts.append(f"threshold {proposal.threshold:.0%}")
    if proposal.hidden:
        parts.append("tally hidden until close")
    return " · ".join(parts)


async def proposal_view(
    deps: Deps, community: CommunityRecord, proposal: ProposalRecord, *, with_ballots: bool
) -> ProposalView:
    """One proposal as the page shows it (with its ballots on the proposal's own page)."""
    count = await deps.storage.public.ballot_count(proposal.id)
    hidden_open = proposal.hidden and proposal.status == "open"
    bars: list[Bar] = []
    verdict = turnout = None
    rounds: list[str] = []
    if proposal.status == "closed" and proposal.result is not None:
        result = proposal.result
        outcome = result.get("outcome", "no_votes")
        winner = result.get("winner")
        verdict = OUTCOME_TEXT.get(outcome, outcome)
        if outcome == "passed" and winner is not None:
            verdict = f'passed: "{proposal.choices[winner]}" wins'
        totals = [float(t) for t in result.get("totals", [0.0] * len(proposal.choices))]
        bars = _bars(proposal.choices, totals, winner if outcome == "passed" else None)
        voters = result.get("voters", 0)
        turnout = f"{voters} voter{'s' if voters != 1 else ''}, weight "
        turnout += _fmt(result.get("total_power", 0.0))
        if result.get("turnout") is not None and result.get("eligible_power"):
            turnout += f" of {_fmt(result['eligible_power'])} eligible ({result['turnout']:.0%})"
        if proposal.quorum:
            turnout += f" · quorum {proposal.quorum} "
            turnout += "met" if result.get("quorum_met") else "not met"
        eliminated = result.get("eliminated") or []
        for number, counts in enumerate(result.get("rounds") or [], 1):
            shown = ", ".join(
                f"{proposal.choices[i]} {_fmt(c)}"
                for i, c in enumerate(counts)
                if c or i not in eliminated[: number - 1]
            )
            rounds.append(f"Round {number}: {shown}")
    elif proposal.status == "open" and not hidden_open:
        running = tally_proposal(proposal, await deps.storage.ballots.for_proposal(proposal.id))
        bars = _bars(proposal.choices, [float(t) for t in running.totals], None)
    names_shown = not ballots_private(deps.audit.public, community.settings)
    ballots: list[dict[str, Any]] = []
    if with_ballots and not hidden_open:
        for ballot in await deps.storage.public.ballots(proposal.id, limit=BALLOTS_SHOWN):
            try:
                selection = decode_selection(proposal.method, ballot.selection)
                choice = format_selection(proposal.method, proposal.choices, selection)
            except (BadBallot, ValueError):
                choice = "?"
            ballots.append(
                {
                    "voter": ballot.display_name if names_shown else None,
                    "receipt": ballot.receipt,
                    "choice": choice,
                    "weight": _fmt(ballot.weight),
                    "cast": when(ballot.cast_at),
                    "signed": ballot.signed,
                }
            )
    return ProposalView(
        number=proposal.number,
        title=proposal.title,
        body=proposal.body,
        status=proposal.status,
        method=proposal.method,
        rules=_rules(proposal),
        ends=when(proposal.ends_at),
        closed=when(proposal.closed_at) if proposal.closed_at else None,
        hidden_open=hidden_open,
        bars=bars,
        verdict=verdict,
        turnout=turnout,
        rounds=rounds,
        result_hash=proposal.result_hash,
        ballot_count=count,
        ballots=ballots,
        names_shown=names_shown,
    )


# Per database (so two databases in one process never share an entry), per community.
_boards: weakref.WeakKeyDictionary[Any, dict[int, tuple[tuple[int, str], list[Standing]]]] = (
    weakref.WeakKeyDictionary()
)


async def _arena(deps: Deps, community_id: int, head: tuple[int, str]) -> list[Standing]:
    """The leaderboard, recomputed only when the log moved (the bootstrap costs CPU)."""
    boards = _boards.setdefault(deps.storage.db, {})
    cached = boards.get(community_id)
    if cached is not None and cached[0] == head:
        return cached[1]
    # the same board as /leaderboard: hygiene, rater weights and style control applied
    fair = fit_board(await deps.storage.arena.rated(community_id), deps.arena.policy)
    board = [
        Standing(s.rank, s.model, s.rating, s.lower, s.upper, s.battles, s.win_rate)
        for s in fair.standings
    ]
    boards[community_id] = (head, board)
    return board


async def community_view(deps: Deps, community: CommunityRecord) -> CommunityView:
    storage = deps.storage
    head = await storage.audit.tip()
    groups: dict[str, list[ProposalView]] = {}
    for status in ("open", "closed", "cancelled"):
        records = await storage.public.proposals(community.id, status=status, limit=LISTED)
        groups[status] = [
            await proposal_view(deps, community, p, with_ballots=False) for p in records
        ]
    snapshot = await storage.reputation.latest(community.id)
    reputation: list[dict[str, Any]] = []
    if snapshot is not None:
        rows = [r for r in await storage.reputation.top(snapshot.id, TOP_N) if r.score > 0]
        names = await storage.public.names({r.member_id for r in rows})
        top = max((r.score for r in rows), default=1.0) or 1.0
        reputation = [
            {
                "rank": r.rank,
                "name": names.get(r.member_id, "?"),
                "score": f"{r.score:.1f}",
                "share": r.score / top,
            }
            for r in rows
        ]
    return CommunityView(
        id=community.id,
        name=community.name,
        open=groups["open"],
        closed=groups["closed"],
        cancelled=groups["cancelled"],
        arena=await _arena(deps, community.id, head),
        reputation=reputation,
        reputation_as_of=when(snapshot.computed_at) if snapshot else None,
        head_index=head[0],
        head_hash=head[1],
    )
