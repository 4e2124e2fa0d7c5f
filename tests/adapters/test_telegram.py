"""Telegram end to end: the real python-telegram-bot Application against the local fake.

Every test runs the adapter as `govbot run` does (its own task, polling or webhook over
loopback; tests/harness/telegram_env.py) and talks to it only through `FakeTelegramAPI`:
updates in via getUpdates or the webhook, Bot API calls out, asserted on exactly as
Telegram would receive them.
"""

from __future__ import annotations

import asyncio
import dataclasses
import html
import logging
import signal
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.telegram import ALLOWED_UPDATES
from bot.adapters.telegram.render import WORD_JOINER, html_chunks, visible_length
from bot.app import Core
from handlers.core.codec import encode
from handlers.core.context import Context
from handlers.core.events import MessagePosted, ReactionChanged
from handlers.core.ports import ManualClock
from handlers.core.registry import CommandSpec
from handlers.core.types import Reply, Where
from tests.harness.core import core_env, halt, serve
from tests.harness.fakes.telegram_api import FakeTelegramAPI
from tests.harness.process import bot_env, bot_process, free_port
from tests.harness.telegram_env import (
    ALICE,
    BOB,
    CAROL,
    FORUM,
    GROUP,
    TOKEN,
    TelegramEnv,
    start_telegram,
    telegram_adapter,
    telegram_env,
    telegram_settings,
)
from tests.harness.waiting import until


# ----- start-up ----------------------------------------------------------------------
async def test_startup_registers_commands_and_asks_for_reactions(tg: TelegramEnv) -> None:
    commands = await tg.fake.wait_for("setMyCommands")
    names = [c["command"] for c in commands[0].params["commands"]]
    assert {s.name for s in tg.core.commands_on("telegram") if s.listed} <= set(names)
    polls = await tg.fake.wait_for("getUpdates")
    assert "message_reaction" in polls[0].params["allowed_updates"]
    assert set(polls[0].params["allowed_updates"]) == set(ALLOWED_UPDATES)
    assert tg.fake.calls_to("deleteWebhook"), "polling must clear a stale webhook first"


async def test_help_in_group_and_in_dm(tg: TelegramEnv) -> None:
    [reply] = await tg.command(GROUP, ALICE, "/help")
    assert reply.params["parse_mode"] == "HTML"
    assert "<b>govbot commands</b>" in reply.params["text"]
    assert reply.params["reply_parameters"]["message_id"] > 0  # answers the command
    [usage] = await tg.command(ALICE, ALICE, "/help vote")
    assert usage.params["chat_id"] == ALICE
    assert "Usage: /vote" in usage.params["text"]
    [refusal] = await tg.command(GROUP, ALICE, "/help frobnicate")
    assert "Unknown command /frobnicate" in refusal.params["text"]


async def test_command_addressed_with_bot_name(tg: TelegramEnv) -> None:
    [reply] = await tg.command(GROUP, ALICE, "/help@govbot_test_bot propose")
    assert "Usage: /propose" in reply.params["text"]
    before = len(tg.fake.sent())
    tg.fake.send_text(GROUP, ALICE, "/help@some_other_bot")  # not ours: stay silent
    await tg.command(GROUP, ALICE, "/proposals")  # …while the next command is answered
    assert len(tg.fake.sent()) == before + 1


async def test_commands_without_entities_are_still_commands(tg: TelegramEnv) -> None:
    """Telegram always marks commands; a test server that does not is served anyway."""
    [reply] = await tg.command(GROUP, ALICE, "/help vote", entities=[])
    assert "Usage: /vote" in reply.params["text"]


async def test_unknown_command_is_refused(tg: TelegramEnv) -> None:
    [reply] = await tg.command(GROUP, ALICE, "/frobnicate now")
    assert reply.params["text"] == "Unknown command /frobnicate. Try /help."
    [dm] = await tg.command(ALICE, ALICE, "/Frobnicate")
    assert dm.params["chat_id"] == ALICE and "Unknown command /frobnicate" in dm.params["text"]


