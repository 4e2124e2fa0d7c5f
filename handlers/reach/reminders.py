"""The reminder job: a proposal's places hear how long is left and what quorum needs,
and members who asked (`/remind on`) get a private nudge for ballots they have not cast.

Every reminder is claimed in `reminders_sent` (insert or nothing) before it is sent, so
a restart or another process sharing the database never sends it again. The job only
returns `Reply`s with `where` set; the core routes them to their platform. Nothing in
a reminder mentions anyone.
"""

from __future__ import annotations

import logging

from handlers.communities.identity import voter_of
from handlers.core.deps import Deps
from handlers.core.markup import bold, code
from handlers.core.types import Button, Reply, Where
from handlers.proposals.cards import vote_hint, when
from handlers.reach.policy import ReachPolicy
from handlers.reach.quorum import describe, standing
from handlers.voting import methods
from storage.records import ProposalRecord

log = logging.getLogger(__name__)


def policy_of(deps: Deps) -> ReachPolicy:
    return deps.reach


def left(seconds: float) -> str:
    """`23 h 59 min`, `59 min`: how long voting stays open."""
    minutes = max(0, int(seconds // 60))
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


def due_offset(policy: ReachPolicy, proposal: ProposalRecord, now: float) -> float | None:
    """The smallest offset whose moment has passed (earlier ones are folded into it)."""
    due = [
        offset
        for offset in policy.offsets_seconds
        if proposal.ends_at - offset <= now and proposal.ends_at - offset > proposal.created_at
    ]
    return min(due) if due else None


def vote_buttons(proposal: ProposalRecord) -> tuple[Button, ...]:
    if not methods.get(proposal.method).buttons:
        return ()
    return tuple(
        Button(choice, "vote", (str(proposal.id), str(index)))
        for index, choice in enumerate(proposal.choices)
    )


async def reminder_text(deps: Deps, proposal: ProposalRecord, now: float) -> str:
    ballots = await deps.storage.ballots.for_proposal(proposal.id)
    strategy = deps.strategies.parse(proposal.strategy)
    eligible = await strategy.eligible_power(proposal.community_id)
    lines = [
        f"⏰ {bold(f'#{proposal.number} {proposal.title}')} closes in "
        f"{left(proposal.ends_at - now)} ({when(proposal.ends_at)}).",
        *describe(proposal, standing(proposal, [b.weight for b in ballots], eligible)),
        f"Vote: {code(vote_hint(proposal))}",
    ]
    return "\n".join(lines)


async def public_reminders(deps: Deps, proposal: ProposalRecord, now: float) -> list[Reply]:
    """One reminder per card place for the offset that fell due; earlier ones are skipped."""
    offset = due_offset(deps.reach, proposal, now)
    if offset is None:
        return []
    claimed = await deps.storage.reminders.claim(
        f"before:{proposal.id}:{round(offset)}", proposal.id, at=now
    )
    for larger in (o for o in deps.reach.offsets_seconds if o > offset):
        # Fell due while the bot was down, or folded: never sent late after a nearer one.
        await deps.storage.reminders.claim(
            f"before:{proposal.id}:{round(larger)}", proposal.id, at=now
        )
    if not claimed:
        return []
    text = await reminder_text(deps, proposal, now)
    places = await deps.storage.cards.find("proposal", proposal.community_id, proposal.id)
    log.info("reminder proposal=%s offset=%s places=%s", proposal.id, offset, len(places))
    return [
        Reply(text, where=Where(platform, "", channel), meta={"reply_to_message": message})
        for platform, channel, message in places
    ]


async def private_reminders(deps: Deps, proposal: ProposalRecord, now: float) -> list[Reply]:
    """A direct message to each opted-in member who has not voted, once per proposal."""
    if not deps.reach.private_reminders:
        return []
    window = max(deps.reach.offsets_seconds, default=0.0)
    if proposal.ends_at - window > now:
        return []
    replies: list[Reply] = []
    for member in await deps.storage.reminders.opted_in(proposal.community_id):
        voter = await voter_of(deps, member)
        if await deps.storage.ballots.get(proposal.id, voter.id) is not None:
            continue
        if not await deps.storage.reminders.claim(
            f"dm:{proposal.id}:{member.id}", proposal.id, at=now
        ):
            continue
        text = await reminder_text(deps, proposal, now)
        replies.append(
            Reply(
                "You have not voted yet.\n" + text + "\n(/remind off stops these.)",
                # A press in a private chat acts on the platform's home community; with
                # no home configured it would be refused, so the text form stands alone.
                buttons=vote_buttons(proposal)
                if member.platform in deps.communities.home_spaces
                else (),
                where=Where(member.platform, "", member.user_id, is_private=True),
            )
        )
    return replies


async def send_due(deps: Deps) -> list[Reply]:
    """The scheduled job: every reminder that fell due and nobody sent yet."""
    now = deps.clock.now()
    window = max(deps.reach.offsets_seconds, default=0.0)
    replies: list[Reply] = []
    for proposal in await deps.storage.reminders.opening_soon(now, window):
        replies.extend(await public_reminders(deps, proposal, now))
        replies.extend(await private_reminders(deps, proposal, now))
    return replies
