"""How a dispute reads in the chat: its card, its timeline, the list, a juror's notice.

Votes are never shown before the round's deadline: the card counts answers, not how
they went; the ruling then reveals them (the audit log carries commitments until then).
"""

from __future__ import annotations

from typing import Any

from handlers.core.deps import Deps
from handlers.core.markup import bold
from handlers.core.types import Button, CardKey, Reply, Where
from handlers.proposals.cards import when
from storage.records import AuditEntry
from storage.repos.disputes import CLOSED, OPEN, RULED, DisputeRecord, JurorRecord

KIND = "dispute"
CHOICES = ("uphold", "reject", "recuse")


def card_key(dispute: DisputeRecord) -> CardKey:
    return CardKey(KIND, dispute.community_id, dispute.id)


def home_of(dispute: DisputeRecord) -> Where:
    h = dispute.home
    return Where(h.platform, h.space_id, h.channel_id, h.thread_id)


def decider_text(dispute: DisputeRecord) -> str:
    if dispute.decider == "council":
        return "its council's vote"
    return f"a jury of {dispute.jury_size} drawn by reputation"


def effects_text(deps: Deps, dispute: DisputeRecord) -> str:
    """What the final ruling did, in words."""
    if dispute.outcome != "upheld":
        lost = f" The bond of {dispute.bond:g} reputation is forfeited." if dispute.bond else ""
        return f"Rejected: the target stands.{lost}"
    done = dispute.effects
    ref = f"dispute {dispute.ref}"
    back = f" The bond of {dispute.bond:g} is returned." if dispute.bond else ""
    return _upheld(dispute, done, ref) + back


def _upheld(dispute: DisputeRecord, done: dict[str, Any], ref: str) -> str:
    if dispute.kind == "credit":
        n = len(done.get("voided", []))
        return f"Upheld: {n} credit{'s' if n != 1 else ''} voided by {ref}; reputation recomputed."
    if dispute.kind == "result":
        text = f"Upheld: the result is annulled by {ref}."
        if done.get("revote_number"):
            text += f" Re-vote: #{done['revote_number']} (same choices)."
        return text
    if dispute.kind == "battle":
        return f"Upheld: the battle's ratings are off the leaderboard ({ref})."
    if dispute.kind == "epoch":
        if done.get("amended"):
            return (
                f"Upheld: the epoch's allocation is amended by {ref}, recomputed without "
                "the voided credits (same total). See /payouts."
            )
        return f"Upheld, but the epoch could not be amended: {done.get('why', 'it changed')}."
    return f"Upheld: {ref} applies."


def status_text(deps: Deps, dispute: DisputeRecord, jurors: list[JurorRecord]) -> str:
    current = [j for j in jurors if j.round == dispute.round]
    if dispute.status == OPEN:
        if dispute.decider == "council":
            return "Open: the council votes on it."
        answered = sum(1 for j in current if j.status == "voted")
        waiting = sum(1 for j in current if j.status == "asked")
        return (
            f"Open (round {dispute.round}): {answered} vote{'s' if answered != 1 else ''} in, "
            f"{waiting} juror{'s' if waiting != 1 else ''} still to answer; votes stay hidden "
            f"until {when(dispute.deadline)}."
        )
    tally = votes_line(current)
    if dispute.status == RULED:
        return (
            f"Ruled {dispute.outcome} ({tally}); either party may /appeal {dispute.ref} until "
            f"{when(dispute.appeal_until or 0)}, then it applies itself."
        )
    final = " (final, after appeal)" if dispute.round == 2 else ""
    return f"Final{final} ({tally}). {effects_text(deps, dispute)}"


def votes_line(jurors: list[JurorRecord]) -> str:
    up = sum(1 for j in jurors if j.vote == "uphold")
    down = sum(1 for j in jurors if j.vote == "reject")
    return f"{up} uphold, {down} reject"


async def card_text(deps: Deps, dispute: DisputeRecord) -> str:
    names = await deps.storage.members.names({dispute.disputer_id})
    jurors = await deps.storage.disputes.jurors(dispute.id)
    bond = f" · bond {dispute.bond:g}" if dispute.bond else ""
    lines = [
        f"{bold(f'Dispute {dispute.ref}')} · {dispute.label}",
        f"Opened by {names.get(dispute.disputer_id, '?')}: “{dispute.reason}”{bond}",
        f"Decided by {decider_text(dispute)}. {status_text(deps, dispute, jurors)}",
        f"/dispute {dispute.ref} shows its timeline.",
    ]
    return "\n".join(lines)


