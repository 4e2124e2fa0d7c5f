"""/council, /councils, /stand, /withdraw, /recall."""

from __future__ import annotations

from typing import Any

from handlers.communities.fanout import copies_elsewhere
from handlers.communities.identity import voter_of
from handlers.core.context import Context
from handlers.core.errors import BadArguments, NotAllowed, NotEligible, NotFound, WrongPlace
from handlers.core.registry import Param, Registry
from handlers.core.types import Reply
from handlers.councils.elections import (
    MAX_CANDIDATES,
    election_title,
    first_election,
    nomination_notice,
    seats_text,
)
from handlers.councils.motions import new_recall_proposal
from handlers.councils.show import council_text, councils_text, powers_line
from handlers.councils.spec import CREATE_USAGE, SET_USAGE, read_create, read_set
from handlers.councils.strategy import CouncilStrategy
from handlers.proposals.cards import proposal_card, when
from handlers.reputation.service import ReputationService
from storage.records import MemberRecord
from storage.repos.council_records import CouncilRecord, ElectionRecord, NewCouncil, Place

COUNCIL_USAGE = f"/council [name] · {CREATE_USAGE} · {SET_USAGE}"
STAND_USAGE = "/stand <council>"
WITHDRAW_USAGE = "/withdraw <council>"
RECALL_USAGE = "/recall <council> <member>"
COUNCIL = Param("council", str, "the council's name", max_length=40, autocomplete="council")

COMMANDS = Registry()


async def find_council(ctx: Context, name: str, usage: str) -> CouncilRecord:
    community = await ctx.community()
    found = await ctx.deps.storage.councils.by_name(community.id, name)
    if found is None:
        known = [c.name for c in await ctx.deps.storage.councils.in_community(community.id)]
        raise NotFound(
            f'There is no council "{name[:40]}" here. Councils: {", ".join(known) or "none yet"}.',
            usage=usage,
        )
    return found


@COMMANDS.command(
    "council",
    "a council's members, terms and elections (admins: create <name> …, set <name> …)",
    COUNCIL_USAGE,
    Param("text", str, "a council's name, or create/set <name> key=value …", False, rest=True),
    writes=True,
    examples=(
        "/council create Stewards seats=5 term=180 method=stv cohorts=2",
        "/council set Stewards veto_profiles=treasury veto_hours=48",
        "/council Stewards",
    ),
)
async def council(ctx: Context, args: dict[str, Any]) -> list[Reply]:
    text = (args["text"] or "").strip()
    verb, _, rest = text.partition(" ")
    if verb.casefold() == "create":
        return await create(ctx, rest)
    if verb.casefold() == "set":
        return await configure(ctx, rest)
    community = await ctx.community()
    if not text:
        found = await ctx.deps.storage.councils.in_community(community.id)
        if len(found) == 1:
            return [Reply(await council_text(ctx.deps, found[0]))]
        return [Reply(await councils_text(ctx.deps, community.id))]
    if " " in text:
        raise BadArguments(f'Unknown /council form "{text[:40]}".', usage=COUNCIL_USAGE)
    found_council = await find_council(ctx, text, COUNCIL_USAGE)
    return [Reply(await council_text(ctx.deps, found_council))]


@COMMANDS.command("councils", "list the councils and their seats", "/councils")
async def councils(ctx: Context, args: dict[str, Any]) -> list[Reply]:
    community = await ctx.community()
    return [Reply(await councils_text(ctx.deps, community.id))]


