"""/dispute, /disputes, /appeal, /juror and the juror buttons (Uphold · Reject · Recuse)."""

from __future__ import annotations

from typing import Any

from handlers.communities.fanout import copies_elsewhere
from handlers.core.context import Context
from handlers.core.deps import Deps
from handlers.core.errors import BadArguments, NotAllowed, NotFound, VotingClosed, WrongPlace
from handlers.core.registry import Param, Registry
from handlers.core.types import Reply
from handlers.disputes.council import council_vote, deciding_council
from handlers.disputes.draw import draw_order, vote_commitment
from handlers.disputes.show import (
    CHOICES,
    card,
    card_key,
    juror_notices,
    list_text,
    timeline_text,
)
from handlers.disputes.targets import DISPUTE_ID, USAGE, parse, persons, resolve
from handlers.proposals.cards import proposal_card, when
from storage.records import CommunityRecord
from storage.repos.disputes import DisputeRecord, NewDispute, Place

APPEAL_USAGE = "/appeal d<n> <reason>"
JUROR_USAGE = "/juror d<n> uphold|reject|recuse"
MAX_REASON = 500
HOUR = 3600.0

COMMANDS = Registry()


async def candidates(deps: Deps, community: CommunityRecord) -> dict[int, float]:
    """Members who may be drawn, with their reputation now (the draw's weights)."""
    service = deps.reputation.service
    if service is None:
        return {}
    snapshot = await service.current(community.id, service.policy_for(community), force_fresh=True)
    if snapshot is None:
        return {}
    floor = deps.disputes.min_juror_reputation
    rows = await deps.storage.reputation.top(snapshot.id, 1_000_000)
    return {r.member_id: r.score for r in rows if r.score > 0 and r.score >= floor}


def few_jurors(deps: Deps, eligible: int, needed: int, usage: str) -> NotAllowed:
    floor = deps.disputes.min_juror_reputation
    return NotAllowed(
        f"Not enough members can sit on the jury: {eligible} outside the parties have "
        f"reputation{f' ≥ {floor:g}' if floor else ''}, a jury needs {needed}.",
        usage=usage,
    )


async def check_bond(deps: Deps, community: CommunityRecord, person: int, bond: float) -> None:
    """The disputer must hold the reputation they stake."""
    service = deps.reputation.service
    score = 0.0
    if service is not None:
        snapshot = await service.current(community.id, service.policy_for(community))
        row = None if snapshot is None else await deps.storage.reputation.score(snapshot.id, person)
        score = 0.0 if row is None else row.score
    if score < bond:
        raise NotAllowed(
            f"Opening a dispute stakes a bond of {bond:g} reputation; yours is {score:.1f}.",
            usage=USAGE,
        )


async def find_dispute(ctx: Context, ref: str, usage: str) -> DisputeRecord:
    found = DISPUTE_ID.match(ref.strip())
    if found is None:
        raise BadArguments(f'"{ref[:40]}" is not a dispute id (d1, d2, …).', usage=usage)
    community = await ctx.community()
    dispute = await ctx.deps.storage.disputes.by_number(community.id, int(found.group(1)))
    if dispute is None:
        raise NotFound(f"There is no dispute d{found.group(1)} here. See /disputes.", usage=usage)
    return dispute


@COMMANDS.command(
    "dispute",
    "challenge a result, a credit, a battle or a reward epoch; /dispute d<n> shows one",
    USAGE,
    Param("text", str, "the target and your reason, or a dispute id", rest=True, max_length=700),
    writes=True,
    examples=(
        "/dispute #12 the snapshot was taken before the new members joined",
        "/dispute credit:57 these reactions came from one person's accounts",
        "/dispute d3",
    ),
)
async def dispute(ctx: Context, args: dict[str, Any]) -> list[Reply]:
    text = (args["text"] or "").strip()
    head, _, reason = text.partition(" ")
    if DISPUTE_ID.match(head):
        if reason.strip():
            raise BadArguments(
                f"{head} is a dispute: /dispute {head} shows it, "
                f"/appeal {head} <reason> appeals it.",
                usage=USAGE,
            )
        found = await find_dispute(ctx, head, USAGE)
        return [Reply(await timeline_text(ctx.deps, found))]
    return await open_dispute(ctx, head, reason.strip())