# ----- proposals and votes ---------------------------------------------------------------
async def test_propose_posts_a_card_with_vote_buttons_in_a_plain_group(tg: TelegramEnv) -> None:
    card = await tg.propose(GROUP, ALICE, "Adopt the charter | yes | no hours=2")
    text = card.params["text"]
    assert text.startswith("<b>#1 Adopt the charter</b> · open")
    rows = card.params["reply_markup"]["inline_keyboard"]
    buttons = [b for row in rows for b in row]
    assert [b["text"] for b in buttons] == ["yes", "no"]
    assert [b["callback_data"] for b in buttons] == [
        encode("vote", ("1", "0")),
        encode("vote", ("1", "1")),
    ]
    assert not tg.fake.calls_to("createForumTopic"), "a plain group has no topics"
    assert "message_thread_id" not in card.params
    [refusal] = await tg.command(GROUP, ALICE, "/propose Only a title")
    assert "Usage: /propose" in refusal.params["text"]


async def test_proposals_and_proposal(tg: TelegramEnv) -> None:
    [empty] = await tg.command(GROUP, ALICE, "/proposals")
    assert empty.params["text"] == "No open proposals. Open one with /propose."
    await tg.propose(GROUP, ALICE, "Pick a logo | circle | square")
    [listing] = await tg.command(GROUP, BOB, "/proposals")
    assert "<b>#1 Pick a logo</b>" in listing.params["text"]
    [card] = await tg.command(GROUP, BOB, "/proposal 1")
    assert card.params["text"].startswith("<b>#1 Pick a logo</b> · open")
    assert card.params["reply_markup"]["inline_keyboard"]
    [missing] = await tg.command(GROUP, BOB, "/proposal 99")
    assert missing.params["text"] == "There is no proposal #99 here. See /proposals."
    [bad] = await tg.command(GROUP, BOB, "/proposal abc")
    assert "must be a whole number" in bad.params["text"]


async def test_vote_command_receipt_by_dm_and_card_edited_in_place(tg: TelegramEnv) -> None:
    card = await tg.propose(GROUP, ALICE, "Adopt the charter | yes | no")
    card_id = card.result["message_id"]
    [receipt] = await tg.command(GROUP, BOB, "/vote 1 yes")
    assert receipt.params["chat_id"] == BOB, "the receipt is private"
    assert receipt.params["text"].startswith("Vote recorded on #1: yes")
    assert "Receipt: <code>" in receipt.params["text"]
    edits = await tg.fake.wait_for("editMessageText", chat_id=GROUP, message_id=card_id)
    assert "yes: 1 (100%)" in edits[-1].params["text"]
    assert edits[-1].params["reply_markup"]["inline_keyboard"], "buttons stay under the card"
    assert len(tg.fake.sent(GROUP)) == 1, "a vote never posts a new message in the group"
    [refusal] = await tg.command(GROUP, BOB, "/vote 1 maybe")
    assert refusal.params["chat_id"] == GROUP
    assert 'Unknown choice "maybe"' in refusal.params["text"]


async def test_vote_button_answers_the_press_and_edits_the_card(tg: TelegramEnv) -> None:
    card = await tg.propose(GROUP, ALICE, "Adopt the charter | yes | no")
    card_id = card.result["message_id"]
    no_button = card.params["reply_markup"]["inline_keyboard"][0][1]["callback_data"]
    query = tg.fake.press(GROUP, BOB, card_id, no_button)
    [answer] = await tg.fake.wait_for("answerCallbackQuery", callback_query_id=query)
    assert answer.params["text"].startswith("Vote recorded on #1: no")
    assert not answer.params.get("show_alert")
    edits = await tg.fake.wait_for("editMessageText", message_id=card_id)
    assert "no: 1 (100%)" in edits[-1].params["text"]
    await tg.wait_sent(2)  # the card and the DM receipt
    assert tg.fake.sent()[-1].params["chat_id"] == BOB
    # a refused press answers with the reason as an alert
    await tg.command(GROUP, ALICE, "/cancel 1", count=1)
    late = tg.fake.press(GROUP, CAROL, card_id, no_button)
    [refused] = await tg.fake.wait_for("answerCallbackQuery", callback_query_id=late)
    assert refused.params["show_alert"] is True
    assert refused.params["text"] == "Proposal #1 is already cancelled."
    foreign = tg.fake.press(GROUP, CAROL, card_id, "somebody-else:1")
    [other] = await tg.fake.wait_for("answerCallbackQuery", callback_query_id=foreign)
    assert other.params["text"] == "That button is not one of govbot's."


