"""Listeners that log contributions, on every platform alike.

They turn domain events into ledger credits: a reaction added (removed: retracted), a
reply (who answered whom), a helpful mark (a helpful emoji such as ✅ added by the author
of the question the message answers), a vote cast, a battle rated, a proposal that
passed. They never reply, and message text never reaches them. One check refuses
/propose below the community's minimum reputation.
"""

from __future__ import annotations

from handlers.communities.identity import voter_of
from handlers.core.context import Context
from handlers.core.deps import Deps
from handlers.core.errors import NotEligible
from handlers.core.events import (
    BallotCast,
    BattleRated,
    MessagePosted,
    ProposalClosed,
    ProposalOpening,
    ReactionChanged,
)
from handlers.core.types import Actor, Reply
from handlers.reputation.ledger import Place, member_credit, minted_credit
from handlers.reputation.policy import ReputationPolicy, normalise_emoji
from handlers.reputation.service import ReputationService
from storage.records import MemberRecord
from storage.repos.contributions import Retraction


def service_of(deps: Deps) -> ReputationService:
    assert deps.reputation.service is not None, "Deps builds the reputation service"
    return deps.reputation.service


def event_time(ctx: Context) -> float:
    return ctx.event.at.timestamp() if ctx.event.at is not None else ctx.now()


async def policy_of(ctx: Context) -> ReputationPolicy:
    return service_of(ctx.deps).policy_for(await ctx.community())


async def member_of(ctx: Context, actor: Actor) -> MemberRecord:
    community = await ctx.community()
    return await ctx.deps.storage.members.ensure(
        community.id,
        actor.platform,
        actor.user_id,
        actor.display_name,
        account_created=actor.account_created.timestamp() if actor.account_created else None,
        now=ctx.now(),
    )


async def on_reaction(deps: Deps, event: ReactionChanged) -> list[Reply]:
    ctx, reaction = event.context, event.reaction
    author = reaction.author
    bots = (author is not None and author.is_bot) or ctx.actor.is_bot
    if bots or ctx.event.where.is_private:
        return []  # the bot's own messages earn nothing; private chats are no community's
    if author is None and reaction.added:
        return []  # nobody to credit (a removal needs no author: Discord's names none)
    policy = await policy_of(ctx)
    if not policy.enabled:
        return []
    service = service_of(ctx.deps)
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
                event_time(ctx),
                emoji=normalise_emoji(reaction.emoji)[:64],
                kinds=("reaction", "helpful"),
            )
        )
        return []
    assert author is not None
    receiver = await member_of(ctx, author)
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
            event_time(ctx),
            giver_created=ctx.actor.account_created,
            emoji=reaction.emoji,
        )
    )
    return []


async def on_posted(deps: Deps, event: MessagePosted) -> list[Reply]:
    ctx, posted = event.context, event.posted
    if ctx.actor.is_bot or ctx.event.where.is_private:
        return []
    policy = await policy_of(ctx)
    if not policy.enabled:
        return []
    service = service_of(ctx.deps)
    replier = await ctx.member()  # a member's time in the community counts from here
    await service.note_actor(replier, ctx.actor, policy)
    asked = posted.reply_to_author
    if asked is None or asked.is_bot:
        return []
    asker = await member_of(ctx, asked)
    ref = posted.message_ref  # the answer's own message: a later ✅ on it finds this row
    await service.record(
        member_credit(
            policy,
            "reply",
            replier,
            asker,
            Place(ref.platform, ref.channel_id, ref.message_id),
            event_time(ctx),
            giver_created=ctx.actor.account_created,
        )
    )
    return []


async def _mint(ctx: Context, kind: str, member: MemberRecord, subject: str) -> None:
    """Credit a member for something the community itself counts (a vote, a rating)."""
    policy = await policy_of(ctx)
    if not policy.enabled:
        return
    where = ctx.event.where
    await service_of(ctx.deps).record(
        minted_credit(
            policy,
            kind,
            member,
            Place(where.platform, where.channel_id, None),
            ctx.now(),
            subject=subject,
        )
    )


async def on_vote(deps: Deps, event: BallotCast) -> None:
    await _mint(event.context, "vote", event.voter, f"proposal:{event.proposal.id}")


async def on_rating(deps: Deps, event: BattleRated) -> None:
    """A member's first rating of a battle is a contribution (changing it is not another)."""
    await _mint(event.context, "rating", event.rater, f"battle:{event.battle.id}")


async def on_closed(deps: Deps, event: ProposalClosed) -> None:
    proposal = event.proposal
    if (proposal.result or {}).get("outcome") != "passed":
        return
    service = service_of(deps)
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


async def check_min_reputation(deps: Deps, event: ProposalOpening) -> None:
    ctx = event.context
    """Refuse /propose below the community's minimum reputation (admins are exempt)."""
    policy = await policy_of(ctx)
    if policy.min_to_propose <= 0 or ctx.is_admin:
        return
    community = await ctx.community()
    member = await voter_of(ctx.deps, await ctx.member())  # one reputation per person
    snapshot = await service_of(ctx.deps).current(community.id, policy)
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
