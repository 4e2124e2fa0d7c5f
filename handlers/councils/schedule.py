"""The council job: moves every council along its calendar, then posts its notices.

Each run, per council: terms that ran out end (at their term end); nominations past
their closing time close (extend / vote / seat unopposed); election proposals that
closed while the listener was not there (a crash) are seated; vetoes and recalls whose
proposal was cancelled are decided; and when no election of the council is under way,
the next one opens — a regular election `lead` before the next cohort's term ends,
else a scheduled by-election, else (after a first election that failed) a new first
election. Every step is a conditional update, so it happens once even when several
processes run this job on one database.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable

from handlers.core.deps import Deps
from handlers.core.events import CouncilSeatsChanged
from handlers.core.types import Reply
from handlers.councils.announce import post_notices
from handlers.councils.elections import (
    close_nominations,
    first_election,
    next_election,
    nomination_notice,
    seat_from_result,
)
from handlers.councils.motions import (
    by_election_text,
    catch_up_vetoes,
    decide_recall,
    decide_veto,
)
from handlers.councils.terms import HOUR, council_lead, next_regular
from handlers.proposals.cards import when
from storage.repos.council_records import CouncilRecord, ElectionRecord, Notice, SeatRecord

log = logging.getLogger(__name__)


async def run_councils(deps: Deps) -> list[Reply]:
    """One run: every council's due steps, undecided motions, then the notices.

    Councils, elections and open seats are read once for all councils, so a run with
    nothing due costs three queries (plus one per election being voted on), however
    many councils there are; a council with something due re-reads its own rows."""
    now = deps.clock.now()
    storage = deps.storage.councils
    elections: dict[int, list[ElectionRecord]] = defaultdict(list)
    for election in await storage.all_elections():
        elections[election.council_id].append(election)
    seats: dict[int, list[SeatRecord]] = defaultdict(list)
    for seat in await storage.open_seats():
        seats[seat.council_id].append(seat)
    said: list[Reply] = []  # what listeners answer to seats changing (roles that follow)
    for council in await storage.every():
        try:
            said.extend(await advance(deps, council, elections[council.id], seats[council.id], now))
        except Exception:  # one council's trouble must not stall the others
            log.exception("council job failed council=%s", council.id)
    await settle_motions(deps, now)
    await catch_up_vetoes(deps, now)
    return said + await post_notices(deps)


async def advance(
    deps: Deps,
    council: CouncilRecord,
    elections: list[ElectionRecord],
    open_seats: list[SeatRecord],
    now: float,
) -> list[Reply]:
    storage = deps.storage.councils
    due = [s for s in open_seats if s.term_end <= now]
    said = await end_terms(deps, council, due, now) if due else []
    changed = False
    for election in elections:
        if election.status == "nominating" and (election.nomination_closes or 0) <= now:
            await close_nominations(deps, council, election, now)
            changed = True
        elif election.status == "voting" and election.proposal_id is not None:
            proposal = await deps.storage.proposals.by_id(election.proposal_id)
            if proposal is not None and proposal.status == "closed":
                await seat_from_result(deps, council, election, proposal, now)
                changed = True
            elif proposal is not None and proposal.status == "cancelled":
                text = (
                    f"The election #{proposal.number} for council {council.name} was "
                    "cancelled; its nominations open again."
                )
                await storage.fail_election(
                    election.id, "cancelled", [Notice("text", text)], at=now
                )
                changed = True
    if changed:
        elections = await storage.elections(council.id)
    await open_next(deps, council, elections, now)
    return said


async def end_terms(
    deps: Deps, council: CouncilRecord, due: list[SeatRecord], now: float
) -> list[Reply]:
    """End the terms that ran out; tell the listeners the seats changed, as seating and
    recall do, so what follows a seat (a `council:<name>` role) moves now."""
    known = await deps.storage.members.names({s.member_id for s in due})

    def notices(ended: list[SeatRecord]) -> list[Notice]:
        who = ", ".join(known.get(s.member_id, f"member {s.member_id}") for s in ended)
        return [Notice("text", f"Council {council.name}: the term of {who} has ended.")]

    ended = await deps.storage.councils.end_terms(council.id, now, notices)
    if not ended:
        return []
    return await deps.events.publish(deps, CouncilSeatsChanged(council.community_id, council.id))


async def open_next(
    deps: Deps, council: CouncilRecord, elections: list[ElectionRecord], now: float
) -> None:
    """Open the next election if none of this council's is under way."""
    if any(e.status in ("nominating", "voting") for e in elections):
        return
    storage = deps.storage.councils
    first_done = any(e.kind == "first" and e.status == "seated" for e in elections)
    if not first_done:  # the first election failed (its vote was cancelled): again
        new = first_election(council.seats, council.nomination_hours, now=now)
        await storage.open_election(council.id, new, announce_nomination(council), at=now)
        return
    upcoming = next_regular(council, elections)
    if upcoming is not None:
        cohort, start = upcoming
        if now >= start - council_lead(council):
            new = next_election(council, cohort, start, now=now)
            await storage.open_election(council.id, new, announce_nomination(council), at=now)
            return
    for pending in (e for e in elections if e.status == "pending"):
        if (pending.term_end or 0) - now <= council_lead(council):
            text = (
                f"Council {council.name}: too little of the term is left for the "
                f"by-election; the seat stays vacant until {when(pending.term_end or now)}."
            )
            await storage.fail_election(pending.id, "too late", [Notice("text", text)], at=now)
            continue
        closes = now + council.nomination_hours * HOUR

        def opened(started: ElectionRecord) -> list[Notice]:
            return [Notice("text", by_election_text(council, started))]

        await storage.start_pending(pending.id, closes, opened, at=now)
        return


def announce_nomination(council: CouncilRecord) -> Callable[[ElectionRecord], list[Notice]]:
    def notices(election: ElectionRecord) -> list[Notice]:
        return [Notice("text", nomination_notice(council, election))]

    return notices


async def settle_motions(deps: Deps, now: float) -> None:
    """Motions whose proposal closed or was cancelled without the listener deciding them."""
    for motion in await deps.storage.council_motions.motions(status="open"):
        proposal = await deps.storage.proposals.by_id(motion.proposal_id)
        if proposal is None or proposal.status == "open":
            continue
        if motion.kind == "veto":
            await decide_veto(deps, motion, proposal, now)
        else:
            await decide_recall(deps, motion, proposal, now)