async def test_press_from_member_who_never_started_the_bot_gets_a_deep_link(
    tg: TelegramEnv,
) -> None:
    card = await tg.propose(GROUP, ALICE, "Adopt the charter | yes | no")
    card_id = card.result["message_id"]
    tg.fake.forbidden.add(CAROL)
    yes = card.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    query = tg.fake.press(GROUP, CAROL, card_id, yes)
    [answer] = await tg.fake.wait_for("answerCallbackQuery", callback_query_id=query)
    assert answer.params["url"].startswith("https://t.me/govbot_test_bot?start=pr_")
    assert len(tg.fake.sent(GROUP)) == 1, "no notice in the group for a press"
    tg.fake.forbidden.discard(CAROL)  # Carol opens the link and presses Start
    payload = answer.params["url"].split("start=", 1)[1]
    missed = await tg.command(CAROL, CAROL, f"/start {payload}", count=2)
    assert [m.params["chat_id"] for m in missed] == [CAROL, CAROL]
    assert missed[1].params["text"].startswith("Vote recorded on #1: yes")


async def test_private_reply_to_member_who_never_started_the_bot(tg: TelegramEnv) -> None:
    await tg.propose(GROUP, ALICE, "Adopt the charter | yes | no")
    tg.fake.forbidden.add(CAROL)
    [notice] = await tg.command(GROUP, CAROL, "/vote 1 no")
    assert notice.params["chat_id"] == GROUP
    text = notice.params["text"]
    assert text.startswith('<a href="tg://user?id=33">Carol</a>, I have a private reply')
    link = text.split('href="https://t.me/govbot_test_bot?start=', 1)[1].split('"', 1)[0]
    assert link.startswith("pr_") and len(link) <= 64
    assert tg.fake.calls_to("sendMessage", chat_id=CAROL), "the DM was tried first"
    # Someone else cannot collect it; Carol can, once.
    [wrong] = await tg.command(BOB, BOB, f"/start {link}")
    assert "expired or was meant for someone else" in wrong.params["text"]
    tg.fake.forbidden.discard(CAROL)
    heading, receipt = await tg.command(CAROL, CAROL, f"/start {link}", count=2)
    assert heading.params["text"] == "Here is the private reply you missed:"
    assert receipt.params["text"].startswith("Vote recorded on #1: no")
    [again] = await tg.command(CAROL, CAROL, f"/start {link}")
    assert "expired" in again.params["text"]


async def test_start_without_payload_welcomes_and_lists_commands(tg: TelegramEnv) -> None:
    welcome, help_ = await tg.command(ALICE, ALICE, "/start", count=2)
    assert welcome.params["text"].startswith("Hello! I am govbot")
    assert "<b>govbot commands</b>" in help_.params["text"]


