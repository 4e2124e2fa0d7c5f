"""/rep, /top, /helpful, /unhelpful, and the listeners that log contributions.

Listeners turn neutral events into ledger credits on every platform alike: a reaction
added (removed: retracted), a reply (who answered whom), a helpful mark (`/helpful` as a
reply, or a helpful emoji such as ✅ added by the author of the question the message
answers), a vote cast, a proposal that passed. They never reply, and message text never
reaches them.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from handlers.context import Context
from handlers.crossplatform.identity import voter_of
from handlers.deps import Deps
from handlers.dispatch import Dispatcher
from handlers.errors import BadArguments, NotAllowed, NotEligible, NotFound, WrongPlace
from handlers.markup import bold
from handlers.registry import Param, Registry
from handlers.reputation.ledger import Place, member_credit, minted_credit
from handlers.reputation.policy import KIND_LABELS, ReputationPolicy, normalise_emoji
from handlers.reputation.service import ReputationService
from handlers.types import Actor, Command, Posted, Reaction, Reply
from storage.records import MemberRecord, ProposalRecord
from storage.repos.contributions import Retraction, SnapshotInfo, SnapshotRow

REASONS = {
    "self": "you cannot credit yourself",
    "young_account": "your account is younger than the minimum age",
    "daily_cap": "today's limit of credits to this member is reached",
}
TOP_MAX = 50


def _service(deps: Deps) -> ReputationService:
    assert deps.reputation is not None, "Deps builds the reputation service"
    return deps.reputation


def _at(ctx: Context) -> float:
    return ctx.event.at.timestamp() if ctx.event.at is not None else ctx.now()


async def _policy(ctx: Context) -> ReputationPolicy:
    return _service(ctx.deps).policy_for(await ctx.community())


async def _member_of(ctx: Context, actor: Actor) -> MemberRecord:
    community = await ctx.community()
    return await ctx.deps.storage.members.ensure(
        community.id,
        actor.platform,
        actor.user_id,
        actor.display_name,
        account_created=actor.account_created.timestamp() if actor.account_created else None,
        now=ctx.now(),
    )


# ----- listeners ---------------------------------------------------------------------------
async def on_reaction(ctx: Context) -> list[Reply]:
    reaction = ctx.event.payload
    assert isinstance(reaction, Reaction)
    author = reaction.author
    bots = (author is not None and author.is_bot) or ctx.actor.is_bot
    if bots or ctx.event.where.is_private:
        return []  # the bot's own messages earn nothing; private chats are no community's
    if author is None and reaction.added:
        return []  # nobody to credit (a removal needs no author: Discord's names none)
    policy = await _policy(ctx)
    if not policy.enabled:
        return []
    service = _service(ctx.deps)
    giver = await ctx.member()
    await service.note_actor(giver, ctx.actor, policy)
    ref = reaction.message_ref
    place = Place(ref.platform, ref.channel_id, ref.message_id)
    if not reaction.added:
        await service.record(
            Retraction(
                giver.community_id,
                ref.platform,
                ref.channel_id,
                ref.message_id,
                giver.id,
                _at(ctx),
                emoji=normalise_emoji(reaction.emoji)[:64],
                kinds=("reaction", "helpful"),
            )
        )
        return []
    assert author is not None
    receiver = await _member_of(ctx, author)
    kind = "reaction"
    if policy.is_helpful_emoji(reaction.emoji):
        answered = await ctx.deps.storage.contributions.find_reply(
            ref.platform, ref.channel_id, ref.message_id
        )
        if answered is not None and answered[1] == giver.id and answered[0] == receiver.id:
            kind = "helpful"  # the asker marks the answer to their question
    await service.record(
        member_credit(
            policy,
            kind,
            giver,
            receiver,
            place,
            _at(ctx),
            giver_created=ctx.actor.account_created,
            emoji=reaction.emoji,
        )
    )
    return []


async def on_posted(ctx: Context) -> list[Reply]:
    posted = ctx.event.payload
    assert isinstance(posted, Posted)
    if ctx.actor.is_bot or ctx.event.where.is_private:
        return []
    policy = await _policy(ctx)
    if not policy.enabled:
        return []
    service = _service(ctx.deps)
    replier = await ctx.member()  # a member's time in the community counts from here
    await service.note_actor(replier, ctx.actor, policy)
    asked = posted.reply_to_author
    if asked is None or asked.is_bot:
        return []
    asker = await _member_of(ctx, asked)
    ref = posted.message_ref  # the answer's own message: a later ✅ on it finds this row
    await service.record(
        member_credit(
            policy,
            "reply",
            replier,
            asker,
            Place(ref.platform, ref.channel_id, ref.message_id),
            _at(ctx),
            giver_created=ctx.actor.account_created,
        )
    )
    return []


async def _mint(ctx: Context, kind: str, member: MemberRecord, subject: str) -> None:
    """Credit a member for something the community itself counts (a vote, a rating)."""
    policy = await _policy(ctx)
    if not policy.enabled:
        return
    where = ctx.event.where
    await _service(ctx.deps).record(
        minted_credit(
            policy,
            kind,
            member,
            Place(where.platform, where.channel_id, None),
            ctx.now(),
            subject=subject,
        )
    )


async def on_vote(ctx: Context, proposal: ProposalRecord, member: MemberRecord) -> None:
    await _mint(ctx, "vote", member, f"proposal:{proposal.id}")


async def on_rating(ctx: Context, battle: Any, member: MemberRecord) -> None:
    """A member's first rating of a battle is a contribution (changing it is not another)."""
    await _mint(ctx, "rating", member, f"battle:{battle.id}")


