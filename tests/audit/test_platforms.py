"""A session on both platform fakes (one core, one community on Discord and Telegram):
/receipt on each platform, a checkpoint posted in each platform's configured channel,
then the exported log checked by both verifiers against the checkpoint copied from
each platform's message.
"""

from __future__ import annotations

import re
from pathlib import Path

from handlers.audit.policy import AuditPolicy, CheckpointPlace
from handlers.audit.publish import published_lines
from handlers.audit.verify import parse_checkpoint, verify_file
from tests.audit import independent
from tests.harness.both_env import both_env
from tests.harness.discord_env import discord_text
from tests.harness.fakes.telegram_api import FakeTelegramAPI
from tests.harness.telegram_env import ALICE, BOB, CAROL, GROUP, text_of
from tests.harness.waiting import TIMEOUT, until

RECEIPT = re.compile(r"Receipt: (?:<code>|`)?([0-9a-f]{64})")
CHECKPOINT = re.compile(r"([0-9a-f]{64}@\d+)")


async def test_receipts_checkpoints_and_the_log_on_both_platforms(
    tmp_path: Path, tg_fake: FakeTelegramAPI
) -> None:
    async with both_env(tmp_path, tg_fake) as both:
        core, tg, dc = both.core, both.telegram, both.discord
        await core.storage.communities.update_settings(
            1, {"voting": {"allow_unlinked": True}}, by=1, at=0.0
        )
        alice, bob = dc.user("alice"), dc.user("bob")
        await dc.command("propose", alice, title="Adopt the charter", choices="yes | no")
        await tg.fake.wait_for("sendMessage", chat_id=GROUP, timeout=TIMEOUT)
        await tg.propose(GROUP, ALICE, "Pick a venue | hall | park | roof")

        # ballots on both platforms; each answer carries its receipt
        _, answer = await dc.ask("vote", bob, id=1, ballot="yes")
        dc_receipt = RECEIPT.search(discord_text(answer))
        assert dc_receipt, discord_text(answer)
        tg.fake.send_text(GROUP, BOB, "/vote 2 park")
        tg.fake.send_text(GROUP, CAROL, "/vote 1 no")
        [dm] = await tg.fake.wait_for(
            "sendMessage", chat_id=BOB, where=lambda c: "Receipt" in text_of(c), timeout=TIMEOUT
        )
        tg_receipt = RECEIPT.search(text_of(dm))
        assert tg_receipt, text_of(dm)

        async def three_ballots() -> bool:
            p1, p2 = [await core.storage.proposals.get(1, n) for n in (1, 2)]
            assert p1 is not None and p2 is not None
            counts = [await core.storage.ballots.count(p.id) for p in (p1, p2)]
            return counts == [2, 1]

        await until(three_ballots, "three ballots")
        await dc.ask("close", alice, id=1)
        tg.fake.send_text(GROUP, ALICE, "/close 2")

        async def both_closed() -> bool:
            return not await core.storage.proposals.in_community(1, status="open")

        await until(both_closed, "both proposals closed")

        # /receipt on each platform: index and proposal, privately
        _, checked = await dc.ask("receipt", bob, hash=tg_receipt.group(1))
        shown = discord_text(checked)
        assert "Receipt found" in shown and "#2 Pick a venue" in shown and "park" in shown
        entry = await core.storage.audit.by_hash(tg_receipt.group(1))
        assert entry is not None and f"entry {entry.seq} of the audit log" in shown
        tg.fake.send_text(GROUP, BOB, f"/receipt {dc_receipt.group(1)}")
        [reply] = await tg.fake.wait_for(
            "sendMessage",
            chat_id=BOB,
            where=lambda c: "Receipt found" in text_of(c),
            timeout=TIMEOUT,
        )
        assert "#1 Adopt the charter" in text_of(reply) and "counted" in text_of(reply)

        # a checkpoint in each platform's configured channel
        core.deps.audit.policy = AuditPolicy(
            checkpoint_entries=1,
            checkpoint_places=[
                CheckpointPlace(platform="telegram", space_id=str(GROUP)),
                CheckpointPlace(
                    platform="discord",
                    space_id=str(dc.fake.guild_id),
                    channel_id=str(dc.fake.channel_id),
                ),
            ],
        )
        [job] = [j for j in core.jobs() if j.name == "post audit checkpoints"]
        await core.run_job(job)
        [posted] = await tg.fake.wait_for(
            "sendMessage",
            chat_id=GROUP,
            where=lambda c: "Audit checkpoint" in text_of(c),
            timeout=TIMEOUT,
        )
        [on_discord] = await dc.fake.wait_for(
            "POST",
            rf"/channels/{dc.fake.channel_id}/messages",
            where=lambda c: "Audit checkpoint" in discord_text(c),
            timeout=TIMEOUT,
        )
        from_telegram = CHECKPOINT.search(text_of(posted))
        from_discord = CHECKPOINT.search(discord_text(on_discord))
        assert from_telegram and from_discord
        assert from_telegram.group(1) == from_discord.group(1)
        await core.run_job(job)  # nothing new: no second checkpoint
        await tg.wait_sent(len(tg.fake.sent()))
        assert len([c for c in tg.fake.sent(GROUP) if "Audit checkpoint" in text_of(c)]) == 1

        text = "".join([line async for line in published_lines(core.storage, community_id=1)])
        anchor = parse_checkpoint(from_telegram.group(1))
        ours = await verify_file(text.splitlines(keepends=True), checkpoints=[anchor])
        assert ours.ok and ours.checkpoints_matched == 1 and ours.proposals_checked == 2
        theirs = independent.check(text)
        assert theirs.ok and theirs.hashes[anchor[0]] == anchor[1] and theirs.recounted == 2
        kinds = [line.split('"kind":"')[1].split('"')[0] for line in text.splitlines()]
        assert kinds[-1] == "audit.checkpoint" and kinds.count("ballot.cast") == 3