async def test_describe_close_and_cancel(tg: TelegramEnv) -> None:
    card = await tg.propose(GROUP, ALICE, "Adopt the charter | yes | no")
    card_id = card.result["message_id"]
    [denied] = await tg.command(GROUP, BOB, "/describe 1 Bob's words")
    assert denied.params["text"] == "Only the author of #1 or an admin can describe it."
    [done] = await tg.command(GROUP, ALICE, "/describe 1 We adopt <the> charter & more")
    assert done.params["text"] == "Description of #1 updated."
    edit = await tg.fake.wait_for(
        "editMessageText",
        message_id=card_id,
        where=lambda c: "We adopt &lt;the&gt; charter &amp; more" in c.params["text"],
    )
    assert edit
    await tg.command(GROUP, BOB, "/vote 1 yes")
    [not_author] = await tg.command(GROUP, BOB, "/close 1")
    assert not_author.params["text"] == "Only the author of #1 or an admin can close it."
    [result] = await tg.command(GROUP, ALICE, "/close 1")
    assert result.method == "sendPhoto", "results come with their chart"
    assert result.params["caption"].startswith("<b>#1 Adopt the charter</b> · closed")
    assert 'Result: <b>passed: "yes" wins</b>' in result.params["caption"]
    assert result.files["photo"][1].startswith(b"\x89PNG")
    assert result.params["reply_parameters"]["message_id"] == card_id, "result answers the card"
    [again] = await tg.command(GROUP, ALICE, "/close 1")
    assert again.params["text"] == "Proposal #1 is already closed."
    # cancel: the author may, others may not; the card loses its buttons
    second = await tg.propose(GROUP, ALICE, "Second | a | b")
    second_id = second.result["message_id"]
    [no] = await tg.command(GROUP, BOB, "/cancel 2")
    assert no.params["text"] == "Only the author of #2 or an admin can cancel it."
    [yes] = await tg.command(GROUP, ALICE, "/cancel 2")
    assert yes.params["text"] == "Proposal #2 is cancelled; no result will be counted."
    edits = await tg.fake.wait_for(
        "editMessageText", message_id=second_id, where=lambda c: "Cancelled at" in c.params["text"]
    )
    assert "reply_markup" not in edits[-1].params


async def test_admin_of_the_group_may_close_anyones_proposal(tg: TelegramEnv) -> None:
    tg.fake.members[(GROUP, BOB)] = "administrator"
    await tg.propose(GROUP, ALICE, "Adopt the charter | yes | no")
    [result] = await tg.command(GROUP, BOB, "/close 1")
    assert result.params["caption"].startswith("<b>#1 Adopt the charter</b> · closed")
    # one administrator list per chat answers for every member (cached), not a call each
    assert len(tg.fake.calls_to("getChatAdministrators", chat_id=GROUP)) == 1
    assert not tg.fake.calls_to("getChatMember")


# ----- threads ---------------------------------------------------------------------------
async def test_forum_group_opens_a_topic_for_each_proposal(tg: TelegramEnv) -> None:
    card = await tg.propose(FORUM, ALICE, "Budget <2027> | yes | no")
    [topic] = tg.fake.calls_to("createForumTopic")
    assert topic.params == {"chat_id": FORUM, "name": "#1 Budget <2027>"}
    thread = tg.fake.topics[FORUM][0]["message_thread_id"]
    assert card.params["message_thread_id"] == thread
    assert card.params["text"].startswith("<b>#1 Budget &lt;2027&gt;</b>")
    # a command inside the topic is answered inside the topic
    [refusal] = await tg.command(FORUM, BOB, "/vote 1 maybe", thread_id=thread)
    assert refusal.params["message_thread_id"] == thread
    await tg.command(FORUM, BOB, "/vote 1 yes", thread_id=thread)
    await tg.fake.wait_for("editMessageText", chat_id=FORUM)
    # without the Manage Topics right the card is still posted, in General
    tg.fake.fail_next("createForumTopic", 400, "Bad Request: not enough rights to create a topic")
    fallback = await tg.propose(FORUM, ALICE, "Second | a | b")
    assert fallback.params["text"].startswith("<b>#2 Second</b>")
    assert "message_thread_id" not in fallback.params


async def test_scheduled_result_lands_in_the_proposals_topic(
    tmp_path: Path, tg_fake: FakeTelegramAPI
) -> None:
    clock = ManualClock(1_800_000_000.0)
    async with telegram_env(tmp_path, tg_fake, clock=clock) as harness:
        card = await harness.propose(FORUM, ALICE, "Budget | yes | no hours=1")
        card_id = card.result["message_id"]
        thread = card.params["message_thread_id"]
        await harness.command(FORUM, BOB, "/vote 1 yes", thread_id=thread)
        clock.advance(3601)
        before = len(tg_fake.sent())
        await harness.core.close_due()  # what the scheduler does
        [result] = (await harness.wait_sent(before + 1))[before:]
        assert result.method == "sendPhoto"
        assert result.params["chat_id"] == FORUM
        assert result.params["message_thread_id"] == thread
        assert result.params["reply_parameters"]["message_id"] == card_id