async def on_closed(deps: Deps, proposal: ProposalRecord) -> None:
    if (proposal.result or {}).get("outcome") != "passed":
        return
    service = _service(deps)
    policy = service.policy_for(await deps.storage.communities.get(proposal.community_id))
    author = await deps.storage.members.get(proposal.author_id)
    if author is None or not policy.enabled:
        return
    places = await deps.storage.cards.find("proposal", proposal.community_id, proposal.id)
    platform, channel, message = places[0] if places else (author.platform, "", None)
    await service.record(
        minted_credit(
            policy,
            "proposal_passed",
            author,
            Place(platform, channel, message),
            deps.clock.now(),
            subject=f"proposal:{proposal.id}",
        )
    )


async def check_min_reputation(ctx: Context) -> None:
    """Refuse /propose below the community's minimum reputation (admins are exempt)."""
    policy = await _policy(ctx)
    if policy.min_to_propose <= 0 or ctx.is_admin:
        return
    community = await ctx.community()
    member = await voter_of(ctx.deps, await ctx.member())  # one reputation per person
    snapshot = await _service(ctx.deps).current(community.id, policy)
    row = (
        None
        if snapshot is None
        else await ctx.deps.storage.reputation.score(snapshot.id, member.id)
    )
    score = 0.0 if row is None else row.score
    if score < policy.min_to_propose:
        raise NotEligible(
            f"Opening proposals here needs a reputation of at least {policy.min_to_propose:g}; "
            f"yours is {score:.1f}. See /rep."
        )


def install(dispatcher: Dispatcher) -> None:
    deps = dispatcher.deps
    for listeners, listener in (
        (dispatcher.reaction_listeners, on_reaction),
        (dispatcher.posted_listeners, on_posted),
        (deps.vote_listeners, on_vote),
        (deps.rating_listeners, on_rating),
        (deps.closed_listeners, on_closed),
        (deps.propose_checks, check_min_reputation),
    ):
        if listener not in listeners:
            listeners.append(listener)  # type: ignore[arg-type]


# ----- presentation ------------------------------------------------------------------------
def split_rounded(total: float, parts: list[float], digits: int = 1) -> tuple[float, list[float]]:
    """Round the parts so the shown parts add up to the shown total (largest remainder)."""
    scale = 10**digits
    units = round(total * scale)
    floors = [math.floor(p * scale) for p in parts]
    order = sorted(range(len(parts)), key=lambda i: parts[i] * scale - floors[i], reverse=True)
    missing = units - sum(floors)
    if missing >= 0:
        for i in order[:missing]:
            floors[i] += 1
    else:
        for i in order[::-1][:-missing]:
            floors[i] -= 1
    return units / scale, [f / scale for f in floors]