async def create(ctx: Context, text: str) -> list[Reply]:
    if not ctx.is_admin:
        raise NotAllowed("Only admins can create councils.", usage=CREATE_USAGE)
    deps = ctx.deps
    spec = read_create(text, deps.policy, deps.councils)
    strategy = deps.strategies.parse(spec.electorate)  # unknown ones are refused
    electorate = strategy.spec
    if electorate.casefold() == f"council:{spec.name}".casefold():
        raise BadArguments(
            f"Council {spec.name} cannot elect itself: it has no members before its first "
            "election.",
            usage=CREATE_USAGE,
        )
    where = ctx.event.where
    if where.is_private:
        raise WrongPlace(
            "Create a council in the community's chat: its elections are posted where it "
            "is created.",
            usage=CREATE_USAGE,
        )
    community = await ctx.community()
    if isinstance(strategy, CouncilStrategy):  # another council elects this one: it must exist
        await strategy.council(community.id)
    if await deps.storage.councils.by_name(community.id, spec.name) is not None:
        raise BadArguments(f"There is already a council called {spec.name}.", usage=CREATE_USAGE)
    member = await ctx.member()
    now = ctx.now()
    first = first_election(spec.seats, spec.nomination_hours, now=now)
    created = await deps.storage.councils.create(
        NewCouncil(
            community_id=community.id,
            name=spec.name,
            seats=spec.seats,
            term_days=spec.term_days,
            method=spec.method,
            options=spec.options,
            cohorts=spec.cohorts,
            electorate=electorate,
            nomination_hours=spec.nomination_hours,
            voting_hours=spec.voting_hours,
            min_reputation=spec.min_reputation,
            require_wallet=spec.require_wallet,
            powers=spec.powers,
            home=Place(where.platform, where.space_id, where.channel_id, where.thread_id),
            created_by=member.id,
        ),
        first,
        lambda _council: [],  # the answer below is the announcement
        at=now,
    )
    if created is None:
        raise BadArguments(f"There is already a council called {spec.name}.", usage=CREATE_USAGE)
    elections = await deps.storage.councils.elections(created.id)
    text_out = (
        f"Council {created.name} created: it has no members until its first election.\n"
        + nomination_notice(created, elections[0])
    )
    reply = Reply(text_out)
    return [reply, *copies_elsewhere(deps, community.id, where, reply)]


async def configure(ctx: Context, text: str) -> list[Reply]:
    if not ctx.is_admin:
        raise NotAllowed("Only admins can change a council's powers.", usage=SET_USAGE)
    name, powers = read_set(text, ctx.deps.policy, ctx.deps.councils)
    found = await find_council(ctx, name, SET_USAGE)
    member = await ctx.member()
    merged = {**found.powers, **powers}
    if set(powers.get("veto_profiles", found.powers.get("veto_profiles") or [])) != set(
        found.powers.get("veto_profiles") or []
    ):
        # Proposals closed before now were never this council's to veto.
        merged["veto_since"] = ctx.now()
    changed = await ctx.deps.storage.councils.configure(
        found.id, merged, by=member.id, at=ctx.now()
    )
    return [Reply(f"Council {changed.name} updated. {powers_line(ctx.deps, changed)}")]


async def nominating(ctx: Context, council: CouncilRecord, usage: str) -> ElectionRecord:
    """The council's election whose nominations are open now; refused otherwise."""
    now = ctx.now()
    for election in await ctx.deps.storage.councils.elections(council.id):
        if election.status == "nominating" and (election.nomination_closes or 0) > now:
            return election
    raise NotAllowed(
        f"Nominations for council {council.name} are not open now. See /council {council.name} "
        "for the next election.",
        usage=usage,
    )


async def person(ctx: Context) -> MemberRecord:
    """The acting member as a person: accounts linked to one wallet are one candidate."""
    return await voter_of(ctx.deps, await ctx.member())


async def check_may_stand(
    ctx: Context, council: CouncilRecord, election: ElectionRecord, candidate: MemberRecord
) -> None:
    deps = ctx.deps
    if council.require_wallet and await deps.storage.wallets.active(candidate.id) is None:
        account = await ctx.member()
        if await deps.storage.wallets.active(account.id) is None:
            raise NotEligible(
                f"Standing for council {council.name} needs a linked wallet: /link <address>, "
                "then /verify <signature>.",
                usage=STAND_USAGE,
            )
    if council.min_reputation:
        community = await ctx.community()
        service: ReputationService | None = deps.reputation.service
        score = 0.0
        if service is not None:
            snapshot = await service.current(community.id, service.policy_for(community))
            if snapshot is not None:
                row = await deps.storage.reputation.score(snapshot.id, candidate.id)
                score = 0.0 if row is None else row.score
        if score < council.min_reputation:
            raise NotEligible(
                f"Standing for council {council.name} needs a reputation of at least "
                f"{council.min_reputation:g}; yours is {score:.1f}. See /rep.",
                usage=STAND_USAGE,
            )
    now = ctx.now()
    start = election.term_start if election.term_start is not None else now
    for seat in await deps.storage.councils.seats(council.id):
        if seat.member_id == candidate.id and seat.ended_at is None and seat.term_end > start:
            raise NotAllowed(
                f"You already hold a seat on council {council.name} until {when(seat.term_end)}.",
                usage=STAND_USAGE,
            )


