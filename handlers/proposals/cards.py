"""The texts of proposal cards: the live status card and the result card.

Cards are rendered from the database every time (never patched), so every platform's
copy of a card shows the same tally, and a refreshed card is always the truth.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from handlers.audit.policy import proposal_url
from handlers.core.deps import Deps
from handlers.core.events import ResultStatus
from handlers.core.markup import bold, code
from handlers.core.types import Button, CardKey, Reply
from handlers.proposals.charts import bar_chart
from handlers.proposals.counting import tally_proposal
from handlers.voting import methods
from storage.records import ProposalRecord

OUTCOME_TEXT = {
    "passed": "passed",
    "no_votes": "no votes were cast",
    "no_quorum": "failed: no quorum",
    "failed_threshold": "failed: the winner did not reach the threshold",
    "tie": "tied: no winner",
    "rejected": "rejected: for did not outweigh against",
}


def when(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M UTC")


def card_key(proposal: ProposalRecord) -> CardKey:
    return CardKey("proposal", proposal.community_id, proposal.id)


def refresh(proposal: ProposalRecord) -> Reply:
    """Ask adapters to re-render this proposal's live card (they coalesce bursts)."""
    return Reply("", card=card_key(proposal), edit=True)


def vote_hint(proposal: ProposalRecord) -> str:
    """An example ballot written with this proposal's own choices."""
    return methods.get(proposal.method).hint(proposal.number, proposal.choices)


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _rules_line(proposal: ProposalRecord) -> str:
    parts = [f"method {proposal.method}", f"weight {proposal.strategy}"]
    described = methods.get(proposal.method).describe(proposal.options)
    if described:
        parts.insert(1, described)
    if proposal.quorum:
        parts.append(f"quorum {proposal.quorum}")
    if proposal.threshold:
        parts.append(f"threshold {proposal.threshold:.0%}")
    if proposal.profile:
        parts.append(f"profile {proposal.profile}")
    if proposal.hidden:
        parts.append("tally hidden until close")
    return " · ".join(parts)


def _totals_lines(
    choices: tuple[str, ...], totals: list[float], winner: int | set[int] | None
) -> list[str]:
    grand = sum(totals) or 1.0
    lines = []
    marked = winner if isinstance(winner, set) else {winner}
    for index, (choice, total) in enumerate(zip(choices, totals, strict=True)):
        mark = "✔ " if index in marked else ""
        lines.append(f"  {mark}{choice}: {_fmt(total)} ({total / grand:.0%})")
    return lines


def header(proposal: ProposalRecord) -> str:
    return bold(f"#{proposal.number} {proposal.title}")


async def page_line(deps: Deps, proposal: ProposalRecord) -> list[str]:
    """A link to the proposal's public page, when web.public_url is set and it is served."""
    community = await deps.storage.communities.get(proposal.community_id)
    url = proposal_url(
        deps.audit.public, proposal.community_id, proposal.number, community.settings
    )
    return [] if url is None else [f"Page: {url}"]


async def proposal_card(deps: Deps, proposal: ProposalRecord) -> Reply:
    """The live card: choices, rules, end time, the running tally unless hidden, buttons."""
    if proposal.status == "closed":  # the card itself becomes the result, chart-less
        closed = await result_card(deps, proposal, chart=False)
        return Reply(closed.text, card=card_key(proposal), title=closed.title)
    lines = [f"{header(proposal)} · {proposal.status}"]
    if proposal.body:
        lines.append(proposal.body)
    voting = methods.get(proposal.method)
    labels = [voting.choice_label(c, i, proposal.options) for i, c in enumerate(proposal.choices)]
    lines.append("Choices: " + "  ".join(f"{i}. {c}" for i, c in enumerate(labels, 1)))
    lines.append(_rules_line(proposal))
    if proposal.status == "cancelled":
        lines.append(f"Cancelled at {when(proposal.closed_at or proposal.created_at)}.")
        lines.extend(await page_line(deps, proposal))
        return Reply("\n".join(lines), title=proposal.title)
    lines.append(f"Voting ends {when(proposal.ends_at)}.")
    ballots = await deps.storage.ballots.for_proposal(proposal.id)
    if proposal.hidden:
        lines.append(f"Ballots so far: {len(ballots)} (tally hidden until close).")
    else:
        result = tally_proposal(proposal, ballots, preview=True)
        lines.append(f"Tally ({len(ballots)} ballot{'s' if len(ballots) != 1 else ''}):")
        lines.extend(_totals_lines(proposal.choices, list(result.totals), None))
    lines.append(f"Vote: {code(vote_hint(proposal))}")
    lines.extend(await page_line(deps, proposal))
    buttons: tuple[Button, ...] = ()
    if methods.get(proposal.method).buttons:
        buttons = tuple(
            Button(choice, "vote", (str(proposal.id), str(index)))
            for index, choice in enumerate(proposal.choices)
        )
    return Reply("\n".join(lines), buttons=buttons, card=card_key(proposal), title=proposal.title)