def _by_platform(received: dict[str, float], accounts: int) -> list[str]:
    """Where the credits came from, per platform (raw credit received, before trust)."""
    if not received:
        return []
    parts = " · ".join(f"{platform} {value:.1f}" for platform, value in received.items())
    linked = f" (one person, {accounts} linked accounts)" if accounts > 1 else ""
    return [f"Credits by platform: {parts}{linked}"]


def _signed(value: float) -> str:
    return f"{value:+.1f}"


def _percent(rank: int, members: int) -> str:
    return f"top {max(1, round(100 * rank / max(members, 1)))}%"


async def _source_names(deps: Deps, rows: list[SnapshotRow]) -> dict[str, str]:
    ids = {int(key[2:]) for row in rows for key, _ in row.sources if key.startswith("m:")}
    names = await deps.storage.members.names(ids)
    found = {f"m:{i}": name for i, name in names.items()}
    found.update({f"k:{kind}": label for kind, label in KIND_LABELS.items()})
    return found


def _when(snapshot: SnapshotInfo) -> str:
    return datetime.fromtimestamp(snapshot.computed_at, UTC).strftime("%Y-%m-%d %H:%M UTC")


async def _find_member(ctx: Context, name: str) -> MemberRecord:
    community = await ctx.community()
    wanted = name.strip().lstrip("@")
    found = await ctx.deps.storage.contributions.member_by_account(
        community.id, ctx.actor.platform, wanted
    ) or await ctx.deps.storage.members.find_by_name(community.id, wanted)
    if found is None:
        raise NotFound(f'No member called "{wanted[:40]}" here yet.', usage="/rep [member]")
    return found


