"""Token-weighted votes on a real EVM (eth-tester + py-evm), EIP-1271 links, delegation,
signed ballots, and one full pass through AsyncHTTPProvider on loopback."""

from __future__ import annotations

import json
import math

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data

from bot.integrations.chain import Web3Chain
from handlers.audit.verify import verify
from tests.conftest import is_refusal, run_command, texts
from tests.wallets.chain import LocalChain
from tests.wallets.conftest import counts, issued_message, link_wallet, sign
from tests.wallets.rpc_server import RpcServer

UNIT = 10**18


@pytest.fixture
def chain() -> LocalChain:
    return LocalChain()


async def _ballot(core, user: str, number: int = 1):  # type: ignore[no-untyped-def]
    member = await core.storage.members.find_by_name(1, user)
    proposal = await core.storage.proposals.get(1, number)
    return await core.storage.ballots.get(proposal.id, member.id)


async def test_chain_strategies_are_refused_without_an_rpc_endpoint(wcore) -> None:
    before = await counts(wcore)
    token = "0x" + "11" * 20
    replies = await run_command(wcore, "alice", f"/propose T | a | b weight=erc20:{token}")
    assert is_refusal(replies) and "set ETH_RPC_URL" in replies[0].text
    assert await counts(wcore) == before
    assert await wcore.storage.proposals.in_community(1) == []


async def test_erc20_weight_is_read_at_the_snapshot_block(wcore, chain) -> None:
    wcore.deps.wallets.chain = chain.port()
    token = chain.deploy("TestToken", "Gov", "GOV", 18)
    alice, bob = Account.create(), Account.create()
    chain.transact(token.functions.mint(alice.address, 150 * UNIT))
    chain.mine(2)  # confirmations = 2: the mint is inside the snapshot
    assert not is_refusal(await link_wallet(wcore, "alice", alice))
    assert not is_refusal(await link_wallet(wcore, "bob", bob))
    replies = await run_command(
        wcore, "carol", f"/propose Budget | yes | no weight=erc20:{token.address}"
    )
    assert not is_refusal(replies), replies[0].text
    proposal = await wcore.storage.proposals.get(1, 1)
    assert proposal.snapshot == str(chain.block - 2)
    assert proposal.eligible_power == 150.0  # linked wallets' power at the snapshot
    # Tokens moved after the snapshot change nothing: alice sends all to bob.
    chain.unlocked(alice)
    chain.transact(token.functions.transfer(bob.address, 150 * UNIT), sender=alice.address)
    replies = await run_command(wcore, "alice", "/vote 1 yes")
    assert "weight 150" in replies[0].text and f"block {proposal.snapshot}" in replies[0].text
    ballot = await _ballot(wcore, "alice")
    assert ballot.weight == 150.0 and ballot.breakdown["block"] == int(proposal.snapshot)
    before = await counts(wcore)
    replies = await run_command(wcore, "bob", "/vote 1 no")
    assert is_refusal(replies) and "no voting power" in replies[0].text
    assert await counts(wcore) == before


async def test_nft_native_sum_and_transforms(wcore, chain) -> None:
    wcore.deps.wallets.chain = chain.port()
    token = chain.deploy("TestToken", "Gov", "GOV", 6)
    nft = chain.deploy("TestNFT", "Art", "ART")
    alice = Account.create()
    chain.transact(token.functions.mint(alice.address, 90 * 10**6))
    for token_id in (1, 2, 3):
        chain.transact(nft.functions.mint(alice.address, token_id))
    chain.fund(alice.address, 7 * UNIT)
    chain.mine(2)
    assert not is_refusal(await link_wallet(wcore, "alice", alice))
    spec = f"erc20:{token.address}+erc721:{nft.address}+native,sqrt,cap=9"
    replies = await run_command(wcore, "carol", f"/propose Art | a | b weight={spec}")
    assert not is_refusal(replies), replies[0].text
    replies = await run_command(wcore, "alice", "/vote 1 a")
    ballot = await _ballot(wcore, "alice")
    assert math.isclose(ballot.weight, 9.0)  # sqrt(90 + 3 + 7) = 10, capped at 9
    assert math.isclose(ballot.breakdown["sqrt"], 10.0)
    assert ballot.breakdown["cap=9"] == 9.0
    assert "weight 9" in replies[0].text
    bad = await run_command(wcore, "carol", "/propose X | a | b weight=erc20:0x12,sqrt")
    assert is_refusal(bad) and "erc20: needs the token contract address" in bad[0].text
    bad = await run_command(wcore, "carol", "/propose X | a | b weight=native,cube")
    assert is_refusal(bad) and "Unknown transform" in bad[0].text


async def test_chain_outage_refuses_the_vote_with_try_again(wcore, chain) -> None:
    wcore.deps.wallets.chain = chain.port()
    token = chain.deploy("TestToken", "Gov", "GOV", 18)
    alice = Account.create()
    chain.transact(token.functions.mint(alice.address, UNIT))
    chain.mine(2)
    assert not is_refusal(await link_wallet(wcore, "alice", alice))
    await run_command(wcore, "carol", f"/propose T | a | b weight=erc20:{token.address}")
    # The node goes away: nothing listens on this loopback port.
    wcore.deps.wallets.chain = Web3Chain.from_url("http://127.0.0.1:9/", timeout=0.5, retries=1)
    wcore.deps.wallets.chain.backoff = 0.01
    before = await counts(wcore)
    replies = await run_command(wcore, "alice", "/vote 1 a")
    assert is_refusal(replies) and "try again" in replies[0].text
    assert await counts(wcore) == before
    await wcore.deps.wallets.chain.close()