async def result_card(deps: Deps, proposal: ProposalRecord, *, chart: bool = True) -> Reply:
    """The verified result: outcome, totals, turnout, IRV rounds, audit hash, chart."""
    result: dict[str, Any] = proposal.result or {}
    outcome = result.get("outcome", "no_votes")
    winner = result.get("winner")
    totals = [float(t) for t in result.get("totals", [0.0] * len(proposal.choices))]
    lines = [f"{header(proposal)} · closed"]
    verdict = OUTCOME_TEXT.get(outcome, outcome)
    voting = methods.get(proposal.method)
    winners = [int(i) for i in result.get("winners", [])]
    if outcome == "passed" and "winners" in result and voting.name == "budget":
        verdict = "funded: " + (", ".join(proposal.choices[i] for i in winners) or "nothing")
    elif outcome == "passed" and "winners" in result and len(winners) > 1:
        verdict = "elected: " + ", ".join(proposal.choices[i] for i in winners)
    elif outcome == "passed" and winner is not None:
        verdict = f'passed: "{proposal.choices[winner]}" wins'
    notes = await deps.events.publish(deps, ResultStatus(proposal))  # e.g. a veto window
    lines.append(f"Result: {bold(verdict)}" + "".join(f" · {n.text}" for n in notes if n.text))
    marked: set[int] = set(winners) if winners else ({winner} if winner is not None else set())
    lines.extend(_totals_lines(proposal.choices, totals, marked))
    voters = result.get("voters", 0)
    turnout = result.get("turnout")
    power = result.get("total_power", 0.0)
    turnout_text = f"Turnout: {voters} voter{'s' if voters != 1 else ''}, weight {_fmt(power)}"
    if turnout is not None and result.get("eligible_power"):
        turnout_text += f" of {_fmt(result['eligible_power'])} eligible ({turnout:.0%})"
    if proposal.quorum:
        turnout_text += (
            f" · quorum {proposal.quorum} {'met' if result.get('quorum_met') else 'not met'}"
        )
    lines.append(turnout_text)
    rounds = result.get("rounds") or []
    eliminated = result.get("eliminated") or []
    for number, counts in enumerate(rounds, 1):
        shown = ", ".join(
            f"{proposal.choices[i]} {_fmt(c)}"
            for i, c in enumerate(counts)
            if c or i not in eliminated[: number - 1]
        )
        out = (
            f" ({proposal.choices[eliminated[number - 1]]} out)"
            if number <= len(eliminated)
            else ""
        )
        lines.append(f"  Round {number}: {shown}{out}")
    lines.extend(voting.explain(proposal.choices, result, proposal.options))
    lines.append(f"Audit hash: {code(proposal.result_hash or '')}")
    lines.extend(await page_line(deps, proposal))
    if not chart:
        return Reply("\n".join(lines), title=proposal.title)
    path = deps.charts_dir / f"proposal-{proposal.community_id}-{proposal.number}.png"
    image = bar_chart(
        path,
        f"#{proposal.number} {proposal.title}",
        proposal.choices,
        totals,
        highlight=marked if outcome == "passed" else None,
    )
    return Reply("\n".join(lines), image=str(image), title=proposal.title)