def register(registry: Registry) -> None:
    @registry.command(
        "rep",
        "a member's reputation: score, rank, where it came from, 30-day change",
        "/rep [member]",
        Param("member", str, "whose reputation (default: yours)", required=False, rest=True),
    )
    async def rep(ctx: Context, args: dict[str, Any]) -> list[Reply]:
        policy = await _policy(ctx)
        community = await ctx.community()
        me = await ctx.member()
        await _service(ctx.deps).note_actor(me, ctx.actor, policy)
        account = me if not args["member"] else await _find_member(ctx, args["member"])
        # one reputation per person: accounts linked to one wallet share the lowest id's
        target = await voter_of(ctx.deps, account)
        accounts = await ctx.deps.storage.identity.accounts(account)
        snapshot = await _service(ctx.deps).current(community.id, policy)
        row = (
            None
            if snapshot is None
            else await ctx.deps.storage.reputation.score(snapshot.id, target.id)
        )
        if snapshot is None or row is None or row.score <= 0:
            who = "You have" if account.id == me.id else f"{account.display_name} has"
            return [
                Reply(
                    f"{who} no reputation yet. It grows when members react to your messages, "
                    "mark your answers /helpful, and when you vote.",
                    meta={"score": 0.0, "parts": {}},
                )
            ]
        names = await _source_names(ctx.deps, [row])
        received = await ctx.deps.storage.identity.received_by_platform([a.id for a in accounts])
        kinds = sorted(row.parts.items(), key=lambda kv: -kv[1])
        shown_total, shown_parts = split_rounded(row.score, [v for _, v in kinds])
        by_kind = " · ".join(
            f"{KIND_LABELS.get(k, k)} {v:.1f}" for (k, _), v in zip(kinds, shown_parts, strict=True)
        )
        sources = " · ".join(f"{names.get(key, key)} {value:.1f}" for key, value in row.sources)
        lines = [
            f"Reputation of {bold(account.display_name)}: {bold(f'{shown_total:.1f}')} · "
            f"rank {row.rank} of {snapshot.members} ({_percent(row.rank, snapshot.members)})",
            f"By kind: {by_kind}",
            f"Top sources: {sources or 'none'}",
            *_by_platform(received, len(accounts)),
            f"Change over 30 days: {_signed(row.change_30d)}",
            f"As of {_when(snapshot)}, from {snapshot.events:,} counted credits.",
        ]
        meta = {
            "score": row.score,
            "parts": row.parts,
            "shown_parts": dict(zip([k for k, _ in kinds], shown_parts, strict=True)),
            "shown_total": shown_total,
            "rank": row.rank,
            "snapshot": snapshot.id,
            "by_platform": received,
            "accounts": [a.id for a in accounts],
        }
        return [Reply("\n".join(lines), meta=meta)]

    @registry.command(
        "top",
        "the reputation leaderboard",
        f"/top [n up to {TOP_MAX}]",
        Param("n", int, f"how many members (1–{TOP_MAX}, default 10)", required=False),
    )
    async def top(ctx: Context, args: dict[str, Any]) -> list[Reply]:
        n = 10 if args["n"] is None else args["n"]
        if not 1 <= n <= TOP_MAX:
            raise BadArguments(
                f"<n> must be between 1 and {TOP_MAX}.", usage=f"/top [n up to {TOP_MAX}]"
            )
        policy = await _policy(ctx)
        community = await ctx.community()
        snapshot = await _service(ctx.deps).current(community.id, policy)
        rows = [] if snapshot is None else await ctx.deps.storage.reputation.top(snapshot.id, n)
        rows = [r for r in rows if r.score > 0]
        if snapshot is None or not rows:
            return [Reply("No reputation here yet: react, reply and mark answers /helpful.")]
        names = await _source_names(ctx.deps, rows)
        member_names = await ctx.deps.storage.members.names({r.member_id for r in rows})
        lines = [f"Reputation, top {len(rows)} (as of {_when(snapshot)}):"]
        for row in rows:
            kind = max(row.parts.items(), key=lambda kv: kv[1])[0] if row.parts else ""
            source = names.get(row.sources[0][0], "") if row.sources else ""
            lines.append(
                f"{row.rank}. {member_names.get(row.member_id, '?')} {row.score:.1f} "
                f"({_percent(row.rank, snapshot.members)}) · mostly "
                f"{KIND_LABELS.get(kind, kind)} · top source {source} · "
                f"30 days {_signed(row.change_30d)}"
            )
        return [Reply("\n".join(lines))]

    async def _marked(ctx: Context, undo: bool) -> list[Reply]:
        command = ctx.event.payload
        assert isinstance(command, Command) and command.reply_to is not None
        author = command.reply_to_author
        if author is None:
            raise WrongPlace("I can't tell who wrote that message.")
        if author.is_bot:
            raise NotAllowed("My own messages can't be marked helpful.")
        policy = await _policy(ctx)
        service = _service(ctx.deps)
        giver = await ctx.member()
        ref = command.reply_to
        if (author.platform, author.user_id) == (ctx.actor.platform, ctx.actor.user_id):
            raise NotAllowed("You can't mark your own message as helpful.")
        already = await ctx.deps.storage.contributions.live_mark(
            "helpful", ref.platform, ref.channel_id, ref.message_id, giver.id
        )
        if undo:
            if not already:
                raise NotFound("You haven't marked that message as helpful.")
            await service.record(
                Retraction(
                    giver.community_id,
                    ref.platform,
                    ref.channel_id,
                    ref.message_id,
                    giver.id,
                    _at(ctx),
                    kinds=("helpful",),
                )
            )
            return [
                Reply(f"Helpful mark on {author.display_name}'s message removed.", private=True)
            ]
        if already:
            raise NotAllowed("You already marked that message as helpful.")
        await service.note_actor(giver, ctx.actor, policy)
        receiver = await _member_of(ctx, author)
        outcome = await service.record(
            member_credit(
                policy,
                "helpful",
                giver,
                receiver,
                Place(ref.platform, ref.channel_id, ref.message_id),
                _at(ctx),
                giver_created=ctx.actor.account_created,
            )
        )
        text = f"Marked {author.display_name}'s message as a helpful answer."
        if not outcome.counted:
            why = REASONS.get(outcome.reason or "", "not counted")
            text += f" It is logged but not counted: {why}."
        return [Reply(text, private=True, meta={"counted": outcome.counted})]

    @registry.command(
        "helpful",
        "mark the message you reply to as a helpful answer",
        "/helpful (as a reply to the answer)",
        writes=True,
        needs_reply=True,
        private=True,
    )
    async def helpful(ctx: Context, args: dict[str, Any]) -> list[Reply]:
        return await _marked(ctx, undo=False)

    @registry.command(
        "unhelpful",
        "take back your helpful mark on the message you reply to",
        "/unhelpful (as a reply to the answer)",
        writes=True,
        needs_reply=True,
        private=True,
    )
    async def unhelpful(ctx: Context, args: dict[str, Any]) -> list[Reply]:
        return await _marked(ctx, undo=True)
