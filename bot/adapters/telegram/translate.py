"""python-telegram-bot objects → the neutral vocabulary (Actor, Where, MessageRef, …).

Pure functions, no network: what needs the Bot API (is this member an admin?) lives in
`memory.AdminCache`, so translation stays trivially testable.
"""

from __future__ import annotations

import re

from telegram import (
    Chat,
    Message,
    MessageEntity,
    ReactionType,
    ReactionTypeCustomEmoji,
    ReactionTypeEmoji,
    User,
)
from telegram.constants import ChatType

from handlers.core.types import Actor, MessageRef, Where

PLATFORM = "telegram"
# What Telegram itself marks as a bot command: /name or /name@bot at the start.
COMMAND_TEXT = re.compile(r"^/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{1,64})?(?=\s|$)")


def display_name(user: User) -> str:
    """What members call each other: the full name, else @username, else the id."""
    return user.full_name.strip() or (f"@{user.username}" if user.username else str(user.id))


def actor_of(user: User, *, is_admin: bool = False) -> Actor:
    return Actor(PLATFORM, str(user.id), display_name(user), is_admin=is_admin, is_bot=user.is_bot)


def topic_of(message: Message | None) -> int | None:
    """The forum topic a message is in (None for General and for non-forum chats)."""
    if message is None or not message.is_topic_message:
        return None
    return message.message_thread_id


def is_private(chat: Chat) -> bool:
    return chat.type == ChatType.PRIVATE


def where_of(chat_id: int, *, private: bool, thread_id: int | None = None) -> Where:
    """Groups are their own space; private chats resolve to the home community (core rule)."""
    return Where(
        PLATFORM,
        str(chat_id),
        str(chat_id),
        str(thread_id) if thread_id is not None else None,
        is_private=private,
    )


def message_ref(chat_id: int, message_id: int) -> MessageRef:
    return MessageRef(PLATFORM, str(chat_id), str(message_id))


def command_of(message: Message) -> tuple[str, str, str] | None:
    """(name, addressee, rest) of `/name@addressee rest`; None when not a command.

    Telegram marks commands with a bot_command entity; a message that has no entities
    at all (some Bot API test servers omit them) is recognised by its text instead. The
    rest keeps its line breaks: `/describe 3 first line⏎second line` is one text.
    """
    text = message.text or ""
    entity = next(
        (
            e
            for e in message.entities
            if e.type == MessageEntity.BOT_COMMAND and e.offset == 0 and e.length > 1
        ),
        None,
    )
    if entity is not None:
        length = entity.length
    elif not message.entities and (found := COMMAND_TEXT.match(text)) is not None:
        length = found.end()
    else:
        return None
    name, _, addressee = text[1:length].partition("@")
    return name.casefold(), addressee, text[length:].strip()


def replied_message(message: Message) -> Message | None:
    """The message this one really replies to.

    In a forum topic Telegram marks every message as a reply to the topic's creation
    message; that is the topic, not a reply, so it is not reported as one.
    """
    replied = message.reply_to_message
    if replied is None or replied.forum_topic_created is not None:
        return None
    if message.is_topic_message and replied.message_id == message.message_thread_id:
        return None
    return replied


def reaction_key(reaction: ReactionType) -> str:
    """One string per reaction: the emoji itself, `custom:<id>`, or the type (paid)."""
    if isinstance(reaction, ReactionTypeEmoji):
        return reaction.emoji
    if isinstance(reaction, ReactionTypeCustomEmoji):
        return f"custom:{reaction.custom_emoji_id}"
    return str(reaction.type)


def reaction_changes(
    old: tuple[ReactionType, ...], new: tuple[ReactionType, ...]
) -> tuple[list[str], list[str]]:
    """(added, removed) emoji between a member's old and new reaction sets, in order."""
    before = [reaction_key(r) for r in old]
    after = [reaction_key(r) for r in new]
    added = [key for key in after if key not in before]
    removed = [key for key in before if key not in after]
    return added, removed