async def card(deps: Deps, dispute: DisputeRecord) -> Reply:
    return Reply(
        await card_text(deps, dispute),
        card=card_key(dispute),
        title=f"Dispute {dispute.ref}",
        thread_title=f"Dispute {dispute.ref}: {dispute.label}"[:100],
    )


async def render_card(deps: Deps, key: CardKey) -> Reply | None:
    dispute = await deps.storage.disputes.get(key.subject_id)
    if dispute is None:
        return None
    return Reply(await card_text(deps, dispute), card=key)


def _event_line(entry: AuditEntry, names: dict[int, str]) -> str:
    p = entry.payload
    at = when(entry.at)
    kind = entry.kind.removeprefix("dispute.")
    if kind == "opened":
        who = names.get(int(p["disputer"]), "?")
        drawn = len(p.get("jurors", []))
        jury = f"{drawn} jurors drawn (seed {str(p['seed'])[:12]}…)" if drawn else "sent to council"
        return f"{at} opened by {who}; {jury}"
    if kind == "vote":
        return f"{at} a juror voted (hidden)"
    if kind == "recused":
        return f"{at} a juror recused"
    if kind == "lapsed":
        return f"{at} a juror did not answer in time"
    if kind == "juror_added":
        return f"{at} a replacement juror was drawn (place {int(p['position']) + 1})"
    if kind == "extended":
        return f"{at} deadline moved to {when(float(p['deadline']))}"
    if kind == "ruled":
        counts = f"{p.get('uphold', 0)}–{p.get('reject', 0)}"
        return f"{at} round {p['round']} ruled {p['outcome']} ({counts})"
    if kind == "appealed":
        return f"{at} appealed by {names.get(int(p['by']), '?')}: {len(p['jurors'])} new jurors"
    if kind == "bond":
        return f"{at} the disputer staked a bond of {float(p['bond']):g} reputation"
    if kind == "closed":
        return f"{at} final: {p['outcome']}"
    if kind == "council_vote":
        return f"{at} the council votes on proposal id {p['proposal']}"
    return f"{at} {kind}"


async def timeline_text(deps: Deps, dispute: DisputeRecord) -> str:
    entries = await deps.storage.disputes.entries(dispute.id)
    ids = {int(e.payload[k]) for e in entries for k in ("disputer", "by") if k in e.payload}
    names = await deps.storage.members.names(ids)
    body = await card_text(deps, dispute)
    lines = [body.rsplit("\n", 1)[0], "Timeline:"]
    lines += [f"· {_event_line(e, names)}" for e in entries]
    return "\n".join(lines)


async def list_text(deps: Deps, community_id: int) -> str:
    found = await deps.storage.disputes.in_community(community_id)
    if not found:
        return "No disputes here. /dispute <target> <reason> opens one."
    lines = ["Disputes (open first, then the most recent):"]
    for d in found:
        if d.status == OPEN:
            state = f"open until {when(d.deadline)}"
        elif d.status == RULED:
            state = f"ruled {d.outcome}, appeal until {when(d.appeal_until or 0)}"
        else:
            state = f"{d.outcome}" + (" on appeal" if d.round == 2 else "")
        lines.append(f"{d.ref} · {d.label} · {state}")
    return "\n".join(lines)


def juror_buttons(dispute: DisputeRecord) -> tuple[Button, ...]:
    return tuple(
        Button(choice.capitalize(), "dispute_vote", (str(dispute.id), choice)) for choice in CHOICES
    )


async def juror_notices(deps: Deps, dispute: DisputeRecord, members: list[int]) -> list[Reply]:
    """The private notice each newly asked juror gets, on the platform of their account."""
    replies: list[Reply] = []
    for member_id in members:
        member = await deps.storage.members.get(member_id)
        if member is None:
            continue
        appeal = " This is the appeal round: its ruling is final." if dispute.round == 2 else ""
        text = (
            f"{member.display_name}, you are drawn as a juror for dispute {dispute.ref}: "
            f"{dispute.label}.\n"
            f"The disputer says: “{dispute.reason}”\n"
            f"Uphold overturns it, Reject lets it stand, Recuse if you cannot judge it fairly. "
            f"Vote by {when(dispute.deadline)}; votes stay hidden until then.{appeal}\n"
            f"(Or type /juror {dispute.ref} uphold|reject|recuse.)"
        )
        replies.append(
            Reply(
                text,
                buttons=juror_buttons(dispute),
                where=Where(member.platform, "", member.user_id, is_private=True),
                meta={"juror": member_id, "dispute": dispute.id},
            )
        )
    return replies


STATUSES = (OPEN, RULED, CLOSED)