@COMMANDS.command(
    "stand",
    "stand as a candidate in a council's election (while nominations are open)",
    STAND_USAGE,
    COUNCIL,
    writes=True,
)
async def stand(ctx: Context, args: dict[str, Any]) -> list[Reply]:
    found = await find_council(ctx, args["council"], STAND_USAGE)
    election = await nominating(ctx, found, STAND_USAGE)
    candidate = await person(ctx)
    standing = await ctx.deps.storage.councils.candidacies(election.id)
    if any(c.member_id == candidate.id for c in standing):
        raise NotAllowed(
            f"You are already standing for council {found.name}. /withdraw {found.name} "
            "takes it back.",
            usage=STAND_USAGE,
        )
    await check_may_stand(ctx, found, election, candidate)
    refused = await ctx.deps.storage.councils.stand(
        election.id, candidate.id, candidate.display_name, at=ctx.now(), limit=MAX_CANDIDATES
    )
    if refused == "standing":
        raise NotAllowed(f"You are already standing for council {found.name}.", usage=STAND_USAGE)
    if refused == "closed":
        raise NotAllowed(f"Nominations for council {found.name} just closed.", usage=STAND_USAGE)
    if refused == "full":
        raise NotAllowed(
            f"Council {found.name} already has {MAX_CANDIDATES} candidates, the most a ballot "
            "can list.",
            usage=STAND_USAGE,
        )
    count = len(standing) + 1
    return [
        Reply(
            f"{candidate.display_name} stands for council {found.name} "
            f"({election_title(found, election)}): {count} candidate"
            f"{'s' if count != 1 else ''} for {seats_text(election.seats)} so far; nominations "
            f"close {when(election.nomination_closes or 0)}."
        )
    ]


@COMMANDS.command(
    "withdraw",
    "withdraw your candidacy from a council's election (while nominations are open)",
    WITHDRAW_USAGE,
    COUNCIL,
    writes=True,
)
async def withdraw(ctx: Context, args: dict[str, Any]) -> list[Reply]:
    found = await find_council(ctx, args["council"], WITHDRAW_USAGE)
    election = await nominating(ctx, found, WITHDRAW_USAGE)
    candidate = await person(ctx)
    standing = await ctx.deps.storage.councils.candidacies(election.id)
    if not any(c.member_id == candidate.id for c in standing):
        raise NotAllowed(f"You are not standing for council {found.name}.", usage=WITHDRAW_USAGE)
    if not await ctx.deps.storage.councils.withdraw(election.id, candidate.id, at=ctx.now()):
        raise NotAllowed(f"Nominations for council {found.name} just closed.", usage=WITHDRAW_USAGE)
    return [Reply(f"{candidate.display_name} no longer stands for council {found.name}.")]


async def find_member(ctx: Context, name: str) -> MemberRecord:
    community = await ctx.community()
    wanted = name.strip().lstrip("@")
    found = await ctx.deps.storage.members.member_by_account(
        community.id, ctx.actor.platform, wanted
    ) or await ctx.deps.storage.members.find_by_name(community.id, wanted)
    if found is None:
        raise NotFound(f'No member called "{wanted[:40]}" here.', usage=RECALL_USAGE)
    return await voter_of(ctx.deps, found)


@COMMANDS.command(
    "recall",
    "open a community vote to unseat a council member (refilled by a by-election)",
    RECALL_USAGE,
    COUNCIL,
    Param("member", str, "the member to recall", rest=True, max_length=200),
    writes=True,
)
async def recall(ctx: Context, args: dict[str, Any]) -> list[Reply]:
    found = await find_council(ctx, args["council"], RECALL_USAGE)
    target = await find_member(ctx, args["member"])
    now = ctx.now()
    seat = next(
        (
            s
            for s in await ctx.deps.storage.councils.active_seats(found.id, now)
            if s.member_id == target.id
        ),
        None,
    )
    if seat is None:
        raise NotFound(
            f"{target.display_name} does not hold a seat on council {found.name}.",
            usage=RECALL_USAGE,
        )
    author = await ctx.member()
    new = await new_recall_proposal(ctx.deps, found, target.display_name, author.id, now)
    opened = await ctx.deps.storage.council_motions.open_recall(found.id, seat, new, at=now)
    if opened is None:
        raise NotAllowed(
            f"A recall of {target.display_name} is already being voted on.", usage=RECALL_USAGE
        )
    card = await proposal_card(ctx.deps, opened)
    posted = Reply(
        card.text,
        buttons=card.buttons,
        card=card.card,
        title=card.title,
        thread_title=f"#{opened.number} {opened.title}"[:100],
    )
    community = await ctx.community()
    return [posted, *copies_elsewhere(ctx.deps, community.id, ctx.event.where, posted)]
