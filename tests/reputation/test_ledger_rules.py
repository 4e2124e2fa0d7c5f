"""What is and is not counted: self-reactions, the daily cap, retraction, age, the bot."""

from __future__ import annotations

from datetime import timedelta

from tests.reputation.helpers import (
    WHERE,
    helpful,
    ledger_rows,
    new_message,
    person,
    post,
    react,
    rep,
    score,
)

ADMIN = person("admin", admin=True)
BOB = person("bob")


async def test_self_reactions_earn_nothing(core) -> None:
    message = new_message()
    await react(core, BOB, BOB, message)
    await react(core, ADMIN, ADMIN, new_message())
    rows = await ledger_rows(core)
    assert [(r["kind"], r["counted"], r["reason"]) for r in rows] == [
        ("reaction", False, "self"),
        ("reaction", False, "self"),
    ]
    assert await score(core, "bob") == 0.0
    refused = await helpful(core, BOB, BOB, message)
    assert "own message" in refused[0].text and len(await ledger_rows(core)) == 2


async def test_daily_cap_holds(core, clock) -> None:
    cap = core.deps.reputation.policy.daily_cap
    for _ in range(cap + 3):
        await react(core, ADMIN, BOB, new_message())
    rows = await ledger_rows(core)
    assert sum(r["counted"] for r in rows) == cap
    assert [r["reason"] for r in rows if not r["counted"]] == ["daily_cap"] * 3
    assert await score(core, "bob") == cap * 1.0  # admin is a seed: full worth
    # Another giver has a cap of their own; and the next UTC day starts afresh.
    await react(core, person("carol"), BOB, new_message())
    clock.advance(86400)
    await react(core, ADMIN, BOB, new_message())
    rows = await ledger_rows(core)
    assert sum(r["counted"] for r in rows) == cap + 2


async def test_removed_reaction_is_retracted(core) -> None:
    message = new_message()
    await react(core, ADMIN, BOB, message, "🎉")
    assert await score(core, "bob") == 1.0
    await react(core, ADMIN, BOB, message, "👍", added=False)  # not that emoji: nothing
    assert await score(core, "bob") == 1.0
    await react(core, ADMIN, BOB, message, "🎉", added=False)
    assert await score(core, "bob") == 0.0
    (row,) = await ledger_rows(core)
    assert row["retracted_at"] is not None and row["emoji"] == "🎉"
    # A retraction frees its place under the daily cap.
    cap = core.deps.reputation.policy.daily_cap
    for _ in range(cap):
        await react(core, ADMIN, BOB, new_message())
    assert await score(core, "bob") == cap * 1.0


async def test_young_accounts_and_the_bot_earn_nothing(core, clock) -> None:
    from datetime import UTC, datetime

    now = datetime.fromtimestamp(clock.now(), UTC)
    fresh = person("fresh", created=now - timedelta(days=1))
    await react(core, fresh, BOB, new_message())
    bot = person("govbot")
    bot = type(bot)("console", "govbot", "govbot", is_bot=True)
    await react(core, BOB, bot, new_message())
    rows = await ledger_rows(core)
    assert [(r["counted"], r["reason"]) for r in rows] == [(False, "young_account")]
    assert await score(core, "bob") == 0.0


async def test_helpful_by_the_question_author_emoji(core) -> None:
    asker, answerer, bystander = ADMIN, BOB, person("carol")
    question = await post(core, asker)
    answer = await post(core, answerer, question, asker)
    await react(core, bystander, answerer, answer, "✅")  # not the asker: a plain reaction
    await react(core, asker, answerer, answer, "✅")
    kinds = [(r["kind"], r["giver_user"]) for r in await ledger_rows(core)]
    assert kinds == [("reply", "bob"), ("reaction", "carol"), ("helpful", "admin")]
    result = await rep(core, answerer)
    assert result["parts"]["helpful"] == 3.0
    await react(core, asker, answerer, answer, "✅", added=False)
    assert "helpful" not in (await rep(core, answerer))["parts"]


async def test_helpful_command_needs_a_reply_and_is_once(core) -> None:
    from handlers.core.types import Command, Event

    refused = await core.dispatch(Event(ADMIN, WHERE, Command("helpful", "")))
    assert "as a reply" in refused[0].text and await ledger_rows(core) == []
    answer = new_message()
    first = await helpful(core, ADMIN, BOB, answer)
    assert first[0].meta["counted"] is True
    again = await helpful(core, ADMIN, BOB, answer)
    assert "already" in again[0].text and len(await ledger_rows(core)) == 1
    assert await score(core, "bob") == 3.0
