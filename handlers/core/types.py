"""The neutral vocabulary every handler speaks, so one handler serves every platform.

Adapters translate platform objects into these frozen dataclasses and render the
replies back; handlers never see a discord.py or python-telegram-bot object.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

PLATFORMS = ("console", "telegram", "discord")


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did something, as the platform tells it."""

    platform: str
    user_id: str
    display_name: str
    roles: tuple[str, ...] = ()
    is_admin: bool = False
    account_created: datetime | None = None
    is_bot: bool = False


@dataclass(frozen=True, slots=True)
class Where:
    """Where it happened: the platform's space (guild, group chat), channel and thread."""

    platform: str
    space_id: str
    channel_id: str
    thread_id: str | None = None
    is_private: bool = False


@dataclass(frozen=True, slots=True)
class MessageRef:
    """A message on a platform, enough for the adapter to reply to or edit it."""

    platform: str
    channel_id: str
    message_id: str


@dataclass(frozen=True, slots=True)
class Command:
    """A command: raw text after the name (text platforms) or typed options (Discord)."""

    name: str
    text: str = ""
    options: dict[str, Any] | None = None
    reply_to: MessageRef | None = None
    reply_to_author: Actor | None = None


@dataclass(frozen=True, slots=True)
class Press:
    """A button press, decoded from the `gov:<action>:<arg>…` codec."""

    action: str
    args: tuple[str, ...]
    message: MessageRef | None = None


@dataclass(frozen=True, slots=True)
class Reaction:
    """An emoji added to or removed from a message."""

    message_ref: MessageRef
    author: Actor | None
    emoji: str
    added: bool


@dataclass(frozen=True, slots=True)
class Posted:
    """A plain chat message, possibly a reply to another.

    `text` is given by platforms that cannot fetch history later (Telegram, the
    console); only summaries keep it, and only for proposal threads with summaries on.
    `thread_root` is the message a forum topic's discussion hangs off (its card), when
    the adapter knows it.
    """

    message_ref: MessageRef
    reply_to: MessageRef | None = None
    reply_to_author: Actor | None = None
    text: str | None = None
    thread_root: MessageRef | None = None


@dataclass(frozen=True, slots=True)
class JoinRequest:
    """A request to join the event's group (Telegram `chat_join_request`)."""

    chat_id: str
    user_chat_id: str | None = None  # where the bot may write to the applicant


Payload = Command | Press | Reaction | Posted | JoinRequest


@dataclass(frozen=True, slots=True)
class Event:
    """One thing that happened, with who and where."""

    actor: Actor
    where: Where
    payload: Payload
    at: datetime | None = None
    # The platform's id for this delivery (a Telegram update), when the platform may
    # deliver the same event again: effects keyed by it apply once (ballots record it).
    key: str | None = None


@dataclass(frozen=True, slots=True)
class Button:
    """A button under a message; its action and args travel in the `gov:` codec."""

    label: str
    action: str
    args: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CardKey:
    """Names a live card (e.g. a proposal's status card) so adapters can remember and edit it."""

    kind: str
    community_id: int
    subject_id: int


@dataclass(frozen=True, slots=True)
class Reply:
    """Something the bot says.

    `text` uses the tiny markup of `handlers.core.markup`. `private` sends it to the actor
    only (DM on Telegram, ephemeral on Discord). `card` asks the adapter to remember the
    sent message as that card; `edit` asks it to edit the remembered card instead of
    sending. `thread_title` opens a discussion thread on the sent message. `where`
    targets another place (scheduled results, other platforms); None means the origin.
    """

    text: str
    buttons: tuple[Button, ...] = ()
    image: str | None = None
    private: bool = False
    card: CardKey | None = None
    edit: bool = False
    thread_title: str | None = None
    where: Where | None = None
    title: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
