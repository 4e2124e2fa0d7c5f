"""The Discord adapter end to end: the real discord.py client against the local fake.

Each test starts `FakeDiscord` on loopback (tests/harness/discord_env.py), builds the
real core on a temporary SQLite file, runs `DiscordAdapter` (endpoint overrides, gateway
READY/GUILD_CREATE, command sync) and drives it with INTERACTION_CREATE and raw events,
asserting on the REST calls the client made. Waits poll with timeouts; no wall-clock
assertions.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import discord
import pytest
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.adapters.discord import DiscordAdapter, endpoints
from bot.adapters.discord.render import render
from bot.app import Core
from handlers.core.context import Context
from handlers.core.events import MessagePosted, ReactionChanged
from handlers.core.types import Command, Posted, Reaction, Reply, Where
from tests.harness.core import core_env
from tests.harness.discord_env import DiscordEnv, discord_env
from tests.harness.discord_env import discord_buttons as buttons
from tests.harness.discord_env import discord_text as text_of
from tests.harness.fakes.discord_gateway import EPHEMERAL
from tests.harness.waiting import until

DEFAULT_BASE = "https://discord.com/api/v10"
DEFAULT_GATEWAY = yarl.URL("wss://gateway.discord.gg/")
LOOPBACK = "http://127.0.0.1:1/api/v10"


# ----- discord.py internals we rely on ----------------------------------------------------
def test_discord_internals_have_not_moved() -> None:
    """If this fails, a discord.py upgrade moved what endpoints.apply() patches."""
    assert discord.__version__ == "2.7.1"
    assert Route.BASE == DEFAULT_BASE
    assert isinstance(DiscordWebSocket.DEFAULT_GATEWAY, yarl.URL)
    assert DiscordWebSocket.DEFAULT_GATEWAY == DEFAULT_GATEWAY
    assert Route("GET", "/users/@me").url == DEFAULT_BASE + "/users/@me"
    restore = endpoints.apply(LOOPBACK + "/", "ws://127.0.0.1:1/gateway")
    try:
        assert Route("GET", "/users/@me").url == LOOPBACK + "/users/@me"
        assert yarl.URL("ws://127.0.0.1:1/gateway") == DiscordWebSocket.DEFAULT_GATEWAY
    finally:
        restore()
    assert Route.BASE == DEFAULT_BASE
    assert hasattr(discord.ui, "DynamicItem")


# ----- start-up ---------------------------------------------------------------------------------
async def test_startup_syncs_typed_guild_commands_with_minimal_intents(dc: DiscordEnv) -> None:
    fake = dc.fake
    assert fake.find("PUT", rf"/applications/{fake.app_id}/guilds/{fake.guild_id}/commands")
    assert not fake.find("PUT", rf"/applications/{fake.app_id}/commands")
    vote = fake.find_command("vote")
    options = {o["name"]: o for o in vote["options"]}
    assert (
        options["id"]["type"] == 4 and options["id"]["required"] and options["id"]["autocomplete"]
    )
    assert options["ballot"]["type"] == 3 and options["ballot"]["autocomplete"]
    assert options["id"]["description"] == "the proposal number"
    propose = {o["name"]: o for o in fake.find_command("propose")["options"]}
    assert propose["title"]["required"] and not propose["body"].get("required", False)
    describe = {o["name"]: o for o in fake.find_command("describe")["options"]}
    assert describe["text"]["max_length"] == 4000
    intents = discord.Intents._from_value(fake.identifies[0]["intents"])
    assert intents.guilds and intents.guild_messages and intents.guild_reactions
    assert not intents.message_content and not intents.members and not intents.presences
    assert fake.identifies[0]["shard"] == [0, 1]
    helpful = dc.core.command("helpful")
    if helpful is not None:  # used as a reply: a message context menu, not a slash command
        assert fake.find_command("Mark as helpful", kind=3)
        with pytest.raises(KeyError):
            fake.find_command("helpful")


# ----- commands -----------------------------------------------------------------------------------
async def test_help_is_deferred_then_followed_up(dc: DiscordEnv) -> None:
    token, callback = await dc.command("help", dc.user("alice"))
    assert callback.json == {"type": 5}  # DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE, public
    assert callback.query.get("with_response")
    reply = await dc.original(token)
    assert "/vote" in text_of(reply) and "/propose" in text_of(reply)
    assert reply.json["allowed_mentions"] == {"parse": []}

    token, _ = await dc.command("help", dc.user("alice"), command="vote")
    assert "ranked" in text_of(await dc.original(token))


async def test_propose_posts_card_with_buttons_thread_and_no_pings(dc: DiscordEnv) -> None:
    fake = dc.fake
    token, callback = await dc.command(
        "propose",
        dc.user("alice"),
        title="@everyone decide <@&1> now",
        choices="yes | no",
        method="single",
        hours="2",
        body="The long story",
    )
    assert callback.json["type"] == 5 and not callback.flags & EPHEMERAL
    card = await dc.original(token)
    assert card.json["allowed_mentions"] == {"parse": []}
    embed = card.json["embeds"][0]
    assert "\\@everyone" in embed["description"] and "The long story" in embed["description"]
    ids = [b["custom_id"] for b in card.json["components"][0]["components"]]
    assert ids[0].startswith("gov:vote:") and len(ids) == 2
    threads = await fake.wait_for("POST", rf"/channels/{fake.channel_id}/messages/\d+/threads")
    assert threads[0].json["name"] == "#1 @everyone decide <@&1> now"
    assert threads[0].path.endswith(f"/{fake.original[token]}/threads")
    places = await dc.core.storage.cards.find("proposal", 1, 1)
    assert places == [("discord", str(fake.channel_id), str(fake.original[token]))]


async def test_proposals_and_proposal(dc: DiscordEnv) -> None:
    token, _ = await dc.command("proposals", dc.user("alice"))
    assert "No open proposals" in text_of(await dc.original(token))
    await dc.propose(dc.user("alice"), "First idea")
    token, _ = await dc.command("proposals", dc.user("alice"))
    assert "First idea" in text_of(await dc.original(token))
    token, _ = await dc.command("proposal", dc.user("bob"), id=1)
    shown = await dc.original(token)
    assert "First idea" in text_of(shown)
    assert buttons(shown.json)[0]["label"] == "yes"


async def test_vote_receipt_is_private_and_card_is_edited_in_place(dc: DiscordEnv) -> None:
    fake = dc.fake
    card = await dc.propose(dc.user("alice"))
    start = len(fake.calls)
    token, callback = await dc.command("vote", dc.user("bob"), id=1, ballot="yes")
    assert callback.json["type"] == 5 and callback.flags & EPHEMERAL
    receipt = await dc.original(token)
    assert "Vote recorded on #1" in text_of(receipt)
    edits = await fake.wait_for(
        "PATCH", rf"/channels/{fake.channel_id}/messages/{card['id']}", since=start
    )
    assert "1 ballot" in text_of(edits[-1])
    assert edits[-1].json["allowed_mentions"] == {"parse": []}


async def test_votes_in_a_burst_are_coalesced_into_few_edits(dc: DiscordEnv) -> None:
    fake = dc.fake
    card = await dc.propose(dc.user("alice"))
    dc.adapter.refresher.interval = 0.5  # a burst well inside one interval
    start = len(fake.calls)
    voters = [fake.add_user(f"v{i}") for i in range(8)]
    payloads = [fake.slash("vote", v, {"id": 1, "ballot": "no"}) for v in voters]
    for payload in payloads:
        await fake.send_interaction(payload)
    for payload in payloads:
        await dc.original(payload["token"])
    await dc.adapter.refresher.flush()
    edits = fake.find("PATCH", rf"/channels/{fake.channel_id}/messages/{card['id']}", start)
    assert edits and len(edits) < len(voters)
    assert "8 ballots" in text_of(edits[-1])


async def test_refusals_are_ephemeral(dc: DiscordEnv) -> None:
    fake = dc.fake
    token, callback = await dc.command("vote", dc.user("bob"), id=99, ballot="yes")
    assert callback.flags & EPHEMERAL  # /vote defers privately: the refusal edits it
    assert "no proposal #99" in text_of(await dc.original(token))

    await dc.propose(dc.user("alice"))
    token, callback = await dc.command("close", dc.user("bob"), id=1)
    assert not callback.flags & EPHEMERAL  # /close defers publicly …
    await fake.wait_for("DELETE", rf"/webhooks/{fake.app_id}/{token}/messages/@original")
    refusal = (await dc.followups(token))[0]  # … so the refusal is a new ephemeral follow-up
    assert refusal.json["flags"] & EPHEMERAL
    assert "Only the author of #1 or an admin" in text_of(refusal)
    proposal = await dc.core.storage.proposals.get(1, 1)
    assert proposal is not None and proposal.status == "open"  # nothing written


async def test_close_posts_the_result_with_its_chart(dc: DiscordEnv) -> None:
    fake = dc.fake
    await dc.propose(dc.user("alice"))
    vote, _ = await dc.command("vote", dc.user("bob"), id=1, ballot="yes")
    await dc.original(vote)  # the ballot is stored once its receipt is out
    token, _ = await dc.command("close", dc.user("alice"), id=1)
    result = await dc.original(token)  # the card lives in this channel: the answer is the result
    assert "passed" in text_of(result) and "Audit hash" in text_of(result)
    assert result.files and result.files[0][0].endswith(".png") and result.files[0][1] > 0
    assert result.json["embeds"][0]["image"]["url"].startswith("attachment://")
    assert result.json["allowed_mentions"] == {"parse": []}
    closed = await dc.core.storage.proposals.get(1, 1)
    assert closed is not None and closed.status == "closed"
    assert fake.find("POST", rf"/channels/{fake.channel_id}/messages") == []


async def test_describe_and_cancel_refresh_the_card(dc: DiscordEnv) -> None:
    fake = dc.fake
    card = await dc.propose(dc.user("alice"))
    token, _ = await dc.command("describe", dc.user("alice"), id=1, text="Why: because.")
    assert "Description of #1 updated" in text_of(await dc.original(token))
    edit = await fake.wait_for(
        "PATCH",
        rf"/channels/{fake.channel_id}/messages/{card['id']}",
        where=lambda c: "because" in text_of(c),
    )
    assert edit
    token, _ = await dc.command(
        "cancel", dc.user("admin", admin=True), id=1
    )  # an admin may cancel others'
    assert "is cancelled" in text_of(await dc.original(token))
    cancelled = await fake.wait_for(
        "PATCH",
        rf"/channels/{fake.channel_id}/messages/{card['id']}",
        where=lambda c: "Cancelled at" in text_of(c),
    )
    assert cancelled[-1].json["components"] == []  # no vote buttons on a cancelled card


async def test_autocomplete_offers_open_proposals_first_and_their_choices(dc: DiscordEnv) -> None:
    fake = dc.fake
    await dc.propose(dc.user("alice"), "Old question")
    closing, _ = await dc.command("close", dc.user("alice"), id=1)
    await dc.original(closing)
    await dc.propose(
        dc.user("alice"), "New question", choices="alpha | beta | gamma", method="ranked"
    )
    payload = fake.slash("vote", dc.user("bob"), {"id": ""}, focused="id")
    await fake.send_interaction(payload)
    callback = await fake.wait_callback(payload["id"])
    assert callback.json["type"] == 8
    offered = callback.json["data"]["choices"]
    assert [c["value"] for c in offered] == [2, 1]
    assert offered[0]["name"] == "#2 New question" and offered[1]["name"].endswith("· closed")

    payload = fake.slash("vote", dc.user("bob"), {"id": 2, "ballot": "beta > g"}, focused="ballot")
    await fake.send_interaction(payload)
    callback = await fake.wait_callback(payload["id"])
    assert [c["value"] for c in callback.json["data"]["choices"]] == ["beta > gamma"]


async def test_button_pressed_after_a_restart_counts_the_vote(dc: DiscordEnv) -> None:
    fake, core = dc.fake, dc.core
    card = await dc.propose(dc.user("alice"))
    await dc.restart()  # a new client, same database
    assert len(fake.identifies) == 2
    start = len(fake.calls)
    press = fake.button(dc.user("bob"), card, buttons(card)[1]["custom_id"])  # "no"
    await fake.send_interaction(press)
    callback = await fake.wait_callback(press["id"])
    assert callback.json == {"type": 6}  # DEFERRED_UPDATE_MESSAGE: no loading message
    receipt = (await dc.followups(press["token"]))[0]
    assert receipt.json["flags"] & EPHEMERAL and "Vote recorded on #1: no" in text_of(receipt)
    proposal = await core.storage.proposals.get(1, 1)
    assert proposal is not None and await core.storage.ballots.count(proposal.id) == 1
    await fake.wait_for("PATCH", rf"/channels/{fake.channel_id}/messages/{card['id']}", since=start)


async def test_foreign_button_is_refused_privately(dc: DiscordEnv) -> None:
    card = await dc.propose(dc.user("alice"))
    card["components"][0]["components"][0]["custom_id"] = "gov:nosuchaction:1"
    press = dc.fake.button(dc.user("bob"), card, "gov:nosuchaction:1")
    await dc.fake.send_interaction(press)
    refusal = (await dc.followups(press["token"]))[0]
    assert refusal.json["flags"] & EPHEMERAL and "no longer does anything" in text_of(refusal)


async def test_reactions_arrive_as_neutral_events(dc: DiscordEnv) -> None:
    seen: list[tuple[Reaction, Where, str]] = []

    async def listen(_deps: Any, published: Any) -> list[Reply]:

        ctx = published.context
        assert isinstance(ctx.event.payload, Reaction)
        seen.append((ctx.event.payload, ctx.event.where, ctx.event.actor.user_id))
        return []

    dc.core.deps.events.subscribe(ReactionChanged, listen)
    message = await dc.fake.message_create(dc.user("alice"))
    await dc.fake.reaction(
        dc.user("bob"), int(message["id"]), "👍", message_author=dc.user("alice")
    )
    await dc.fake.reaction(dc.user("bob"), int(message["id"]), "👍", added=False)
    await until(lambda: len(seen) == 2, "both reaction events")
    # Each gateway event is handled in its own task: order the two by kind, not arrival.
    (added, where, who), (removed, _, who2) = sorted(seen, key=lambda s: not s[0].added)
    assert added.added and not removed.added and added.emoji == "👍"
    assert added.message_ref.message_id == message["id"]
    assert added.author is not None and added.author.user_id == str(dc.user("alice").id)
    assert who == who2 == str(dc.user("bob").id)
    assert where.space_id == str(dc.fake.guild_id) and where.channel_id == str(dc.fake.channel_id)


async def test_replies_arrive_as_posted_events(dc: DiscordEnv) -> None:
    seen: list[Posted] = []

    async def listen(_deps: Any, published: Any) -> list[Reply]:

        ctx = published.context
        seen.append(ctx.event.payload)  # type: ignore[arg-type]
        return []

    dc.core.deps.events.subscribe(MessagePosted, listen)
    question = await dc.fake.message_create(dc.user("alice"))
    answer = await dc.fake.message_create(dc.user("bob"), reply_to=question)
    await until(lambda: len(seen) == 2, "both posted events")
    by_id = {posted.message_ref.message_id: posted for posted in seen}  # tasks race: by id
    assert by_id[question["id"]].reply_to is None
    reply = by_id[answer["id"]]
    assert reply.reply_to is not None and reply.reply_to.message_id == question["id"]
    assert reply.reply_to_author is not None
    assert reply.reply_to_author.user_id == str(dc.user("alice").id)


def _capture_helpful(seen: list[Command]) -> Callable[[Core], None]:
    """Wrap (or, while the core has none, provide) /helpful to capture its neutral command."""

    def hook(core: Core) -> None:
        registry = core.dispatcher.registry
        spec = registry.get("helpful")
        if spec is None:

            @registry.command("helpful", "mark a reply as helpful", "/helpful", needs_reply=True)
            async def helpful(ctx: Context, args: dict[str, Any]) -> list[Reply]:
                return [Reply("Marked as helpful.")]

            spec = registry.commands["helpful"]
        inner = spec.handler

        async def capture(ctx: Context, args: dict[str, Any]) -> list[Reply]:
            seen.append(ctx.event.payload)  # type: ignore[arg-type]
            return await inner(ctx, args)

        registry.commands["helpful"] = dataclasses.replace(spec, handler=capture)

    return hook


async def test_mark_as_helpful_context_menu(tmp_path: Path) -> None:
    seen: list[Command] = []
    async with discord_env(tmp_path, prepare=_capture_helpful(seen)) as dc:
        fake = dc.fake
        assert fake.find_command("Mark as helpful", kind=3)
        question = await fake.message_create(dc.user("bob"))
        target = await fake.message_create(dc.user("alice"), reply_to=question)
        payload = fake.message_command("Mark as helpful", dc.user("bob"), target)
        await fake.send_interaction(payload)
        callback = await fake.wait_callback(payload["id"])
        assert callback.json["type"] == 5 and callback.flags & EPHEMERAL  # the mark is private
        assert text_of(await dc.original(payload["token"]))
        (command,) = seen
        assert command.name == "helpful" and command.reply_to is not None
        assert command.reply_to.message_id == target["id"]
        assert command.reply_to_author is not None
        assert command.reply_to_author.user_id == str(dc.user("alice").id)


async def test_forum_post_instead_of_thread(dc: DiscordEnv) -> None:
    dc.adapter.settings = dc.adapter.settings.model_copy(
        update={"forum_channel_id": dc.fake.forum_id}
    )
    await dc.propose(dc.user("alice"), "Forum topic")
    post = (await dc.fake.wait_for("POST", rf"/channels/{dc.fake.forum_id}/threads"))[0]
    assert post.json["name"] == "#1 Forum topic"
    assert post.json["message"]["allowed_mentions"] == {"parse": []}
    assert not dc.fake.find("POST", r"/channels/\d+/messages/\d+/threads")


async def test_scheduled_result_is_delivered_to_its_channel(dc: DiscordEnv) -> None:
    fake = dc.fake
    where = Where("discord", str(fake.guild_id), str(fake.channel_id))
    await dc.adapter.deliver(
        Reply("Result for @everyone", where=where, meta={"reply_to_message": "123"})
    )
    sent = (await fake.wait_for("POST", rf"/channels/{fake.channel_id}/messages"))[0]
    assert sent.json["content"] == "Result for \\@everyone"
    assert sent.json["allowed_mentions"] == {"parse": []}
    assert str(sent.json["message_reference"]["message_id"]) == "123"


# ----- units ---------------------------------------------------------------------------------
def test_long_text_goes_to_an_embed_then_splits() -> None:
    short = render(Reply("hello"))
    assert short[0].content == "hello" and short[0].embed is None
    medium = render(Reply("x" * 3000))
    assert len(medium) == 1 and medium[0].embed is not None
    assert len(medium[0].embed.description or "") == 3000
    long = render(Reply(("line " * 20 + "\n") * 100))  # ~10,100 characters
    assert long[0].embed is not None and len(long[0].embed.description or "") <= 4096
    assert all(p.content is not None and len(p.content) <= 2000 for p in long[1:])
    assert len(long) > 2


async def test_shard_settings_are_passed_through(tmp_path: Path) -> None:
    shards = {"token": "x", "shard_ids": [1, 3], "shard_count": 4}
    async with core_env(tmp_path, discord=shards) as core:
        settings = core.settings
        adapter = DiscordAdapter(core)
        assert adapter.client.shard_ids == [1, 3] and adapter.client.shard_count == 4
        bad = settings.model_copy(
            update={"discord": settings.discord.model_copy(update={"shard_count": None})}
        )
        core.settings = bad
        with pytest.raises(ValueError, match="DISCORD_SHARD_COUNT"):
            DiscordAdapter(core)
