"""SIGTERM right after a burst: every vote fetched is stored once and answered, exit 0.

A real `govbot run` process (SQLite and PostgreSQL) serves a fake Telegram or Discord.
200 members the bot has never seen vote at once; the signal comes as soon as the bot
has the last vote in hand (Telegram: a getUpdates answer carried it; Discord: while
the interactions' deferrals are still on their way). The process must exit 0 on its
own within the drain time, with no traceback, and then:

* every vote it had in hand is stored, once (one `ballot.cast` entry per member);
* every member whose vote is stored was answered: a private receipt, or (Telegram, for
  members who never started the bot) a group notice with their start link; on Discord
  every interaction got its first answer and every deferred one its final answer;
* a restart delivers nothing twice and loses nothing (Telegram was told which updates
  were handled, and only those).
"""

from __future__ import annotations

import re
import signal
from collections import Counter
from pathlib import Path

from tests.harness.fakes.discord_gateway import EPHEMERAL, FakeDiscord
from tests.harness.fakes.telegram_api import FakeTelegramAPI
from tests.harness.process import BotProcess, bot_env, start_bot
from tests.harness.waiting import until
from tests.robustness.ledger import DbState, read_state
from tests.robustness.telegram_reads import confirmed, fetched, noticed, receipts

VOTERS = 200
DRAIN = 10.0  # the default; the exit must come on its own within it (plus start-up slack)
EXIT_SLACK = 30.0
TOKEN = "123:ABC"
GROUP = -100_500
AUTHOR = 7


def votes_per_member(state: DbState, number: int = 1) -> Counter[str]:
    proposal = state.proposal_ids[number]
    return Counter(
        state.member_names[e.member_id] for e in state.logged if e.proposal_id == proposal
    )


async def stop(bot: BotProcess) -> tuple[int | None, str]:
    bot.signal(signal.SIGTERM)
    code = await bot.exited(DRAIN + EXIT_SLACK)
    if code is None:
        bot.kill()
    return code, bot.stderr


def leave(bot: BotProcess) -> None:
    """On the way out: a bot the test left running is killed."""
    if bot.returncode is None and bot.wait(0) is None:
        bot.kill()


def clean_exit(code: int | None, log: str) -> None:
    assert code == 0, log[-3000:]
    assert "Traceback" not in log, log[log.index("Traceback") - 500 :][:3000]


# ----- Telegram ---------------------------------------------------------------------------
async def test_sigterm_after_a_telegram_burst_keeps_and_answers_every_vote(
    database_url: str, tmp_path: Path
) -> None:
    async with FakeTelegramAPI(token=TOKEN) as fake:
        fake.add_chat(GROUP, "supergroup", "Burst")
        env = bot_env(
            database_url,
            tmp_path,
            TELEGRAM_TOKEN=TOKEN,
            TELEGRAM_API_BASE_URL=fake.base_url,
            GOVBOT_SHUTDOWN_DRAIN_SECONDS=str(DRAIN),
        )
        bot = start_bot(env, tmp_path / "telegram")
        try:
            await fake.wait_for("getUpdates", timeout=60)
            fake.send_text(GROUP, AUTHOR, "/propose Burst | yes | no")
            await fake.wait_for("sendMessage", chat_id=GROUP, timeout=30)
            voters = [10_000 + i for i in range(VOTERS)]
            strangers = set(voters[::10])  # never started the bot: DMs to them are refused
            fake.forbidden |= strangers
            last = 0
            for voter in voters:
                last = fake.push({"message": fake.message(GROUP, voter, "/vote 1 yes")})
            await until(lambda: fetched(fake, last), "the bot fetching the last vote", timeout=60)
            code, log = await stop(bot)
        finally:
            leave(bot)
        clean_exit(code, log)
        assert confirmed(fake, last), "handled updates were confirmed at exit"

        state = await read_state(database_url)
        assert state.audit_problems == []
        per_member = votes_per_member(state)
        assert set(per_member) == {str(v) for v in voters}, "a fetched vote was not stored"
        assert max(per_member.values()) == 1, "a vote was applied twice"
        sent = receipts(fake)
        told = noticed(fake, GROUP)
        unanswered = [v for v in voters if v not in sent and v not in told]
        assert unanswered == [], f"stored but never answered: {unanswered[:10]}"
        assert strangers <= told, "members who never started the bot get a group notice"
        assert all(len(sent.get(v, [])) <= 1 for v in voters), "a receipt went out twice"

        again = start_bot(env, tmp_path / "telegram")
        try:
            await until(lambda: len(fake.calls_to("getUpdates")) > 0, "polling", timeout=60)
            polls = len(fake.calls_to("getUpdates"))
            await until(
                lambda: len(fake.calls_to("getUpdates")) > polls, "a second poll", timeout=60
            )
            code, log = await stop(again)
        finally:
            leave(again)
        clean_exit(code, log)
        after = await read_state(database_url)
        assert votes_per_member(after) == per_member, "the restart applied or lost a vote"
        assert receipts(fake) == sent, "the restart answered a vote again"