# ----- contributions plumbing ----------------------------------------------------------
async def test_reactions_arrive_as_neutral_reaction_events(tg: TelegramEnv) -> None:
    seen: list[Any] = []

    async def listener(_deps: Any, published: Any) -> list[Reply]:

        ctx = published.context
        seen.append(ctx.event)
        return []

    tg.core.deps.events.subscribe(ReactionChanged, listener)
    card = await tg.propose(GROUP, ALICE, "Adopt the charter | yes | no")
    card_id = card.result["message_id"]
    tg.fake.react(GROUP, BOB, card_id, new=["👍"])
    await until(lambda: len(seen) == 1)
    event = seen[0]
    assert event.actor.user_id == str(BOB) and event.actor.display_name == "Bob"
    assert event.where.space_id == str(GROUP) and not event.where.is_private
    reaction = event.payload
    assert (reaction.emoji, reaction.added) == ("👍", True)
    assert (reaction.message_ref.channel_id, reaction.message_ref.message_id) == (
        str(GROUP),
        str(card_id),
    )
    assert reaction.author.is_bot, "the bot wrote the card"
    tg.fake.react(GROUP, BOB, card_id, old=["👍"], new=["🔥"])
    await until(lambda: len(seen) == 3)
    assert {(e.payload.emoji, e.payload.added) for e in seen[1:]} == {
        ("🔥", True),
        ("👍", False),
    }
    # a member's message: the reaction names its author
    said = tg.fake.send_text(GROUP, ALICE, "here is my analysis")  # handled before the next
    tg.fake.react(GROUP, BOB, said["message_id"], new=["❤"])
    await until(lambda: len(seen) == 4)
    assert seen[3].payload.author.user_id == str(ALICE)


async def test_replies_arrive_as_posted_events_and_helpful_carries_reply_to(
    tmp_path: Path, tg_fake: FakeTelegramAPI
) -> None:
    posted: list[Any] = []
    helpful: list[Any] = []

    async def listener(_deps: Any, published: Any) -> list[Reply]:

        ctx = published.context
        posted.append(ctx.event.payload)
        return []

    def prepare(core: Core) -> None:
        core.deps.events.subscribe(MessagePosted, listener)
        registry = core.dispatcher.registry
        original = registry.commands.get("helpful")

        async def recording(ctx: Context, args: dict[str, Any]) -> list[Reply]:
            helpful.append(ctx.event.payload)
            if original is not None:
                return await original.handler(ctx, args)
            return [Reply("Marked as helpful.")]

        registry.commands["helpful"] = (
            CommandSpec("helpful", "mark a reply", "/helpful", (), recording, needs_reply=True)
            if original is None
            else dataclasses.replace(original, handler=recording)
        )

    async with telegram_env(tmp_path, tg_fake, prepare=prepare) as harness:
        question = tg_fake.send_text(GROUP, ALICE, "how do I vote?")
        answer = tg_fake.send_text(GROUP, BOB, "use /vote", reply_to=question["message_id"])
        await until(lambda: len(posted) == 2)
        first, second = posted
        assert first.reply_to is None
        assert second.message_ref.message_id == str(answer["message_id"])
        assert second.reply_to.message_id == str(question["message_id"])
        assert second.reply_to_author.user_id == str(ALICE)
        await harness.command(GROUP, ALICE, "/helpful", reply_to=answer["message_id"])
        [command] = helpful
        assert command.reply_to.message_id == str(answer["message_id"])
        assert command.reply_to_author.user_id == str(BOB)
        [refusal] = await harness.command(GROUP, ALICE, "/helpful")
        assert "as a reply" in refusal.params["text"]


# ----- rendering -------------------------------------------------------------------------
async def test_user_text_is_escaped_and_mentions_do_not_ping(tg: TelegramEnv) -> None:
    card = await tg.propose(GROUP, ALICE, "<b>Bold</b> & co @everyone | yes | no")
    first_line = card.params["text"].split("\n", 1)[0]
    assert first_line == (
        f"<b>#1 &lt;b&gt;Bold&lt;/b&gt; &amp; co @{WORD_JOINER}everyone</b> · open"
    )
    assert card.params["parse_mode"] == "HTML"


