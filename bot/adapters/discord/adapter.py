"""The Discord adapter: interactions and gateway events in, neutral events to the
dispatcher, replies back out as interaction responses, follow-ups and channel messages.

Interaction rules (Discord gives 3 seconds for the first answer):

* Slash commands and the context menu are deferred first thing ("thinking"), before
  any database, chain or model work. The deferral is ephemeral when the command's
  success reply is private (a vote receipt), public otherwise.
* Discord ignores the ephemeral flag of the first follow-up after a deferral: it edits
  the loading message and keeps the deferral's visibility. So the first reply whose
  visibility matches the deferral *edits the original response*; when it does not
  match (a refusal to a public command, a private reply to a public one), the loading
  message is deleted and the reply goes out as a follow-up with its own flag. Refusals
  (`meta["error"]`) are always ephemeral.
* Button presses are deferred as DEFERRED_UPDATE_MESSAGE (no visible loading state);
  their replies are follow-ups (receipts ephemeral) and the card is edited in place.
* Refresh markers (`Reply.edit`) are coalesced by `CardRefresher`.

Everything sent carries `AllowedMentions.none()`; message text is never read (no
message-content intent) — reactions and replies arrive as raw events.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.adapters.base import wait_for_event
from bot.adapters.discord import endpoints
from bot.adapters.discord.cards import CardRefresher
from bot.adapters.discord.client import GovClient
from bot.adapters.discord.history import read_thread
from bot.adapters.discord.people import PLATFORM, actor_of, where_of
from bot.adapters.discord.render import NO_MENTIONS, Part, render, thread_name
from handlers.core.codec import decode
from handlers.core.errors import DomainError
from handlers.core.types import (
    Actor,
    CardKey,
    Command,
    Event,
    MessageRef,
    Posted,
    Press,
    Reaction,
    Reply,
    Where,
)
from handlers.reach.summaries.ports import ThreadMessage

if TYPE_CHECKING:
    from bot.adapters.base import AdapterHost
    from handlers.core.registry import CommandSpec

log = logging.getLogger(__name__)

MAX_CHOICES = 25
CHOICE_NAME_LIMIT = 100
DRAIN_SECONDS = 10.0  # when stop() is given no deadline
NO_USER = "Sorry, Discord did not say who sent this, so it was not carried out."
STOPPING = "govbot is restarting and did not carry this out. Please try again in a minute."


def replies_privately(spec: CommandSpec | None) -> bool:
    if spec is None:
        return False
    return spec.private


def _ids(interaction: discord.Interaction) -> str:
    return (
        f"guild={interaction.guild_id} channel={interaction.channel_id} "
        f"interaction={interaction.id}"
    )


class DiscordAdapter:
    platform = PLATFORM

    def __init__(
        self,
        host: AdapterHost,
        *,
        refresh_interval: float = 1.0,
        client_options: dict[str, Any] | None = None,
    ) -> None:
        settings = host.settings_for(PLATFORM)
        if settings.token is None:
            raise ValueError("DiscordAdapter needs DISCORD_TOKEN")
        if settings.shard_ids and settings.shard_count is None:
            raise ValueError("DISCORD_SHARD_IDS needs DISCORD_SHARD_COUNT (the total shard count)")
        self.host = host
        self.settings = settings
        self._ready = asyncio.Event()
        self.refresher = CardRefresher(self.refresh_card, refresh_interval)
        self.client = GovClient(
            self,
            guild_ids=list(settings.guild_ids),
            shard_ids=list(settings.shard_ids) if settings.shard_ids else None,
            shard_count=settings.shard_count,
            pinned_gateway=bool(settings.gateway_url),
            message_content=bool(getattr(settings, "message_content", False)),
            **(client_options or {}),
        )
        self._stopping = False
        self._inflight: set[asyncio.Task[Any]] = set()

    # ----- Adapter protocol ----------------------------------------------------------
    @property
    def connected(self) -> bool:
        """READY was received and the gateway connection is open."""
        return self._ready.is_set() and not self._stopping and not self.client.is_closed()

    async def ready(self, timeout: float | None = None) -> bool:
        """Wait until connected and serving (tests and benchmarks start here); False on timeout."""
        return await wait_for_event(self._ready, timeout)

    def mark_ready(self) -> None:
        self._ready.set()

    async def run(self) -> None:
        """Connect and serve until `stop()`; endpoint overrides apply while running."""
        if self._stopping:
            return
        restore = endpoints.apply(self.settings.api_base_url, self.settings.gateway_url)
        token = self.settings.token.get_secret_value()  # type: ignore[union-attr]
        try:
            async with self.client:
                await self.client.start(token)
        finally:
            await self.refresher.close()
            restore()

    async def stop(self, deadline: float | None = None) -> None:
        """Take no new interactions (they are told to retry), finish those in flight and
        the pending card edits by `deadline` (event-loop time), then disconnect.

        An interaction counts as in flight from the moment its handler starts, before
        its deferral, so one that arrived just before the signal gets its final answer
        too; the set is re-read until it is empty, since a handler scheduled before the
        signal may start after it."""
        self._stopping = True
        loop = asyncio.get_running_loop()
        deadline = deadline if deadline is not None else loop.time() + DRAIN_SECONDS
        me = asyncio.current_task()
        while pending := [task for task in self._inflight if task is not me]:
            left = deadline - loop.time()
            if left <= 0:
                log.warning("%d interactions still running at the drain deadline", len(pending))
                break
            await asyncio.wait(pending, timeout=left)
        try:
            await asyncio.wait_for(self.refresher.flush(), max(0.5, deadline - loop.time()))
        except TimeoutError:
            log.warning("card refreshes still pending at stop; dropped")
        await self.client.close()

    @contextlib.contextmanager
    def _in_flight(self) -> Iterator[None]:
        """Count the running handler as in flight until it returns (stop() waits for it)."""
        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)
        try:
            yield
        finally:
            if task is not None:
                self._inflight.discard(task)

    async def _refuse_stopping(self, interaction: discord.Interaction) -> None:
        with contextlib.suppress(discord.HTTPException):
            await interaction.response.send_message(STOPPING, ephemeral=True)

    async def deliver(self, reply: Reply) -> None:
        """A reply that names its place (scheduled results): post it in that channel."""
        if reply.where is not None and reply.where.platform != PLATFORM:
            await self.host.route([reply])  # another platform's (a card copy, a refresh)
            return
        if reply.edit:  # a card refresh: edit every copy of the card on Discord
            if reply.card is not None:
                self.refresher.request(reply.card)
            return
        where = reply.where
        if where is None:
            raise ValueError("deliver() needs reply.where")
        if reply.private:
            log.warning("dropping a private reply without a recipient channel=%s", where.channel_id)
            return
        channel: discord.abc.Messageable = self.client.get_partial_messageable(
            int(where.channel_id), guild_id=int(where.space_id) if where.space_id else None
        )
        if where.is_private:  # a direct message to a member (private reminders): id = user
            channel = await self.client.create_dm(discord.Object(int(where.channel_id)))
        reference = None
        if target := reply.meta.get("reply_to_message"):
            reference = discord.MessageReference(
                message_id=int(target), channel_id=int(where.channel_id), fail_if_not_exists=False
            )
        first: discord.Message | None = None
        for index, part in enumerate(render(reply)):
            extra: dict[str, Any] = {"reference": reference} if index == 0 and reference else {}
            message = await channel.send(**part.send_kwargs(), **extra)
            first = first or message
        if first is not None:
            await self._after_send(reply, where, first)

    # ----- interactions ----------------------------------------------------------------
    async def on_command(
        self, interaction: discord.Interaction, name: str, values: dict[str, Any]
    ) -> None:
        """A slash command: defer, dispatch with typed options, answer."""
        with self._in_flight():
            if self._stopping:
                await self._refuse_stopping(interaction)
                return
            spec = self.host.command(name)
            private = replies_privately(spec)
            if not await self._defer(interaction, thinking=True, ephemeral=private):
                return
            options = {k: v for k, v in values.items() if v is not None}
            await self._run(interaction, Command(name, options=options), deferred_private=private)

    async def on_context(
        self, interaction: discord.Interaction, message: discord.Message, name: str
    ) -> None:
        """A message context menu ("Mark as helpful"): the command as a reply to it."""
        with self._in_flight():
            if self._stopping:
                await self._refuse_stopping(interaction)
                return
            private = replies_privately(self.host.command(name))
            if not await self._defer(interaction, thinking=True, ephemeral=private):
                return
            ref = MessageRef(PLATFORM, str(message.channel.id), str(message.id))
            author = actor_of(message.author, admin_role=self.settings.admin_role)
            command = Command(name, reply_to=ref, reply_to_author=author)
            await self._run(interaction, command, deferred_private=private)

    async def on_press(self, interaction: discord.Interaction, custom_id: str) -> None:
        """A card button: acknowledge without a loading message, dispatch, follow up."""
        with self._in_flight():
            if self._stopping:
                await self._refuse_stopping(interaction)
                return
            if not await self._defer(interaction, thinking=False, ephemeral=False):
                return
            message = interaction.message
            ref = (
                MessageRef(PLATFORM, str(interaction.channel_id), str(message.id))
                if message
                else None
            )
            try:
                action, args = decode(custom_id)
            except DomainError as error:
                reply = Reply(error.message, meta={"error": "button"})
                await self._answer(interaction, [reply], None)
                return
            await self._run(interaction, Press(action, args, ref), deferred_private=None)

    async def _defer(
        self, interaction: discord.Interaction, *, thinking: bool, ephemeral: bool
    ) -> bool:
        if not isinstance(interaction.user, discord.User | discord.Member):
            # Discord always sends member or user; without one discord.py leaves a MISSING
            # sentinel, and there is nobody to act for: refuse instead of failing later.
            log.warning("refusing an interaction without a user %s", _ids(interaction))
            with contextlib.suppress(discord.HTTPException):
                await interaction.response.send_message(NO_USER, ephemeral=True)
            return False
        try:
            await interaction.response.defer(thinking=thinking, ephemeral=ephemeral)
        except discord.HTTPException as error:
            log.warning("could not defer %s: %s", _ids(interaction), error)
            return False
        return True

    def _event(self, interaction: discord.Interaction, payload: Any) -> Event:
        actor = actor_of(
            interaction.user,
            admin_role=self.settings.admin_role,
            permissions=interaction.permissions,
        )
        where = where_of(interaction.guild_id, interaction.channel, interaction.channel_id)
        return Event(actor, where, payload, at=interaction.created_at)

    async def _run(
        self, interaction: discord.Interaction, payload: Any, *, deferred_private: bool | None
    ) -> None:
        try:
            replies = await self.host.dispatch(self._event(interaction, payload))
            await self._answer(interaction, replies, deferred_private)
        except Exception:
            log.exception("answering failed %s", _ids(interaction))
            with contextlib.suppress(discord.HTTPException):
                await interaction.followup.send(
                    "Sorry, that reply could not be delivered.",
                    ephemeral=True,
                    allowed_mentions=NO_MENTIONS,
                )

    async def _answer(
        self, interaction: discord.Interaction, replies: list[Reply], deferred_private: bool | None
    ) -> None:
        """Send replies to a deferred interaction (see the module docstring for the rules).

        `deferred_private` is the visibility of a thinking deferral, None when there is
        no loading message to resolve (button presses).
        """
        pending_original = deferred_private is not None
        origin = where_of(interaction.guild_id, interaction.channel, interaction.channel_id)
        for reply in replies:
            if reply.where is not None and reply.where.platform != PLATFORM:
                await self._deliver_elsewhere(reply)  # a card copy or refresh elsewhere
                continue
            if reply.edit:
                if reply.card is not None:
                    self.refresher.request(reply.card)
                continue
            if reply.where is not None and reply.where.channel_id != origin.channel_id:
                await self._deliver_elsewhere(reply)
                continue
            private = reply.private or "error" in reply.meta
            first: discord.Message | None = None
            for part in render(reply):
                message: discord.Message
                if pending_original:
                    pending_original = False
                    if private == deferred_private:
                        message = await interaction.edit_original_response(**part.edit_kwargs())
                    else:
                        await interaction.delete_original_response()
                        message = await self._follow_up(interaction, part, private)
                else:
                    message = await self._follow_up(interaction, part, private)
                first = first or message
            if first is not None and not private:
                await self._after_send(reply, origin, first)
        if pending_original:  # nothing to show here (only refreshes, or posted elsewhere)
            await interaction.delete_original_response()

    async def _follow_up(
        self, interaction: discord.Interaction, part: Part, private: bool
    ) -> discord.Message:
        return await interaction.followup.send(wait=True, ephemeral=private, **part.send_kwargs())

    async def _deliver_elsewhere(self, reply: Reply) -> None:
        if reply.where is not None and reply.where.platform == PLATFORM:
            try:
                await self.deliver(reply)
            except Exception:
                log.exception("delivering elsewhere failed where=%s", reply.where)
            return
        await self.host.route([reply])  # another platform's adapter; route logs failures

    async def _after_send(self, reply: Reply, where: Where, message: discord.Message) -> None:
        """Remember cards; open the discussion thread (or forum post)."""
        channel_id = str(getattr(message.channel, "id", None) or where.channel_id)
        if reply.card is not None:
            await self.host.card_sent(reply.card, PLATFORM, channel_id, str(message.id))
        if reply.thread_title and where.thread_id is None:
            await self._open_thread(reply.thread_title, where, int(channel_id), message)

    async def _open_thread(
        self, title: str, where: Where, channel_id: int, message: discord.Message
    ) -> None:
        name = thread_name(title)
        guild_id = int(where.space_id) if where.space_id else None
        try:
            forum_id = self.settings.forum_channel_id
            if forum_id:
                forum = self.client.get_channel(forum_id) or await self.client.fetch_channel(
                    forum_id
                )
                if not isinstance(forum, discord.ForumChannel):
                    raise TypeError(f"forum_channel_id {forum_id} is not a forum channel")
                await forum.create_thread(
                    name=name,
                    content=f"Discussion of {message.jump_url}",
                    allowed_mentions=NO_MENTIONS,
                )
            else:
                channel = self.client.get_partial_messageable(channel_id, guild_id=guild_id)
                await channel.get_partial_message(message.id).create_thread(name=name)
        except (discord.HTTPException, TypeError, ValueError) as error:
            log.warning(
                "could not open a thread guild=%s channel=%s message=%s: %s",
                guild_id,
                channel_id,
                message.id,
                error,
            )

    # ----- cards ----------------------------------------------------------------------------
    async def refresh_card(self, key: CardKey) -> None:
        """Re-render a card from the database and edit each Discord copy in place."""
        reply = await self.host.render_card(key)
        if reply is None:
            return
        part = render(reply)[0]
        for channel_id, message_id in await self.host.card_places(key, PLATFORM):
            channel = self.client.get_partial_messageable(int(channel_id))
            try:
                await channel.get_partial_message(int(message_id)).edit(**part.edit_kwargs())
            except discord.NotFound:
                log.info(
                    "card message gone card=%s channel=%s message=%s", key, channel_id, message_id
                )
            except discord.HTTPException as error:
                log.warning("card edit failed card=%s channel=%s: %s", key, channel_id, error)

    # ----- autocomplete ------------------------------------------------------------------------
    def _space(self, guild_id: int | None) -> str:
        return str(guild_id) if guild_id else (self.settings.home_guild_id or "")

    async def _complete(
        self, interaction: discord.Interaction, kind: str, current: str
    ) -> list[tuple[str, Any]]:
        options = {k: v for k, v in vars(interaction.namespace).items() if not k.startswith("_")}
        return await self.host.complete(
            PLATFORM,
            self._space(interaction.guild_id),
            kind,
            str(current or ""),
            options,
            max_items=MAX_CHOICES,
            max_label=CHOICE_NAME_LIMIT,
        )

    def completer(
        self, kind: str, value_type: type
    ) -> Callable[[discord.Interaction, str], Awaitable[list[app_commands.Choice[Any]]]]:
        """The autocomplete callback of a parameter: the feature's completer for `kind`
        (proposal ids, a proposal's choices, council names…), values typed as the
        parameter is (Discord refuses an int option completed with strings)."""
        cast: Callable[[Any], Any] = int if value_type is int else str

        async def complete(
            interaction: discord.Interaction, current: str
        ) -> list[app_commands.Choice[Any]]:
            found = await self._complete(interaction, kind, current)
            return [app_commands.Choice(name=label, value=cast(value)) for label, value in found]

        return complete

    # ----- gateway events ------------------------------------------------------------------------
    async def on_reaction(self, payload: discord.RawReactionActionEvent, *, added: bool) -> None:
        """Raw reaction add/remove → a neutral Reaction (no message cache needed)."""
        if payload.guild_id is None:
            return
        if self.client.user is not None and payload.user_id == self.client.user.id:
            return
        guild = self.client.get_guild(payload.guild_id)
        member = payload.member or (guild.get_member(payload.user_id) if guild else None)
        actor = actor_of(
            member or discord.Object(id=payload.user_id), admin_role=self.settings.admin_role
        )
        if actor.is_bot:
            return
        author: Actor | None = None
        if payload.message_author_id is not None:
            known = guild.get_member(payload.message_author_id) if guild else None
            author = actor_of(known or discord.Object(id=payload.message_author_id))
        where = where_of(
            payload.guild_id, self.client.get_channel(payload.channel_id), payload.channel_id
        )
        ref = MessageRef(PLATFORM, str(payload.channel_id), str(payload.message_id))
        event = Event(actor, where, Reaction(ref, author, str(payload.emoji), added))
        await self._passive(event)

    async def read_thread(self, thread_id: str, limit: int) -> list[ThreadMessage]:
        """A thread's newest messages for /summary (bot/adapters/discord/history.py)."""
        return await read_thread(
            self.client,
            thread_id,
            limit,
            message_content=bool(getattr(self.settings, "message_content", False)),
        )

    async def on_message(self, message: discord.Message) -> None:
        """A member's message → Posted (with the reply reference); its text is not read."""
        if message.guild is None or message.author.bot or message.webhook_id is not None:
            return
        if message.type not in (discord.MessageType.default, discord.MessageType.reply):
            return
        reply_to: MessageRef | None = None
        reply_to_author: Actor | None = None
        ref = message.reference
        if (
            ref is not None
            and ref.message_id is not None
            and ref.type is discord.MessageReferenceType.reply
        ):
            reply_to = MessageRef(PLATFORM, str(ref.channel_id), str(ref.message_id))
            if isinstance(ref.resolved, discord.Message):
                reply_to_author = actor_of(ref.resolved.author, admin_role=self.settings.admin_role)
        actor = actor_of(message.author, admin_role=self.settings.admin_role)
        where = where_of(message.guild.id, message.channel, message.channel.id)
        posted = Posted(
            MessageRef(PLATFORM, str(message.channel.id), str(message.id)),
            reply_to,
            reply_to_author,
        )
        await self._passive(Event(actor, where, posted, at=message.created_at))

    async def _passive(self, event: Event) -> None:
        """Dispatch a reaction or message; refusals stay silent, the rest is posted."""
        if self._stopping:
            return  # a reaction or message after the signal is not taken in
        with self._in_flight():
            await self._passive_now(event)

    async def _passive_now(self, event: Event) -> None:
        try:
            replies = await self.host.dispatch(event)
        except Exception:
            log.exception(
                "event failed guild=%s channel=%s", event.where.space_id, event.where.channel_id
            )
            return
        for reply in replies:
            try:
                if "error" in reply.meta:
                    log.debug("passive refusal dropped: %s", reply.meta)
                elif reply.edit or reply.where is not None:
                    await (self.deliver(reply) if reply.where is not None else self._mark(reply))
                elif reply.private:
                    await self._direct(event.actor, reply)
                else:
                    await self.deliver(Reply(**{**_fields(reply), "where": event.where}))
            except discord.HTTPException as error:
                log.warning("passive reply failed channel=%s: %s", event.where.channel_id, error)

    async def _mark(self, reply: Reply) -> None:
        if reply.card is not None:
            self.refresher.request(reply.card)

    async def _direct(self, actor: Actor, reply: Reply) -> None:
        """A private reply outside an interaction: a direct message."""
        user = self.client.get_user(int(actor.user_id)) or await self.client.fetch_user(
            int(actor.user_id)
        )
        for part in render(reply):
            await user.send(**part.send_kwargs())


def _fields(reply: Reply) -> dict[str, Any]:
    return {name: getattr(reply, name) for name in reply.__dataclass_fields__}
