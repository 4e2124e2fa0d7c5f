"""Handler level, both engines: mapping, /config, card copies, one voter per person."""

from __future__ import annotations

from eth_account import Account

from bot.app import Core
from handlers.core.types import Reply
from tests.communities.helpers import CHANNEL, CHAT, link, member_id, react, say
from tests.conftest import is_refusal


async def open_proposal(core: Core, platform: str = "discord") -> list[Reply]:
    replies = await say(core, platform, "alice", "/propose Budget | yes | no hours=2")
    assert not is_refusal(replies), replies[0].text
    return replies


async def test_startup_maps_both_spaces_to_one_community(xcore: Core) -> None:
    identity = xcore.storage.identity
    assert await identity.spaces(1) == [("discord", "9001"), ("telegram", CHAT)]
    assert xcore.deps.communities.mapped[1].spans_platforms
    shown = await say(xcore, "telegram", "root", "/config", admin=True)
    assert "discord" in shown[0].text and "telegram" in shown[0].text
    assert shown[0].meta["allow_unlinked"] is False and shown[0].private
    refused = await say(xcore, "telegram", "mallory", "/config")
    assert is_refusal(refused) and "Only admins" in refused[0].text


async def test_config_changes_only_allowed_keys_and_audits(xcore: Core) -> None:
    audit = await xcore.storage.audit.count()
    for line in ("/config require_wallet no", "/config allow_unlinked maybe"):
        assert is_refusal(await say(xcore, "discord", "root", line, admin=True))
    assert is_refusal(
        await say(xcore, "discord", "root", "/config reputation.damping 7", admin=True)
    )
    assert await xcore.storage.audit.count() == audit  # refusals write nothing
    ok = await say(xcore, "discord", "root", "/config allow_unlinked yes", admin=True)
    assert not is_refusal(ok) and "allow_unlinked is now yes" in ok[0].text
    community = await xcore.storage.communities.get(1)
    assert community.settings["voting"]["allow_unlinked"] is True
    assert await xcore.storage.audit.count() == audit + 1
    shown = await say(xcore, "telegram", "root", "/config", admin=True)
    assert shown[0].meta["allow_unlinked"] is True


async def test_a_proposal_is_carded_on_the_other_platform(xcore: Core) -> None:
    replies = await open_proposal(xcore, "discord")
    origin, copy = replies
    assert origin.where is None and origin.card is not None
    assert copy.where is not None and copy.where.platform == "telegram"
    assert copy.where.channel_id == CHAT and copy.card == origin.card
    assert copy.thread_title == origin.thread_title and copy.text == origin.text
    back = await say(xcore, "telegram", "bob", "/propose Party | yes | no")
    assert [r.where.platform for r in back if r.where] == ["discord"]
    assert back[1].where is not None and back[1].where.channel_id == CHANNEL


async def test_a_vote_refreshes_the_cards_on_every_platform(xcore: Core) -> None:
    await open_proposal(xcore)
    await link(xcore, "telegram", "bob", Account.create())
    replies = await say(xcore, "telegram", "bob", "/vote 1 yes")
    edits = [r for r in replies if r.edit]
    assert {None, "discord"} == {r.where.platform if r.where else None for r in edits}


async def test_the_same_wallet_on_both_platforms_votes_once(xcore: Core) -> None:
    wallet = Account.create()
    await open_proposal(xcore)
    assert not is_refusal(await link(xcore, "discord", "carol", wallet))
    linked = await link(xcore, "telegram", "carol", wallet)  # same person, other platform
    assert not is_refusal(linked), linked[0].text
    # a second account on the same platform may not take the address
    taken = await link(xcore, "telegram", "mallory", wallet)
    assert is_refusal(taken) and "one account per platform" in taken[0].text
    first = await say(xcore, "discord", "carol", "/vote 1 yes")
    assert not is_refusal(first), first[0].text
    second = await say(xcore, "telegram", "carol", "/vote 1 no")
    assert "replaces your earlier ballot" in second[0].text
    proposal = await xcore.storage.proposals.get(1, 1)
    assert proposal is not None
    ballots = await xcore.storage.ballots.for_proposal(proposal.id)
    assert len(ballots) == 1 and ballots[0].member_id == await member_id(xcore, "discord", "carol")
    assert ballots[0].selection == [1]  # "no", cast last, on Telegram
    # alice, mallory and carol (two accounts, one person)
    assert await xcore.storage.identity.count_voters(1) == 3


