"""A proposal thread's messages, read when /summary asks (discord.py `history()`).

Discord keeps the history, so govbot stores none of it: the thread opened on a card
has the card message's id, and its newest messages are fetched at request time. Their
text needs the privileged Message Content intent (`discord.message_content`); without
it every message arrives empty, so the read is refused with that reason instead of
summarising nothing. Bot messages (the card, reminders, earlier summaries) are skipped;
mentions are turned into display names (`clean_content`) so none reaches the model as
an id it could echo back.
"""

from __future__ import annotations

import discord

from handlers.reach.summaries.ports import HistoryUnavailable, ThreadMessage

NO_INTENT = (
    "the bot does not read message text on Discord: set discord.message_content = true "
    "and switch on the Message Content intent in the Developer Portal"
)


async def read_thread(
    client: discord.Client, thread_id: str, limit: int, *, message_content: bool
) -> list[ThreadMessage]:
    if not message_content:
        raise HistoryUnavailable(NO_INTENT)
    channel = client.get_channel(int(thread_id)) or client.get_partial_messageable(int(thread_id))
    found: list[ThreadMessage] = []
    try:
        async for message in channel.history(limit=limit):  # type: ignore[union-attr]
            if message.author.bot or message.webhook_id is not None:
                continue
            found.append(
                ThreadMessage(
                    message.author.display_name,
                    message.clean_content,
                    message.created_at.timestamp(),
                )
            )
    except discord.Forbidden:
        raise HistoryUnavailable(
            "the bot may not read this thread (Read Message History)"
        ) from None
    except discord.NotFound:
        raise HistoryUnavailable("the thread no longer exists") from None
    except discord.HTTPException as error:
        raise HistoryUnavailable(f"Discord answered HTTP {error.status}") from None
    found.reverse()
    return found