async def open_dispute(ctx: Context, head: str, reason: str) -> list[Reply]:
    deps = ctx.deps
    policy = deps.disputes
    if not policy.enabled:
        raise NotAllowed("Disputes are turned off here (disputes.enabled).", usage=USAGE)
    kind, number = parse(head)
    if not reason:
        raise BadArguments("Missing <reason>: say what is wrong with it.", usage=USAGE)
    if len(reason) > MAX_REASON:
        raise BadArguments(f"The reason is limited to {MAX_REASON} characters.", usage=USAGE)
    where = ctx.event.where
    if where.is_private:
        raise WrongPlace(
            "Open a dispute in the community's chat: its card is posted there.", usage=USAGE
        )
    community = await ctx.community()
    target = await resolve(deps, community, kind, number)
    disputer = await ctx.member()
    me = next(iter(await persons(deps, community.id, {disputer.id})))
    parties = target.parties | {me}
    decider = policy.decider(kind)
    now = ctx.now()
    if policy.bond > 0:
        await check_bond(deps, community, me, policy.bond)
    vote = None
    council_id = None
    if decider == "jury":
        weights = await candidates(deps, community)
        eligible = [m for m in weights if m not in parties]
        if len(eligible) < policy.jury_size:
            raise few_jurors(deps, len(eligible), policy.jury_size, USAGE)
    else:
        council, seats = await deciding_council(deps, community, decider, USAGE, set(parties))
        vote = await council_vote(deps, council, target.label, reason, disputer.id, now, seats)
        weights, eligible, council_id = {}, [], council.id
    opened = await deps.storage.disputes.open(
        NewDispute(
            community_id=community.id,
            kind=kind,
            target=target.key,
            label=target.label,
            reason=reason,
            disputer_id=me,
            bond=policy.bond,
            decider="jury" if decider == "jury" else "council",
            jury_size=policy.jury_size,
            parties=tuple(sorted(parties)),
            candidates=weights,
            deadline=now + policy.deadline_hours * HOUR,
            home=Place(where.platform, where.space_id, where.channel_id, where.thread_id),
            details=target.details,
            council_id=council_id,
        ),
        lambda seed: draw_order(seed, weights, parties),
        at=now,
        vote=vote,
    )
    if opened == "busy":
        busy = [
            d
            for d in await deps.storage.disputes.on_target(community.id, target.key)
            if d.status != "closed"
        ]
        ref = busy[0].ref if busy else "another dispute"
        raise NotAllowed(f"{head} is already disputed ({ref}, not final yet).", usage=USAGE)
    if isinstance(opened, str):
        raise few_jurors(deps, len(eligible), policy.jury_size, USAGE)
    posted = await card(deps, opened)
    jurors = [j.member_id for j in await deps.storage.disputes.jurors(opened.id, 1)]
    council_card: list[Reply] = []
    if opened.proposal_id is not None:
        proposal = await deps.storage.proposals.by_id(opened.proposal_id)
        if proposal is not None:
            shown = await proposal_card(deps, proposal)
            council_card = [
                Reply(
                    shown.text,
                    buttons=shown.buttons,
                    card=shown.card,
                    title=shown.title,
                    thread_title=f"#{proposal.number} {proposal.title}"[:100],
                )
            ]
    return [
        posted,
        *copies_elsewhere(deps, community.id, where, posted),
        *council_card,
        *await juror_notices(deps, opened, jurors),
    ]


@COMMANDS.command("disputes", "open and recent disputes", "/disputes")
async def disputes_list(ctx: Context, args: dict[str, Any]) -> list[Reply]:
    community = await ctx.community()
    return [Reply(await list_text(ctx.deps, community.id))]


async def juror_answer(ctx: Context, found: DisputeRecord, choice: str) -> list[Reply]:
    deps = ctx.deps
    account = await deps.storage.members.find(
        found.community_id, ctx.actor.platform, ctx.actor.user_id
    )
    person = (
        None
        if account is None
        else next(iter(await persons(deps, found.community_id, {account.id})))
    )
    if person is not None and person in found.parties:
        raise NotAllowed(
            f"You are a party to dispute {found.ref}: parties cannot sit on its jury.",
            usage=JUROR_USAGE,
        )
    if person is None:
        raise NotAllowed(f"You are not on the jury of dispute {found.ref}.", usage=JUROR_USAGE)
    outcome, replacement = await deps.storage.disputes.answer(
        found.id, person, choice, vote_commitment, at=ctx.now()
    )
    if outcome == "closed":
        raise VotingClosed(f"The jury of dispute {found.ref} is not voting now.", usage=JUROR_USAGE)
    if outcome == "not_juror":
        raise NotAllowed(f"You are not on the jury of dispute {found.ref}.", usage=JUROR_USAGE)
    if outcome == "answered":
        raise NotAllowed(
            f"You already answered on dispute {found.ref}; answers cannot be changed.",
            usage=JUROR_USAGE,
        )
    fresh = await deps.storage.disputes.get(found.id)
    assert fresh is not None
    refresh = Reply("", card=card_key(fresh), edit=True)
    if outcome == "recused":
        notices = [] if replacement is None else await juror_notices(deps, fresh, [replacement])
        return [
            Reply(f"You recused yourself from dispute {found.ref}. Thank you.", private=True),
            refresh,
            *notices,
        ]
    return [
        Reply(
            f"Your vote on dispute {found.ref} is in: {choice}. It stays hidden until "
            f"{when(fresh.deadline)}.",
            private=True,
            meta={"voted": choice},
        ),
        refresh,
    ]