async def test_long_replies_are_split_under_the_limit(
    tmp_path: Path, tg_fake: FakeTelegramAPI
) -> None:
    lines = "\n".join(f"{i:04d} " + "lorem & ipsum <x> " * 5 for i in range(105))
    one_line = "word " * 2000
    assert len(lines) >= 10_000 and len(one_line) == 10_000

    async def long_text(ctx: Context, args: dict[str, Any]) -> list[Reply]:
        return [Reply(lines), Reply(one_line)]

    def prepare(core: Core) -> None:
        spec = CommandSpec("longtext", "a very long reply", "/longtext", (), long_text)
        core.dispatcher.registry.commands["longtext"] = spec

    async with telegram_env(tmp_path, tg_fake, prepare=prepare):
        before = len(tg_fake.sent())
        tg_fake.send_text(GROUP, ALICE, "/longtext")
        await until(lambda: len(tg_fake.sent()) >= before + 6)
        texts = [c.params["text"] for c in tg_fake.sent()[before:]]
        assert all(visible_length(t) <= 4096 for t in texts)
        rebuilt = "".join(html.unescape(t) for t in texts)
        assert rebuilt.replace("\n", "") == (lines + one_line).replace("\n", "")
        assert len(texts) == len(html_chunks(lines)) + len(html_chunks(one_line))


async def test_a_card_with_a_long_description_stays_one_editable_message(tg: TelegramEnv) -> None:
    card = await tg.propose(GROUP, ALICE, "Charter | yes | no")
    body = ("Clause & sub-clause " * 200)[:4000]
    await tg.command(GROUP, ALICE, f"/describe 1 {body}")
    [edit] = await tg.fake.wait_for("editMessageText", message_id=card.result["message_id"])
    text = edit.params["text"]
    assert visible_length(text) <= 4096
    assert "Clause &amp; sub-clause" in text and "…" in text, "the description is shortened"
    assert "Vote: <code>/vote 1 yes or no</code>" in text, "the tally and hint stay visible"


def test_chunks_keep_tags_balanced_and_code_literal() -> None:
    from handlers.core.markup import block, bold

    text = bold("title") + "\n" + block("@x " + "y" * 50) + " mail a@b.c @bob"
    chunks = html_chunks(text, limit=30)
    assert len(chunks) > 2
    for chunk in chunks:
        assert chunk.count("<pre>") == chunk.count("</pre>")
        assert chunk.count("<b>") == chunk.count("</b>")
        assert visible_length(chunk) <= 30
    joined = "".join(chunks)
    assert "@x" in joined, "code blocks stay literal (copyable)"
    assert f"@{WORD_JOINER}bob" in joined and "a@b.c" in joined


# ----- webhook, errors, start-up and logs ----------------------------------------------
async def test_webhook_refuses_a_wrong_secret_token(
    tmp_path: Path, tg_fake: FakeTelegramAPI
) -> None:
    port = free_port()
    webhook = {
        "mode": "webhook",
        "webhook_url": f"http://127.0.0.1:{port}/telegram/hook",
        "webhook_listen": "127.0.0.1",
        "webhook_port": port,
        "webhook_secret": "s3cret-Token_1",
    }
    async with telegram_env(tmp_path, tg_fake, telegram=webhook) as harness:
        [hook] = tg_fake.calls_to("setWebhook")
        assert hook.params["secret_token"] == "s3cret-Token_1"
        assert "message_reaction" in hook.params["allowed_updates"]
        update = {"message": tg_fake.message(GROUP, ALICE, "/help")}
        assert await tg_fake.post_webhook(update, secret_token="wrong") == 403
        assert await tg_fake.post_webhook(update, secret_token="") == 403
        assert tg_fake.sent() == []
        assert await tg_fake.post_webhook(update) == 200
        [reply] = await harness.wait_sent(1)
        assert "<b>govbot commands</b>" in reply.params["text"]
        assert not tg_fake.calls_to("getUpdates"), "webhook mode never polls"