async def test_eip1271_contract_wallet_links(wcore, chain) -> None:
    wcore.deps.wallets.chain = chain.port()
    owner = Account.create()
    wallet = chain.deploy("OwnerWallet", owner.address)
    text = await issued_message(wcore, "alice", wallet.address)
    stranger = Account.create()
    before = await counts(wcore)
    replies = await run_command(wcore, "alice", f"/verify {sign(stranger, text)}")
    assert is_refusal(replies) and "not by" in replies[0].text
    assert await counts(wcore) == before
    replies = await run_command(wcore, "alice", f"/verify {sign(owner, text)}")
    assert not is_refusal(replies) and "EIP-1271" in replies[0].text
    link = await wcore.storage.wallets.active(1, fresh=True)
    assert link is not None and link.kind == "contract" and link.address == wallet.address


async def test_delegation_adds_power_and_a_direct_vote_overrides_it(wcore, chain) -> None:
    wcore.deps.wallets.chain = chain.port()
    token = chain.deploy("TestToken", "Gov", "GOV", 18)
    alice, bob, carol = Account.create(), Account.create(), Account.create()
    for account, amount in ((alice, 10), (bob, 20), (carol, 40)):
        chain.transact(token.functions.mint(account.address, amount * UNIT))
    chain.mine(2)
    for name, account in (("alice", alice), ("bob", bob), ("carol", carol)):
        assert not is_refusal(await link_wallet(wcore, name, account))
    assert not is_refusal(await run_command(wcore, "bob", "/delegate alice"))
    assert not is_refusal(await run_command(wcore, "carol", f"/delegate {alice.address}"))
    refused = await run_command(wcore, "alice", "/delegate bob")
    assert is_refusal(refused) and "cycle" in refused[0].text
    await run_command(wcore, "dave", f"/propose T | a | b weight=erc20:{token.address}")
    replies = await run_command(wcore, "alice", "/vote 1 a")
    assert "weight 70" in replies[0].text and "delegated by 2 members 60" in replies[0].text
    replies = await run_command(wcore, "bob", "/vote 1 b")
    assert "weight 20" in replies[0].text
    assert (await _ballot(wcore, "alice")).weight == 50.0  # bob's 20 left alice's ballot
    closed = texts(await run_command(wcore, "dave", "/close 1"))
    assert '"a" wins' in closed
    proposal = await wcore.storage.proposals.get(1, 1)
    assert proposal.result is not None and proposal.result["total_power"] == 70.0
    assert (await verify(wcore.storage)).ok


async def test_signed_ballot_is_checked_and_kept_for_anyone(wcore, chain) -> None:
    alice, mallory = Account.create(), Account.create()
    assert not is_refusal(await link_wallet(wcore, "alice", alice))
    await run_command(wcore, "carol", "/propose Lunch | pizza | sushi")
    replies = await run_command(wcore, "alice", "/vote 1 pizza")
    assert "eth_signTypedData_v4" in replies[0].text
    start = replies[0].text.index("\x0e") + 1
    data = json.loads(replies[0].text[start : replies[0].text.index("\x0f")])
    assert data["primaryType"] == "Vote" and data["message"]["user"] == "console:alice"
    assert data["domain"]["chainId"] == 1337 and data["message"]["choice"] == 1
    before = await counts(wcore)
    forged = "0x" + mallory.sign_message(encode_typed_data(full_message=data)).signature.hex()
    refused = await run_command(wcore, "alice", f"/vote 1 pizza sig={forged}")
    assert is_refusal(refused) and "not by your linked wallet" in refused[0].text
    wrong_choice = await run_command(
        wcore,
        "alice",
        "/vote 1 sushi sig=0x"
        + alice.sign_message(encode_typed_data(full_message=data)).signature.hex(),
    )
    assert is_refusal(wrong_choice)
    assert await counts(wcore) == before
    signature = "0x" + alice.sign_message(encode_typed_data(full_message=data)).signature.hex()
    replies = await run_command(wcore, "alice", f"/vote 1 pizza sig={signature}")
    assert "Signed by your wallet" in replies[0].text
    entries = [e async for e, _ in wcore.storage.audit.entries()]
    kept = json.loads(entries[-1].payload["signature"])
    assert kept["signature"] == signature
    recovered = Account.recover_message(
        encode_typed_data(full_message=kept["typed_data"]), signature=kept["signature"]
    )
    assert recovered == alice.address


async def test_one_vote_through_async_http_provider_on_loopback(wcore, chain) -> None:
    server = RpcServer(chain.tester)
    url = await server.start()
    wcore.deps.wallets.chain = Web3Chain.from_url(url, timeout=5, retries=1)
    try:
        token = chain.deploy("TestToken", "Gov", "GOV", 18)
        alice = Account.create()
        chain.transact(token.functions.mint(alice.address, 42 * UNIT))
        chain.mine(2)
        assert not is_refusal(await link_wallet(wcore, "alice", alice))
        replies = await run_command(
            wcore, "bob", f"/propose T | a | b weight=erc20:{token.address}"
        )
        assert not is_refusal(replies), replies[0].text
        chain.unlocked(alice)
        chain.transact(token.functions.transfer(chain.owner, 42 * UNIT), sender=alice.address)
        replies = await run_command(wcore, "alice", "/vote 1 a")
        assert "weight 42" in replies[0].text
        assert server.requests > 0
        served = server.requests
        await run_command(wcore, "alice", "/vote 1 b")  # cached per (contract, address, block)
        assert server.requests == served
        server.fail = True
        wcore.deps.wallets.chain.backoff = 0.01
        await run_command(wcore, "bob", "/propose U | a | b weight=native")
        assert server.requests > served
    finally:
        await wcore.deps.wallets.chain.close()
        await server.stop()
