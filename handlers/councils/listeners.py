"""What councils do when a proposal closes, and what they add to a result card.

`ProposalClosed` is published by the process that closed the proposal, once: an
election proposal seats its winners, a veto or recall vote is decided, and a passed
proposal of a vetoable profile opens each such council's veto vote. A listener cannot
answer in the chat (the closing path does not route listener replies), so these write
notices the council job posts; if a listener fails, the job catches up on its next run.
"""

from __future__ import annotations

from handlers.core.deps import Deps
from handlers.core.events import ProposalClosed, ResultStatus
from handlers.core.types import Reply
from handlers.councils.elections import seat_from_result
from handlers.councils.motions import decide_recall, decide_veto, open_vetoes, veto_votes
from handlers.proposals.cards import when


async def on_proposal_closed(deps: Deps, event: ProposalClosed) -> None:
    proposal = event.proposal
    now = deps.clock.now()
    storage = deps.storage.councils
    election = await storage.election_by_proposal(proposal.id)
    if election is not None:
        council = await storage.get(election.council_id)
        if council is not None:
            await seat_from_result(deps, council, election, proposal, now)
        return
    motion = await deps.storage.council_motions.motion_by_proposal(proposal.id)
    if motion is not None:
        if motion.kind == "veto":
            await decide_veto(deps, motion, proposal, now)
        else:
            await decide_recall(deps, motion, proposal, now)
        return
    await open_vetoes(deps, proposal, now)


async def on_result_status(deps: Deps, event: ResultStatus) -> list[Reply] | None:
    """ "subject to veto by council X until …", then "final" or "vetoed"; and on a veto
    vote's own card, what the council decided."""
    proposal = event.proposal
    storage = deps.storage.councils
    notes: list[str] = []
    motions = deps.storage.council_motions
    for motion in await motions.vetoes_of(proposal.id):
        council = await storage.get(motion.council_id)
        veto = await deps.storage.proposals.by_id(motion.proposal_id)
        if council is None or veto is None:
            continue
        if motion.status == "open":
            notes.append(
                f"subject to veto by council {council.name} until {when(veto.ends_at)} "
                f"(#{veto.number})"
            )
        elif motion.status == "carried":
            notes.append(f"vetoed by council {council.name} (#{veto.number})")
        else:
            notes.append(f"final: council {council.name} did not veto it (#{veto.number})")
    own = await motions.motion_by_proposal(proposal.id)
    if own is not None and own.kind == "veto" and own.status != "open":
        votes, needed = veto_votes(proposal), float(own.needed or 0)
        decided = "veto carried" if own.status == "carried" else "no veto"
        notes.append(f"council decision: {decided} ({votes:g} for, {needed:g} needed)")
    return [Reply(note) for note in notes] or None