# ----- Discord ----------------------------------------------------------------------------
async def test_sigterm_after_a_discord_burst_gives_every_interaction_its_final_answer(
    database_url: str, tmp_path: Path
) -> None:
    async with FakeDiscord() as fake:
        env = bot_env(
            database_url,
            tmp_path,
            DISCORD_TOKEN="fake-token",
            DISCORD_API_BASE_URL=fake.api_base_url,
            DISCORD_GATEWAY_URL=fake.gateway_url,
            DISCORD_GUILD_IDS=str(fake.guild_id),
            GOVBOT_SHUTDOWN_DRAIN_SECONDS=str(DRAIN),
        )
        bot = start_bot(env, tmp_path / "discord")
        try:
            await until(
                lambda: bool(fake.commands.get(fake.guild_id)), "commands synced", timeout=60
            )
            await fake.wait_identified(timeout=60)
            author = fake.add_user("author")
            opening = fake.slash("propose", author, {"title": "Burst", "choices": "yes | no"})
            await fake.send_interaction(opening)
            await fake.wait_for("POST", r"/channels/\d+/messages/\d+/threads", timeout=60)
            payloads = [
                fake.slash("vote", fake.add_user(f"v{i}"), {"id": 1, "ballot": "yes"})
                for i in range(VOTERS)
            ]
            fake.callback_delay = 0.5  # the signal comes while deferrals are on their way
            for payload in payloads:
                await fake.send_interaction(payload)
            await until(
                lambda: len(fake.callbacks) > VOTERS // 2, "deferrals under way", timeout=60
            )
            code, log = await stop(bot)
        finally:
            leave(bot)
        clean_exit(code, log)

        deferred, refused = [], []
        for payload in payloads:
            callback = fake.callbacks.get(payload["id"])
            assert callback is not None, "an interaction got no first answer"
            kind = int(callback.json["type"])
            (deferred if kind == 5 else refused).append(payload)
            if kind == 4:
                assert callback.json["data"]["flags"] & EPHEMERAL
                assert "try again" in callback.json["data"]["content"]
        assert deferred, "no interaction was in flight at the signal: the test proves nothing"
        finals = {
            payload["token"]: [
                c for c in fake.webhook_calls(payload["token"]) if c.method in ("PATCH", "POST")
            ]
            for payload in deferred
        }
        missing = [t for t, calls in finals.items() if not calls]
        assert missing == [], f"{len(missing)} deferred interactions never got their answer"
        for calls in finals.values():
            text = str((calls[0].json or {}).get("content") or "")
            text += "".join(e.get("description") or "" for e in calls[0].json.get("embeds") or [])
            assert re.search(r"Vote recorded on #1", text.replace("\\", "")), text

        state = await read_state(database_url)
        assert state.audit_problems == []
        per_member = votes_per_member(state)
        assert set(per_member) == {p["member"]["user"]["id"] for p in deferred}, (
            "the votes stored are not exactly those deferred"
        )
        assert max(per_member.values()) == 1, "a vote was applied twice"