async def test_unlinked_accounts_count_twice_only_if_allowed(xcore: Core) -> None:
    await open_proposal(xcore)
    before = await xcore.storage.audit.count()
    refused = await say(xcore, "telegram", "dave", "/vote 1 yes")
    assert is_refusal(refused) and "linked wallet" in refused[0].text
    proposal = await xcore.storage.proposals.get(1, 1)
    assert proposal is not None
    assert await xcore.storage.ballots.for_proposal(proposal.id) == []
    assert await xcore.storage.audit.count() == before
    await say(xcore, "discord", "root", "/config allow_unlinked yes", admin=True)
    for platform in ("telegram", "discord"):
        assert not is_refusal(await say(xcore, platform, "dave", "/vote 1 yes"))
    assert len(await xcore.storage.ballots.for_proposal(proposal.id)) == 2  # counted twice


async def test_unlinking_on_one_platform_keeps_the_other_link(xcore: Core) -> None:
    wallet = Account.create()
    await link(xcore, "discord", "erin", wallet)
    await link(xcore, "telegram", "erin", wallet)
    await say(xcore, "telegram", "erin", "/unlink")
    discord_id = await member_id(xcore, "discord", "erin")
    telegram_id = await member_id(xcore, "telegram", "erin")
    kept = await xcore.storage.wallets.active(discord_id, fresh=True)
    assert kept is not None and kept.address == wallet.address
    assert await xcore.storage.wallets.active(telegram_id, fresh=True) is None
    member = await xcore.storage.members.get(telegram_id)
    assert member is not None and await xcore.storage.identity.voter_id(member) == telegram_id


async def test_a_ballot_cast_before_linking_stops_counting(xcore: Core) -> None:
    wallet = Account.create()
    await open_proposal(xcore)
    await say(xcore, "discord", "root", "/config allow_unlinked yes", admin=True)
    await link(xcore, "discord", "fred", wallet)
    assert not is_refusal(await say(xcore, "telegram", "fred", "/vote 1 yes"))  # unlinked yet
    await link(xcore, "telegram", "fred", wallet)
    await say(xcore, "discord", "fred", "/vote 1 no")
    proposal = await xcore.storage.proposals.get(1, 1)
    assert proposal is not None
    weights = {b.member_id: b.weight for b in await xcore.storage.ballots.for_proposal(proposal.id)}
    assert weights == {
        await member_id(xcore, "discord", "fred"): 1.0,
        await member_id(xcore, "telegram", "fred"): 0.0,  # superseded, audited, not counted
    }


async def test_reputation_sums_both_platforms(xcore: Core) -> None:
    wallet = Account.create()
    await link(xcore, "discord", "gina", wallet)
    await link(xcore, "telegram", "gina", wallet)
    for platform, giver in (("discord", "hal"), ("telegram", "ivy"), ("telegram", "hal")):
        await react(xcore, platform, giver, "gina")
    for platform in ("discord", "telegram"):
        [shown] = await say(xcore, platform, "gina", "/rep")
        assert shown.meta["score"] > 0, shown.text
        assert set(shown.meta["by_platform"]) == {"discord", "telegram"}
        assert shown.meta["by_platform"]["telegram"] > shown.meta["by_platform"]["discord"]
        assert "Credits by platform" in shown.text
    scores = {
        platform: (await say(xcore, platform, "gina", "/rep"))[0].meta["score"]
        for platform in ("discord", "telegram")
    }
    assert scores["discord"] == scores["telegram"]  # one reputation, whichever account asks