@COMMANDS.press("dispute_vote")
async def press_vote(ctx: Context, args: tuple[str, ...]) -> list[Reply]:
    if len(args) != 2 or not args[0].isdigit() or args[1] not in CHOICES:
        raise BadArguments("That button no longer does anything.")
    found = await ctx.deps.storage.disputes.get(int(args[0]))
    if found is None:
        raise NotFound("That dispute no longer exists.")
    return await juror_answer(ctx, found, args[1])


@COMMANDS.command(
    "juror",
    "answer as a juror: uphold, reject or recuse (the buttons of your notice do the same)",
    JUROR_USAGE,
    Param("dispute", str, "the dispute id, e.g. d3", max_length=12),
    Param("choice", str, "uphold, reject or recuse", max_length=10),
    writes=True,
    private=True,
)
async def juror(ctx: Context, args: dict[str, Any]) -> list[Reply]:
    choice = args["choice"].strip().casefold()
    if choice not in CHOICES:
        raise BadArguments(f'"{choice[:12]}" is not uphold, reject or recuse.', usage=JUROR_USAGE)
    found = await find_dispute(ctx, args["dispute"], JUROR_USAGE)
    return await juror_answer(ctx, found, choice)


@COMMANDS.command(
    "appeal",
    "appeal a dispute's ruling once (either party, within the appeal window): 2K+1 new jurors",
    APPEAL_USAGE,
    Param("dispute", str, "the dispute id, e.g. d3", max_length=12),
    Param("reason", str, "why the ruling is wrong", rest=True, max_length=MAX_REASON),
    writes=True,
)
async def appeal(ctx: Context, args: dict[str, Any]) -> list[Reply]:
    deps = ctx.deps
    found = await find_dispute(ctx, args["dispute"], APPEAL_USAGE)
    reason = (args["reason"] or "").strip()
    if not reason:
        raise BadArguments("Missing <reason>: say why the ruling is wrong.", usage=APPEAL_USAGE)
    community = await ctx.community()
    me = next(iter(await persons(deps, community.id, {(await ctx.member()).id})))
    if me not in found.parties:
        raise NotAllowed(
            f"Only a party to dispute {found.ref} (the disputer or the disputed side) may appeal.",
            usage=APPEAL_USAGE,
        )
    if found.status == "open":
        raise NotAllowed(f"Dispute {found.ref} is not ruled yet.", usage=APPEAL_USAGE)
    if found.round == 2 or (found.final and found.round != 1):
        raise VotingClosed(
            f"Dispute {found.ref} was already appealed: its ruling is final.", usage=APPEAL_USAGE
        )
    now = ctx.now()
    if found.status == "closed" or (found.appeal_until or 0) <= now:
        raise VotingClosed(
            f"The appeal window of dispute {found.ref} closed "
            f"{when(found.appeal_until or found.ruled_at or now)}.",
            usage=APPEAL_USAGE,
        )
    size = 2 * found.jury_size + 1
    weights = await candidates(deps, community)
    first = {j.member_id for j in await deps.storage.disputes.jurors(found.id, 1)}
    excluded = set(found.parties) | first
    eligible = [m for m in weights if m not in excluded]
    if len(eligible) < size:
        raise few_jurors(deps, len(eligible), size, APPEAL_USAGE)
    appealed = await deps.storage.disputes.appeal(
        found.id,
        me,
        reason,
        weights,
        lambda seed, round1: draw_order(seed, weights, set(found.parties) | round1),
        jury_size=size,
        deadline=now + deps.disputes.deadline_hours * HOUR,
        at=now,
    )
    if isinstance(appealed, str):
        if appealed == "few":
            raise few_jurors(deps, len(eligible), size, APPEAL_USAGE)
        raise VotingClosed(f"Dispute {found.ref} can no longer be appealed.", usage=APPEAL_USAGE)
    jurors = [j.member_id for j in await deps.storage.disputes.jurors(appealed.id, 2)]
    text = (
        f"Dispute {appealed.ref} is appealed: a new jury of {size}, none of the first, "
        f"decides by {when(appealed.deadline)}; its ruling is final."
    )
    return [
        Reply(text),
        Reply("", card=card_key(appealed), edit=True),
        *await juror_notices(deps, appealed, jurors),
    ]
