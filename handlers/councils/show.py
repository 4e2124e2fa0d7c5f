"""The texts of `/council <name>` and `/councils`: read from the database every time."""

from __future__ import annotations

from handlers.core.deps import Deps
from handlers.core.markup import bold
from handlers.councils.elections import seats_text
from handlers.councils.motions import recall_threshold, veto_hours
from handlers.councils.terms import cohort_sizes, council_lead, next_regular
from handlers.proposals.cards import when
from handlers.voting.methods.approval import RULE_NAMES
from storage.repos.council_records import CouncilRecord, ElectionRecord

STATUS_WORDS = {"carried": "carried", "failed": "failed", "open": "open"}


def rules_line(council: CouncilRecord) -> str:
    if council.method == "stv":
        rule = "Meek STV" if council.options.get("stv_rule") == "meek" else "STV (Scottish rules)"
    else:
        rule = f"approval ({RULE_NAMES.get(council.options.get('rule', 'pav'), 'PAV')})"
    cohorts = f" in {council.cohorts} cohorts" if council.cohorts > 1 else ""
    return (
        f"{seats_text(council.seats)}{cohorts} · {council.term_days:g}-day terms · "
        f"elected by {rule} · electorate {council.electorate}"
    )


def powers_line(deps: Deps, council: CouncilRecord) -> str:
    parts = []
    if council.powers.get("council_votes", True):
        parts.append(f"council votes (weight=council:{council.name})")
    profiles = council.powers.get("veto_profiles") or []
    if profiles:
        parts.append(
            f"veto of passed {', '.join(profiles)} proposals within "
            f"{veto_hours(deps, council):g} h (two thirds of the seats)"
        )
    parts.append(f"recall by {recall_threshold(deps, council):.0%} of for/against")
    return "Powers: " + " · ".join(parts)


async def current_election(deps: Deps, council: CouncilRecord, election: ElectionRecord) -> str:
    if election.status == "nominating":
        standing = await deps.storage.councils.candidacies(election.id)
        names = ", ".join(c.name for c in standing) or "nobody yet"
        extended = " (extended)" if election.extended else ""
        return (
            f"Nominations open until {when(election.nomination_closes or 0)}{extended} for "
            f"{seats_text(election.seats)}: {len(standing)} standing ({names}). "
            f"/stand {council.name}"
        )
    proposal = await deps.storage.proposals.by_id(election.proposal_id or 0)
    if proposal is None:
        return "An election is being opened."
    number = proposal.number
    return f"Voting on #{number} until {when(proposal.ends_at)}: /proposal {number}"


async def council_text(deps: Deps, council: CouncilRecord) -> str:
    storage = deps.storage.councils
    now = deps.clock.now()
    seats = await storage.seats(council.id)
    elections = await storage.elections(council.id)
    ids = {s.member_id for s in seats}
    names = await deps.storage.members.names(ids)
    proposal_numbers: dict[int, int] = {}
    for pid in {e.proposal_id for e in elections if e.proposal_id} | {
        s.proposal_id for s in seats if s.proposal_id
    }:
        found = await deps.storage.proposals.by_id(pid)
        if found is not None:
            proposal_numbers[pid] = found.number

    def elected_by(proposal_id: int | None) -> str:
        if proposal_id is None:
            return "unopposed"
        return f"elected on #{proposal_numbers.get(proposal_id, '?')}"

    lines = [bold(f"Council {council.name}"), rules_line(council)]
    active = [s for s in seats if s.active(now)]
    lines.append(f"Members ({len(active)} of {council.seats} seats held):")
    for s in active:
        group = f"cohort {s.cohort} · " if council.cohorts > 1 else ""
        who = names.get(s.member_id, f"member {s.member_id}")
        lines.append(f"  {who} · {group}until {when(s.term_end)} · {elected_by(s.proposal_id)}")
    vacant = council.seats - len(active)
    if vacant:
        lines.append(f"  {seats_text(vacant)} vacant")
    waiting = [s for s in seats if s.ended_at is None and s.term_start > now]
    for s in waiting:
        who = names.get(s.member_id, f"member {s.member_id}")
        how = elected_by(s.proposal_id)
        lines.append(f"  elected, taking the seat on {when(s.term_start)}: {who} ({how})")
    running = [e for e in elections if e.status in ("nominating", "voting")]
    if running:
        lines.append(await current_election(deps, council, running[0]))
    else:
        upcoming = next_regular(council, elections)
        if upcoming is not None:
            cohort, start = upcoming
            size = cohort_sizes(council.seats, council.cohorts)[cohort - 1]
            which = f" of cohort {cohort}" if council.cohorts > 1 else ""
            lines.append(
                f"Next election: {seats_text(size)}{which} for the term from {when(start)}; "
                f"nominations open {when(max(now, start - council_lead(council)))}."
            )
        if any(e.status == "pending" for e in elections):
            lines.append("A by-election opens as soon as the current election is over.")
    bars = []
    if council.min_reputation:
        bars.append(f"reputation ≥ {council.min_reputation:g}")
    if council.require_wallet:
        bars.append("a linked wallet")
    if bars:
        lines.append("Candidates need: " + " · ".join(bars))
    lines.append(powers_line(deps, council))
    past = [e for e in elections if e.status in ("seated", "failed")]
    if past:
        lines.append("Past elections:")
        for e in past[-8:]:
            seated = [names.get(s.member_id, "?") for s in seats if s.election_id == e.id]
            what = {"first": "first election", "regular": "election", "by": "by-election"}[e.kind]
            link = (
                f"#{proposal_numbers[e.proposal_id]} (/proposal {proposal_numbers[e.proposal_id]})"
                if e.proposal_id in proposal_numbers
                else "unopposed"
            )
            if e.status == "failed":
                outcome = "no result"
            else:
                outcome = "elected " + (", ".join(seated) or "nobody")
            lines.append(f"  {when(e.finished_at or e.created_at)} {what} {link}: {outcome}")
    motions = await deps.storage.council_motions.motions(council.id)
    for m in motions[-5:]:
        own = await deps.storage.proposals.by_id(m.proposal_id)
        number = f"#{own.number}" if own is not None else "?"
        if m.kind == "veto":
            subject = await deps.storage.proposals.by_id(m.subject_proposal_id or 0)
            target = f"#{subject.number}" if subject is not None else "?"
            verdict = {"open": "voting", "carried": "vetoed", "failed": "not vetoed"}[m.status]
            lines.append(f"Veto of {target} on {number}: {verdict}")
        else:
            seat = next((s for s in seats if s.id == m.seat_id), None)
            who = names.get(seat.member_id, "?") if seat is not None else "?"
            verdict = {"open": "voting", "carried": "recalled", "failed": "kept the seat"}[m.status]
            lines.append(f"Recall of {who} on {number}: {verdict}")
    return "\n".join(lines)


async def councils_text(deps: Deps, community_id: int) -> str:
    found = await deps.storage.councils.in_community(community_id)
    if not found:
        return (
            "No councils yet. Admins create one with "
            "/council create <name> seats=N term=<days> method=stv."
        )
    now = deps.clock.now()
    lines = ["Councils:"]
    for council in found:
        held = len(await deps.storage.councils.active_seats(council.id, now))
        rules = rules_line(council)
        lines.append(f"  {council.name} · {held}/{council.seats} seats held · {rules}")
    lines.append("See one with /council <name>.")
    return "\n".join(lines)
