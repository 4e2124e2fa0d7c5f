"""The Discord adapter end to end: the real discord.py client against the local fake.

Each test starts `tests.fakes.discord_gateway.FakeDiscord` on loopback, builds the real
core on a temporary SQLite file, runs `DiscordAdapter` (endpoint overrides, gateway
READY/GUILD_CREATE, command sync) and drives it with INTERACTION_CREATE and raw events,
asserting on the REST calls the client made. Waits poll with timeouts; no wall-clock
assertions.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import discord
import pytest
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.adapters.discord import DiscordAdapter, endpoints
from bot.adapters.discord.render import render
from bot.app import Core, build_core
from bot.settings import load_settings
from handlers.core.context import Context
from handlers.core.events import MessagePosted, ReactionChanged
from handlers.core.types import Command, Posted, Reaction, Reply, Where
from tests.fakes.discord_gateway import EPHEMERAL, Call, FakeDiscord, FakeUser

TIMEOUT = 10.0
DEFAULT_BASE = "https://discord.com/api/v10"
DEFAULT_GATEWAY = yarl.URL("wss://gateway.discord.gg/")
LOOPBACK = "http://127.0.0.1:1/api/v10"


@dataclass
class Env:
    fake: FakeDiscord
    core: Core
    adapter: DiscordAdapter
    task: asyncio.Task[None]
    alice: FakeUser
    bob: FakeUser
    admin: FakeUser
    seen: list[Any] = field(default_factory=list)

    async def command(self, name: str, user: FakeUser, **options: Any) -> tuple[str, Call]:
        """Send a slash command; return its token and the interaction callback call."""
        payload = self.fake.slash(name, user, options)
        await self.fake.send_interaction(payload)
        return payload["token"], await self.fake.wait_callback(payload["id"], timeout=TIMEOUT)

    async def original(self, token: str) -> Call:
        """The PATCH that replaced the loading message."""
        calls = await self.fake.wait_for(
            "PATCH", rf"/webhooks/{self.fake.app_id}/{token}/messages/@original", timeout=TIMEOUT
        )
        return calls[0]

    async def followups(self, token: str, count: int = 1) -> list[Call]:
        return await self.fake.wait_for(
            "POST", rf"/webhooks/{self.fake.app_id}/{token}", count=count, timeout=TIMEOUT
        )

    async def propose(self, user: FakeUser, title: str = "Pick a logo", **options: Any) -> dict:  # type: ignore[type-arg]
        """Open a proposal; return the card message as the fake stores it."""
        options.setdefault("choices", "yes | no")
        token, _ = await self.command("propose", user, title=title, **options)
        await self.original(token)
        return self.fake.messages[self.fake.original[token]]


async def start_adapter(core: Core, fake: FakeDiscord) -> tuple[DiscordAdapter, asyncio.Task[None]]:
    adapter = DiscordAdapter(
        core, refresh_interval=0.02, client_options={"guild_ready_timeout": 0.05}
    )
    core.adapters["discord"] = adapter
    task = asyncio.create_task(adapter.run())
    ready = asyncio.create_task(adapter.ready())
    await asyncio.wait([task, ready], timeout=TIMEOUT, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        task.result()  # surface the start-up error
    assert adapter.connected, "the client did not become ready"
    return adapter, task


async def stop_adapter(adapter: DiscordAdapter, task: asyncio.Task[None]) -> None:
    await adapter.stop()
    await asyncio.wait_for(task, TIMEOUT)


EnvFactory = Callable[..., Awaitable[Env]]


@pytest.fixture
async def make_env(tmp_path: Path) -> AsyncIterator[EnvFactory]:
    made: list[Env] = []

    async def make(
        *,
        discord: dict[str, Any] | None = None,
        registry_hook: Callable[[Core], None] | None = None,
    ) -> Env:
        fake = await FakeDiscord().start()
        settings = load_settings(
            database_url=f"sqlite:///{tmp_path}/t.db",
            charts_dir=tmp_path / "charts",
            discord={
                "token": "x",
                "api_base_url": fake.api_base_url,
                "gateway_url": fake.gateway_url,
                "guild_ids": [fake.guild_id],
                **(discord or {}),
            },
        )
        core = await build_core(settings)
        if registry_hook is not None:
            registry_hook(core)
        adapter, task = await start_adapter(core, fake)
        env = Env(
            fake,
            core,
            adapter,
            task,
            fake.add_user("alice"),
            fake.add_user("bob"),
            fake.add_user("admin", admin=True),
        )
        made.append(env)
        return env

    yield make
    for env in made:
        with contextlib.suppress(Exception):
            await stop_adapter(env.adapter, env.task)
        await env.core.close()
        await env.fake.stop()


@pytest.fixture
async def env(make_env: EnvFactory) -> Env:
    return await make_env()


def buttons(message: dict) -> list[dict]:  # type: ignore[type-arg]
    return [c for row in message["components"] for c in row["components"]]


def text_of(call: Call) -> str:
    body = call.json or {}
    embeds = body.get("embeds") or []
    text = (body.get("content") or "") + "".join(e.get("description") or "" for e in embeds)
    return text.replace("\\", "")  # drop markdown escapes; raw payloads are checked apart


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
async def test_startup_syncs_typed_guild_commands_with_minimal_intents(env: Env) -> None:
    fake = env.fake
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
    helpful = env.core.dispatcher.registry.get("helpful")
    if helpful is not None:  # used as a reply: a message context menu, not a slash command
        assert fake.find_command("Mark as helpful", kind=3)
        with pytest.raises(KeyError):
            fake.find_command("helpful")


# ----- commands -----------------------------------------------------------------------------------
async def test_help_is_deferred_then_followed_up(env: Env) -> None:
    token, callback = await env.command("help", env.alice)
    assert callback.json == {"type": 5}  # DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE, public
    assert callback.query.get("with_response")
    reply = await env.original(token)
    assert "/vote" in text_of(reply) and "/propose" in text_of(reply)
    assert reply.json["allowed_mentions"] == {"parse": []}

    token, _ = await env.command("help", env.alice, command="vote")
    assert "ranked" in text_of(await env.original(token))


async def test_propose_posts_card_with_buttons_thread_and_no_pings(env: Env) -> None:
    fake = env.fake
    token, callback = await env.command(
        "propose",
        env.alice,
        title="@everyone decide <@&1> now",
        choices="yes | no",
        method="single",
        hours="2",
        body="The long story",
    )
    assert callback.json["type"] == 5 and not callback.flags & EPHEMERAL
    card = await env.original(token)
    assert card.json["allowed_mentions"] == {"parse": []}
    embed = card.json["embeds"][0]
    assert "\\@everyone" in embed["description"] and "The long story" in embed["description"]
    ids = [b["custom_id"] for b in card.json["components"][0]["components"]]
    assert ids[0].startswith("gov:vote:") and len(ids) == 2
    threads = await fake.wait_for("POST", rf"/channels/{fake.channel_id}/messages/\d+/threads")
    assert threads[0].json["name"] == "#1 @everyone decide <@&1> now"
    assert threads[0].path.endswith(f"/{fake.original[token]}/threads")
    places = await env.core.storage.cards.find("proposal", 1, 1)
    assert places == [("discord", str(fake.channel_id), str(fake.original[token]))]


async def test_proposals_and_proposal(env: Env) -> None:
    token, _ = await env.command("proposals", env.alice)
    assert "No open proposals" in text_of(await env.original(token))
    await env.propose(env.alice, "First idea")
    token, _ = await env.command("proposals", env.alice)
    assert "First idea" in text_of(await env.original(token))
    token, _ = await env.command("proposal", env.bob, id=1)
    shown = await env.original(token)
    assert "First idea" in text_of(shown)
    assert buttons(shown.json)[0]["label"] == "yes"


async def test_vote_receipt_is_private_and_card_is_edited_in_place(env: Env) -> None:
    fake = env.fake
    card = await env.propose(env.alice)
    start = len(fake.calls)
    token, callback = await env.command("vote", env.bob, id=1, ballot="yes")
    assert callback.json["type"] == 5 and callback.flags & EPHEMERAL
    receipt = await env.original(token)
    assert "Vote recorded on #1" in text_of(receipt)
    edits = await fake.wait_for(
        "PATCH", rf"/channels/{fake.channel_id}/messages/{card['id']}", since=start
    )
    assert "1 ballot" in text_of(edits[-1])
    assert edits[-1].json["allowed_mentions"] == {"parse": []}


async def test_votes_in_a_burst_are_coalesced_into_few_edits(env: Env) -> None:
    fake = env.fake
    card = await env.propose(env.alice)
    env.adapter.refresher.interval = 0.5  # a burst well inside one interval
    start = len(fake.calls)
    voters = [fake.add_user(f"v{i}") for i in range(8)]
    payloads = [fake.slash("vote", v, {"id": 1, "ballot": "no"}) for v in voters]
    for payload in payloads:
        await fake.send_interaction(payload)
    for payload in payloads:
        await env.original(payload["token"])
    await env.adapter.refresher.flush()
    edits = fake.find("PATCH", rf"/channels/{fake.channel_id}/messages/{card['id']}", start)
    assert edits and len(edits) < len(voters)
    assert "8 ballots" in text_of(edits[-1])


async def test_refusals_are_ephemeral(env: Env) -> None:
    fake = env.fake
    token, callback = await env.command("vote", env.bob, id=99, ballot="yes")
    assert callback.flags & EPHEMERAL  # /vote defers privately: the refusal edits it
    assert "no proposal #99" in text_of(await env.original(token))

    await env.propose(env.alice)
    token, callback = await env.command("close", env.bob, id=1)
    assert not callback.flags & EPHEMERAL  # /close defers publicly …
    await fake.wait_for("DELETE", rf"/webhooks/{fake.app_id}/{token}/messages/@original")
    refusal = (await env.followups(token))[0]  # … so the refusal is a new ephemeral follow-up
    assert refusal.json["flags"] & EPHEMERAL
    assert "Only the author of #1 or an admin" in text_of(refusal)
    proposal = await env.core.storage.proposals.get(1, 1)
    assert proposal is not None and proposal.status == "open"  # nothing written


async def test_close_posts_the_result_with_its_chart(env: Env) -> None:
    fake = env.fake
    await env.propose(env.alice)
    vote, _ = await env.command("vote", env.bob, id=1, ballot="yes")
    await env.original(vote)  # the ballot is stored once its receipt is out
    token, _ = await env.command("close", env.alice, id=1)
    result = await env.original(token)  # the card lives in this channel: the answer is the result
    assert "passed" in text_of(result) and "Audit hash" in text_of(result)
    assert result.files and result.files[0][0].endswith(".png") and result.files[0][1] > 0
    assert result.json["embeds"][0]["image"]["url"].startswith("attachment://")
    assert result.json["allowed_mentions"] == {"parse": []}
    closed = await env.core.storage.proposals.get(1, 1)
    assert closed is not None and closed.status == "closed"
    assert fake.find("POST", rf"/channels/{fake.channel_id}/messages") == []


async def test_describe_and_cancel_refresh_the_card(env: Env) -> None:
    fake = env.fake
    card = await env.propose(env.alice)
    token, _ = await env.command("describe", env.alice, id=1, text="Why: because.")
    assert "Description of #1 updated" in text_of(await env.original(token))
    edit = await fake.wait_for(
        "PATCH",
        rf"/channels/{fake.channel_id}/messages/{card['id']}",
        where=lambda c: "because" in text_of(c),
    )
    assert edit
    token, _ = await env.command("cancel", env.admin, id=1)  # an admin may cancel others'
    assert "is cancelled" in text_of(await env.original(token))
    cancelled = await fake.wait_for(
        "PATCH",
        rf"/channels/{fake.channel_id}/messages/{card['id']}",
        where=lambda c: "Cancelled at" in text_of(c),
    )
    assert cancelled[-1].json["components"] == []  # no vote buttons on a cancelled card


async def test_autocomplete_offers_open_proposals_first_and_their_choices(env: Env) -> None:
    fake = env.fake
    await env.propose(env.alice, "Old question")
    closing, _ = await env.command("close", env.alice, id=1)
    await env.original(closing)
    await env.propose(env.alice, "New question", choices="alpha | beta | gamma", method="ranked")
    payload = fake.slash("vote", env.bob, {"id": ""}, focused="id")
    await fake.send_interaction(payload)
    callback = await fake.wait_callback(payload["id"])
    assert callback.json["type"] == 8
    offered = callback.json["data"]["choices"]
    assert [c["value"] for c in offered] == [2, 1]
    assert offered[0]["name"] == "#2 New question" and offered[1]["name"].endswith("· closed")

    payload = fake.slash("vote", env.bob, {"id": 2, "ballot": "beta > g"}, focused="ballot")
    await fake.send_interaction(payload)
    callback = await fake.wait_callback(payload["id"])
    assert [c["value"] for c in callback.json["data"]["choices"]] == ["beta > gamma"]


async def test_button_pressed_after_a_restart_counts_the_vote(env: Env) -> None:
    fake, core = env.fake, env.core
    card = await env.propose(env.alice)
    await stop_adapter(env.adapter, env.task)
    env.adapter, env.task = await start_adapter(core, fake)  # a new client, same database
    assert len(fake.identifies) == 2
    start = len(fake.calls)
    press = fake.button(env.bob, card, buttons(card)[1]["custom_id"])  # "no"
    await fake.send_interaction(press)
    callback = await fake.wait_callback(press["id"])
    assert callback.json == {"type": 6}  # DEFERRED_UPDATE_MESSAGE: no loading message
    receipt = (await env.followups(press["token"]))[0]
    assert receipt.json["flags"] & EPHEMERAL and "Vote recorded on #1: no" in text_of(receipt)
    proposal = await core.storage.proposals.get(1, 1)
    assert proposal is not None and await core.storage.ballots.count(proposal.id) == 1
    await fake.wait_for("PATCH", rf"/channels/{fake.channel_id}/messages/{card['id']}", since=start)


async def test_foreign_button_is_refused_privately(env: Env) -> None:
    card = await env.propose(env.alice)
    card["components"][0]["components"][0]["custom_id"] = "gov:nosuchaction:1"
    press = env.fake.button(env.bob, card, "gov:nosuchaction:1")
    await env.fake.send_interaction(press)
    refusal = (await env.followups(press["token"]))[0]
    assert refusal.json["flags"] & EPHEMERAL and "no longer does anything" in text_of(refusal)


async def test_reactions_arrive_as_neutral_events(env: Env) -> None:
    seen: list[tuple[Reaction, Where, str]] = []

    async def listen(_deps: Any, published: Any) -> list[Reply]:

        ctx = published.context
        assert isinstance(ctx.event.payload, Reaction)
        seen.append((ctx.event.payload, ctx.event.where, ctx.event.actor.user_id))
        return []

    env.core.deps.events.subscribe(ReactionChanged, listen)
    message = await env.fake.message_create(env.alice)
    await env.fake.reaction(env.bob, int(message["id"]), "👍", message_author=env.alice)
    await env.fake.reaction(env.bob, int(message["id"]), "👍", added=False)
    for _ in range(500):
        if len(seen) == 2:
            break
        await asyncio.sleep(0.01)
    # Each gateway event is handled in its own task: order the two by kind, not arrival.
    (added, where, who), (removed, _, who2) = sorted(seen, key=lambda s: not s[0].added)
    assert added.added and not removed.added and added.emoji == "👍"
    assert added.message_ref.message_id == message["id"]
    assert added.author is not None and added.author.user_id == str(env.alice.id)
    assert who == who2 == str(env.bob.id)
    assert where.space_id == str(env.fake.guild_id) and where.channel_id == str(env.fake.channel_id)


async def test_replies_arrive_as_posted_events(env: Env) -> None:
    seen: list[Posted] = []

    async def listen(_deps: Any, published: Any) -> list[Reply]:

        ctx = published.context
        seen.append(ctx.event.payload)  # type: ignore[arg-type]
        return []

    env.core.deps.events.subscribe(MessagePosted, listen)
    question = await env.fake.message_create(env.alice)
    answer = await env.fake.message_create(env.bob, reply_to=question)
    for _ in range(500):
        if len(seen) == 2:
            break
        await asyncio.sleep(0.01)
    by_id = {posted.message_ref.message_id: posted for posted in seen}  # tasks race: by id
    assert by_id[question["id"]].reply_to is None
    reply = by_id[answer["id"]]
    assert reply.reply_to is not None and reply.reply_to.message_id == question["id"]
    assert reply.reply_to_author is not None
    assert reply.reply_to_author.user_id == str(env.alice.id)


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


async def test_mark_as_helpful_context_menu(make_env: EnvFactory) -> None:
    seen: list[Command] = []
    env = await make_env(registry_hook=_capture_helpful(seen))
    fake = env.fake
    assert fake.find_command("Mark as helpful", kind=3)
    question = await fake.message_create(env.bob)
    target = await fake.message_create(env.alice, reply_to=question)
    payload = fake.message_command("Mark as helpful", env.bob, target)
    await fake.send_interaction(payload)
    callback = await fake.wait_callback(payload["id"])
    assert callback.json["type"] == 5 and callback.flags & EPHEMERAL  # the mark is private
    assert text_of(await env.original(payload["token"]))
    (command,) = seen
    assert command.name == "helpful" and command.reply_to is not None
    assert command.reply_to.message_id == target["id"]
    assert command.reply_to_author is not None
    assert command.reply_to_author.user_id == str(env.alice.id)


async def test_forum_post_instead_of_thread(make_env: EnvFactory) -> None:
    env = await make_env()
    env.adapter.settings = env.adapter.settings.model_copy(
        update={"forum_channel_id": env.fake.forum_id}
    )
    await env.propose(env.alice, "Forum topic")
    post = (await env.fake.wait_for("POST", rf"/channels/{env.fake.forum_id}/threads"))[0]
    assert post.json["name"] == "#1 Forum topic"
    assert post.json["message"]["allowed_mentions"] == {"parse": []}
    assert not env.fake.find("POST", r"/channels/\d+/messages/\d+/threads")


async def test_scheduled_result_is_delivered_to_its_channel(env: Env) -> None:
    fake = env.fake
    where = Where("discord", str(fake.guild_id), str(fake.channel_id))
    await env.adapter.deliver(
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
    settings = load_settings(
        database_url=f"sqlite:///{tmp_path}/s.db",
        charts_dir=tmp_path,
        discord={"token": "x", "shard_ids": [1, 3], "shard_count": 4},
    )
    core = await build_core(settings)
    try:
        adapter = DiscordAdapter(core)
        assert adapter.client.shard_ids == [1, 3] and adapter.client.shard_count == 4
        bad = settings.model_copy(
            update={"discord": settings.discord.model_copy(update={"shard_count": None})}
        )
        core.settings = bad
        with pytest.raises(ValueError, match="DISCORD_SHARD_COUNT"):
            DiscordAdapter(core)
    finally:
        await core.close()
