"""Rewards end to end: /praise, /credit, /epoch, /epoch close, /payouts and /claim on the
console (`govbot run` as a process, then `govbot rewards export` and `govbot audit
verify` on the database it leaves), on Telegram and on Discord (the real clients against
the local fakes). Allocation rules in depth: tests/rewards/."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from bot.app import Core
from tests.e2e.test_console import parse
from tests.harness.discord_env import discord_env, discord_text
from tests.harness.fakes.telegram_api import FakeTelegramAPI
from tests.harness.process import bot_env, run_bot
from tests.harness.telegram_env import ALICE, BOB, CAROL, GROUP, telegram_env, text_of

SCRIPT = [
    "/as admin",
    "/epoch",
    "/as bob",
    "/epoch",
    "/as carol",
    "/praise bob thanks for the review",
    "/praise carol me",
    "/as admin",
    "/credit bob 20 ran the hackathon",
    "/credit carol 8 wrote the docs",
    "/credit carol 80 too much",
    "/as bob",
    "/credit carol 5 not mine to give",
    "/epoch",
    "/as admin",
    "/epoch close",
    "/payouts 1",
    "/as bob",
    "/claim 1",
]


async def _allocations(core: Core) -> dict[str, tuple[int, str]]:
    epoch = await core.storage.rewards.get(1, 1)
    assert epoch is not None and epoch.status == "closed"
    names = await core.storage.members.names(
        {r.member_id for r in await core.storage.rewards.allocations(epoch.id) if r.member_id}
    )
    return {
        names[r.member_id]: (r.amount, r.status)
        for r in await core.storage.rewards.allocations(epoch.id)
        if r.member_id
    }


def test_console_rewards_session_then_export_and_verify(tmp_path: Path) -> None:
    env = bot_env(f"sqlite:///{tmp_path}/console.db", tmp_path)
    result = run_bot(env, tmp_path, SCRIPT)
    assert result.returncode == 0, result.stderr
    messages, _ = parse(result.stdout)
    replies = [m for m in messages if m.author.startswith("govbot")]
    said = "\n".join(m.text for m in replies)
    assert "Epoch 1" in replies[0].text and "Budget: 1,000 POINTS" in replies[0].text
    assert "Praised bob: “thanks for the review”" in said
    assert "You can't credit yourself." in said
    assert "Granted 20 points to bob" in said and "Granted 8 points to carol" in said
    assert "above the cap of 50" in said and "Only admins can use /credit." in said
    closed = next(m for m in replies if "Epoch 1 closed" in m.text)
    assert closed.images and Path(closed.images[0]).read_bytes()[:4] == b"\x89PNG"
    audit_hash = re.search(r"Audit hash: ([0-9a-f]{64})", closed.text)
    assert audit_hash, closed.text
    listing = next(m for m in replies if m.text.startswith("Epoch 1 · closed"))
    assert "bob" in listing.text and "held (no wallet yet)" in listing.text
    claim = replies[-1]
    assert claim.author == "govbot → bob (private)" and "held for you" in claim.text

    exported = run_bot(env, tmp_path, args=("rewards", "export", "1", "--format", "csv"))
    assert exported.returncode == 0, exported.stderr
    assert list(csv.reader(io.StringIO(exported.stdout))) == [["address", "amount", "member"]]
    still_open = run_bot(env, tmp_path, args=("rewards", "export", "2"))
    assert still_open.returncode == 2 and "still open" in still_open.stderr
    verified = run_bot(env, tmp_path, args=("audit", "verify"))
    assert verified.returncode == 0 and "1 reward epochs recomputed" in verified.stdout


async def test_telegram_rewards(tmp_path: Path, tg_fake: FakeTelegramAPI) -> None:
    tg_fake.members[(GROUP, ALICE)] = "administrator"
    async with telegram_env(tmp_path, tg_fake) as tg:
        opened = await tg.say(GROUP, ALICE, "/epoch")
        assert "Epoch 1" in text_of(opened)
        await tg.say(GROUP, CAROL, "/epoch")
        praised = await tg.say(GROUP, BOB, "/praise Carol answered everyone")
        assert "Praised Carol" in text_of(praised)
        granted = await tg.say(GROUP, ALICE, "/credit Carol 12 the workshop")
        assert "Granted 12 points to Carol" in text_of(granted)
        refused = await tg.say(GROUP, BOB, "/credit Carol 12 me too")
        assert "Only admins" in text_of(refused)
        card = await tg.say(GROUP, ALICE, "/epoch close")
        assert card.method == "sendPhoto" and "Epoch 1 closed" in text_of(card)
        assert card.params["chat_id"] == GROUP
        listing = await tg.say(GROUP, BOB, "/payouts")
        assert "Carol" in text_of(listing)
        claim = await tg.say(GROUP, CAROL, "/claim")
        assert claim.params["chat_id"] == CAROL, "the claim answer is private"
        assert "held for you" in text_of(claim)
        allocations = await _allocations(tg.core)
        assert allocations["Carol"][1] == "held" and allocations["Carol"][0] > 0


async def test_discord_rewards(tmp_path: Path) -> None:
    async with discord_env(tmp_path, reputation={"min_account_age_days": 0}) as dc:
        fake = dc.fake
        admin = fake.add_user("admin", admin=True)
        alice, bob = fake.add_user("alice"), fake.add_user("bob")
        _, opened = await dc.ask("epoch", admin)
        assert "Epoch 1" in discord_text(opened)
        await dc.ask("epoch", bob)
        _, praised = await dc.ask("praise", alice, member="bob", reason="great review")
        assert "Praised bob" in discord_text(praised)
        _, granted = await dc.ask("credit", admin, member="bob", points=15, reason="hackathon")
        assert "Granted 15 points to bob" in discord_text(granted)
        token, _ = await dc.command("credit", alice, member="bob", points=500, reason="x")
        [refused] = await dc.followups(token)  # a refusal is an ephemeral follow-up
        assert "Only admins" in discord_text(refused)
        _, card = await dc.ask("epoch", admin, action="close")
        assert "Epoch 1 closed" in discord_text(card)
        _, listing = await dc.ask("payouts", alice)
        assert "bob" in discord_text(listing)
        _, claim = await dc.ask("claim", bob)
        assert "held for you" in discord_text(claim)
        allocations = await _allocations(dc.core)
        assert allocations["bob"][1] == "held" and allocations["bob"][0] > 0