async def test_errors_are_logged_with_the_update_and_answered_briefly(
    tg: TelegramEnv, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(tg.adapter.outbox, "send_all", broken)
    with caplog.at_level(logging.ERROR):
        [reply] = await tg.command(GROUP, ALICE, "/help")
    assert reply.params["text"].startswith("Sorry, something went wrong on our side (error id ")
    record = next(r for r in caplog.records if "telegram update failed" in r.getMessage())
    assert f"chat_id={GROUP}" in record.getMessage() and "update_id=" in record.getMessage()


async def test_the_token_never_reaches_the_logs(
    tmp_path: Path, tg_fake: FakeTelegramAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with telegram_env(tmp_path, tg_fake) as harness:
        await harness.command(GROUP, ALICE, "/help")
        logging.getLogger("somewhere").warning("calling %s/bot%s/getMe", tg_fake.base_url, TOKEN)
    assert TOKEN not in caplog.text
    assert "<redacted>" in caplog.text


async def test_a_wrong_token_stops_start_up_with_a_clear_message(
    tmp_path: Path, tg_fake: FakeTelegramAPI
) -> None:
    tg_fake.token = "999:OTHER"
    with pytest.raises(RuntimeError, match="refused the bot token") as raised:
        await start_telegram(tmp_path, tg_fake)
    assert TOKEN not in str(raised.value)


async def test_bursts_of_refreshes_are_coalesced_and_the_last_one_wins() -> None:
    """Ten refreshes while an edit is in flight become exactly one more edit, not ten."""
    from bot.adapters.telegram.cards import CardRefresher
    from handlers.core.types import CardKey

    release = asyncio.Event()
    edits: list[str] = []
    tally = {"votes": 0}

    class Dispatcher:
        async def render_card(self, key: CardKey) -> Reply:
            return Reply(f"votes: {tally['votes']}")

        async def card_places(self, key: CardKey, platform: str) -> list[tuple[str, str]]:
            return [("-1001", "7")]

    class Bot:
        async def edit_message_text(self, text: str, **kwargs: Any) -> None:
            edits.append(text)
            if len(edits) == 1:
                await release.wait()

    refresher = CardRefresher(Dispatcher(), interval=0)  # type: ignore[arg-type]
    refresher.bot = Bot()  # type: ignore[assignment]
    key = CardKey("proposal", 1, 1)
    tally["votes"] = 1
    refresher.refresh(key)
    await until(lambda: len(edits) == 1)
    for votes in range(2, 12):
        tally["votes"] = votes
        refresher.refresh(key)
    release.set()
    await until(lambda: len(edits) == 2)
    await refresher.close()
    assert edits == ["votes: 1", "votes: 11"]


async def test_results_delivered_before_connecting_are_sent_once_connected(
    tmp_path: Path, tg_fake: FakeTelegramAPI
) -> None:
    """`govbot run` closes overdue proposals before the adapters start; nothing is lost."""
    async with core_env(tmp_path, telegram=telegram_settings(tg_fake)) as core:
        adapter = telegram_adapter(core)
        await adapter.deliver(Reply("Result of #7", where=Where("telegram", "", str(GROUP))))
        task = await serve(adapter)
        try:
            [sent] = await tg_fake.wait_for("sendMessage", chat_id=GROUP)
            assert sent.params["text"] == "Result of #7"
        finally:
            await halt(adapter, task)


async def test_govbot_run_serves_telegram_and_stops_on_sigterm(
    tmp_path: Path, tg_fake: FakeTelegramAPI
) -> None:
    env = bot_env(
        f"sqlite:///{tmp_path}/run.db",
        tmp_path,
        TELEGRAM_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=tg_fake.base_url,
    )
    with bot_process(env, tmp_path) as bot:
        await bot.serving()
        tg_fake.send_text(GROUP, ALICE, "/propose Ship it | yes | no")
        [card] = await tg_fake.wait_for("sendMessage", chat_id=GROUP, timeout=15)
        assert card.params["text"].startswith("<b>#1 Ship it</b>")
        bot.signal(signal.SIGTERM)
        code = await bot.exited(20)
    assert code == 0, bot.stderr[-2000:]
    assert TOKEN not in bot.stderr
