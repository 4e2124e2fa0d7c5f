"""Safe multisigs (the real Safe 1.4.1 contracts on py-evm) link, vote and sign ballots
through /link, /verify and /vote.

A Safe's signature reaches EIP-1271 `isValidSignature` exactly as sent: 65, 130 or 227
bytes, with parts the ordinary-wallet rules refuse (v 31/32, v 1 with s 0, v 0, high
s). Every refusal (too few owners, unsorted parts, a stranger, a contract that is no
wallet, a node outage) says why and writes nothing; ordinary accounts keep the ECDSA
rules and never cost an RPC call when they sign with their own key.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from eth_account import Account

from bot.integrations.chain import Web3Chain
from handlers.wallets.ballots import digest as ballot_digest
from handlers.wallets.siwe import SECP256K1_N, SignatureError, check_ecdsa, personal_hash
from tests.conftest import is_refusal, run_command, texts
from tests.wallets.chain import LocalChain
from tests.wallets.conftest import counts, issued_message, sign
from tests.wallets.rpc_server import RpcServer
from tests.wallets.safe import Part, Safes, concatenate

UNIT = 10**18
MAGIC = bytes.fromhex("1626ba7e")


@pytest.fixture
def chain() -> LocalChain:
    return LocalChain()


@pytest.fixture
def safes(chain: LocalChain) -> Safes:
    return Safes(chain)


def hexed(signature: bytes) -> str:
    return "0x" + signature.hex()


def keys(n: int) -> list[Any]:
    return [Account.create() for _ in range(n)]


async def _link(core, user: str, safes: Safes, safe: Any, owners: list[Any]) -> list[Any]:  # type: ignore[no-untyped-def]
    """/link the Safe as `user` and /verify with these owners' SafeMessage signatures."""
    text = await issued_message(core, user, safe.address)
    parts = [safes.typed_part(owner, safe, personal_hash(text)) for owner in owners]
    return await run_command(core, user, f"/verify {hexed(concatenate(parts))}")


def _typed_data(replies: list[Any]) -> dict[str, Any]:
    """The EIP-712 ballot an unsigned vote's receipt shows (inside its code block)."""
    text = replies[0].text
    return dict(json.loads(text[text.index("\x0e") + 1 : text.index("\x0f")]))


def high_s(part: Part) -> Part:
    """The other valid ECDSA signature of the same digest: s → n − s, v flipped."""
    s = int.from_bytes(part.static[32:64], "big")
    v = part.static[64]
    twin = part.static[:32] + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])
    return Part(part.owner, twin)


async def _active(core, user: str):  # type: ignore[no-untyped-def]
    member = await core.storage.members.find_by_name(1, user)
    return await core.storage.wallets.active(member.id, fresh=True)


async def test_a_2_of_3_safe_links_and_votes_with_its_token_balance(wcore, chain, safes) -> None:
    wcore.deps.wallets.chain = chain.port()
    owners = keys(3)
    safe = safes.create([o.address for o in owners], 2)
    token = chain.deploy("TestToken", "Gov", "GOV", 18)
    chain.transact(token.functions.mint(safe.address, 150 * UNIT))
    chain.mine(2)
    text = await issued_message(wcore, "alice", safe.address)
    signed = personal_hash(text)
    # The SafeMessage the owners sign is the one the Safe itself derives from the digest.
    on_chain = safes.handler_at(safe).functions.getMessageHash(signed).call()
    assert safes.message_hash(safe, signed) == bytes(on_chain)
    first, second = (safes.typed_part(o, safe, signed) for o in owners[:2])
    both = concatenate([first, second])
    assert len(both) == 130
    before = await counts(wcore)
    replies = await run_command(wcore, "alice", f"/verify {hexed(concatenate([first]))}")
    assert is_refusal(replies)
    assert "fewer owner signatures than the Safe's threshold" in replies[0].text
    assert safe.address in replies[0].text
    unsorted = both[65:] + both[:65]
    replies = await run_command(wcore, "alice", f"/verify {hexed(unsorted)}")
    assert is_refusal(replies) and "not sorted by owner address" in replies[0].text
    stranger = safes.typed_part(Account.create(), safe, signed)
    replies = await run_command(wcore, "alice", f"/verify {hexed(concatenate([first, stranger]))}")
    assert is_refusal(replies) and "not signed by an owner" in replies[0].text
    assert await counts(wcore) == before
    replies = await run_command(wcore, "alice", f"/verify {hexed(both)}")
    assert not is_refusal(replies), replies[0].text
    assert f"Linked {safe.address}" in replies[0].text and "EIP-1271" in replies[0].text
    link = await _active(wcore, "alice")
    assert link is not None and link.kind == "contract" and link.address == safe.address
    assert link.signature == hexed(both)  # kept exactly as sent, for anyone to re-check
    assert "contract wallet (EIP-1271)" in texts(await run_command(wcore, "alice", "/wallet"))

    replies = await run_command(
        wcore, "carol", f"/propose Budget | yes | no weight=erc20:{token.address}"
    )
    assert not is_refusal(replies), replies[0].text
    proposal = await wcore.storage.proposals.get(1, 1)
    assert proposal.eligible_power == 150.0
    chain.transact(token.functions.mint(safe.address, 1000 * UNIT))  # after the snapshot
    chain.mine(3)
    replies = await run_command(wcore, "alice", "/vote 1 yes")
    assert "weight 150" in replies[0].text and f"block {proposal.snapshot}" in replies[0].text


async def test_single_parts_that_break_the_ecdsa_rules_reach_the_safe_unchanged(
    wcore, chain, safes
) -> None:
    """65-byte Safe signatures no ordinary wallet makes: v 31/32 (eth_sign), v 1 with s 0
    (an approved hash), a high-s twin (Safe's ecrecover takes it) — each from one owner of
    a 1-of-3 Safe — and the first two combined for a 2-of-3 Safe."""
    wcore.deps.wallets.chain = chain.port()
    owners = keys(3)
    addresses = [o.address for o in owners]
    made = {
        "eth_sign": lambda safe, signed: safes.eth_sign_part(owners[0], safe, signed),
        "approved": lambda safe, signed: safes.approve(owners[1], safe, signed),
        "high_s": lambda safe, signed: high_s(safes.typed_part(owners[2], safe, signed)),
    }
    for user, (kind, make) in zip(("alice", "bob", "carol"), made.items(), strict=True):
        safe = safes.create(addresses, 1)
        text = await issued_message(wcore, user, safe.address)
        part = make(safe, personal_hash(text))
        with pytest.raises(SignatureError):  # refused as an ordinary wallet's signature
            check_ecdsa(part.static)
        replies = await run_command(wcore, user, f"/verify {hexed(part.static)}")
        assert not is_refusal(replies), (kind, replies[0].text)
        link = await _active(wcore, user)
        assert link is not None and link.address == safe.address and link.kind == "contract"
    safe = safes.create(addresses, 2)
    text = await issued_message(wcore, "dave", safe.address)
    signed = personal_hash(text)
    eth_sign, approved = (
        safes.eth_sign_part(owners[0], safe, signed),
        safes.approve(owners[1], safe, signed),
    )
    assert eth_sign.static[64] in (31, 32) and approved.static[64] == 1
    replies = await run_command(
        wcore, "dave", f"/verify {hexed(concatenate([eth_sign, approved]))}"
    )
    assert not is_refusal(replies), replies[0].text


async def test_a_safe_owned_by_a_safe_signs_with_a_contract_part(wcore, chain, safes) -> None:
    wcore.deps.wallets.chain = chain.port()
    inner_owner, outer_owner = keys(2)
    inner = safes.create([inner_owner.address], 1)
    outer = safes.create([outer_owner.address, inner.address], 2)
    text = await issued_message(wcore, "alice", outer.address)
    signed = personal_hash(text)
    contract = safes.contract_part(inner, inner_owner, outer, signed)
    signature = concatenate([safes.typed_part(outer_owner, outer, signed), contract])
    assert len(signature) == 65 * 2 + 32 + 65
    assert 0 in (signature[64], signature[129])  # the inner Safe's part: v = 0
    before = await counts(wcore)
    lone = concatenate([safes.typed_part(outer_owner, outer, signed)])
    assert is_refusal(await run_command(wcore, "alice", f"/verify {hexed(lone)}"))
    assert await counts(wcore) == before
    replies = await run_command(wcore, "alice", f"/verify {hexed(signature)}")
    assert not is_refusal(replies), replies[0].text
    link = await _active(wcore, "alice")
    assert link is not None and link.address == outer.address and link.kind == "contract"


async def test_a_safe_that_signed_on_chain_links_with_the_empty_signature(
    wcore, chain, safes
) -> None:
    wcore.deps.wallets.chain = chain.port()
    owners = keys(3)
    safe = safes.create([o.address for o in owners], 2)
    text = await issued_message(wcore, "alice", safe.address)
    before = await counts(wcore)
    replies = await run_command(wcore, "alice", "/verify 0x")  # not signed yet
    assert is_refusal(replies) and "approved the message on chain" in replies[0].text
    assert await counts(wcore) == before
    safes.sign_on_chain(safe, owners[:2], personal_hash(text))
    replies = await run_command(wcore, "alice", "/verify 0x")
    assert not is_refusal(replies), replies[0].text
    link = await _active(wcore, "alice")
    assert link is not None and link.kind == "contract" and link.signature == "0x"


async def test_a_contract_that_is_not_a_wallet_is_refused(wcore, chain, safes) -> None:
    wcore.deps.wallets.chain = chain.port()
    token = chain.deploy("TestToken", "Gov", "GOV", 18)  # no isValidSignature, no fallback
    owner = Account.create()
    bare = safes.create([owner.address], 1, fallback=False)  # a Safe without the handler
    token_text = await issued_message(wcore, "alice", token.address)
    bare_text = await issued_message(wcore, "bob", bare.address)
    before = await counts(wcore)
    replies = await run_command(wcore, "alice", f"/verify {sign(owner, token_text)}")
    assert is_refusal(replies)
    assert f"{token.address} is a contract that gives no EIP-1271 answer" in replies[0].text
    signature = concatenate([safes.typed_part(owner, bare, personal_hash(bare_text))])
    replies = await run_command(wcore, "bob", f"/verify {hexed(signature)}")
    assert is_refusal(replies)
    assert f"{bare.address} is a contract that gives no EIP-1271 answer" in replies[0].text
    assert await counts(wcore) == before


async def test_a_node_outage_during_the_check_says_try_again(wcore, chain, safes) -> None:
    server = RpcServer(chain.tester)
    port = Web3Chain.from_url(await server.start(), timeout=2, retries=1)
    port.backoff = 0.01
    wcore.deps.wallets.chain = port
    try:
        owners = keys(3)
        safe = safes.create([o.address for o in owners], 2)
        text = await issued_message(wcore, "alice", safe.address)
        parts = [safes.typed_part(o, safe, personal_hash(text)) for o in owners]
        both = hexed(concatenate(parts[1:]))
        before = await counts(wcore)
        server.fail = True  # the code read fails
        replies = await run_command(wcore, "alice", f"/verify {both}")
        assert is_refusal(replies) and "try again" in replies[0].text
        server.fail = False  # over real HTTP the Safe's revert reason comes through
        replies = await run_command(wcore, "alice", f"/verify {hexed(parts[0].static)}")
        assert is_refusal(replies) and "threshold" in replies[0].text
        server.fail = True
        assert await port.has_code(safe.address)  # known now: only isValidSignature is asked
        replies = await run_command(wcore, "alice", f"/verify {both}")
        assert is_refusal(replies) and "try again" in replies[0].text
        assert await counts(wcore) == before
        server.fail = False
        replies = await run_command(wcore, "alice", f"/verify {both}")
        assert not is_refusal(replies), replies[0].text
    finally:
        await port.close()
        await server.stop()


async def test_a_safe_signs_a_ballot(wcore, chain, safes) -> None:
    wcore.deps.wallets.chain = chain.port()
    owners = keys(3)
    safe = safes.create([o.address for o in owners], 2)
    assert not is_refusal(await _link(wcore, "alice", safes, safe, owners[1:]))
    await run_command(wcore, "carol", "/propose Lunch | pizza | sushi")
    data = _typed_data(await run_command(wcore, "alice", "/vote 1 pizza"))
    assert data["message"]["from"] == safe.address
    digest = ballot_digest(data)
    parts = [safes.typed_part(o, safe, digest) for o in owners[:2]]
    before = await counts(wcore)
    lone = hexed(concatenate(parts[:1]))
    replies = await run_command(wcore, "alice", f"/vote 1 pizza sig={lone}")
    assert is_refusal(replies) and "threshold" in replies[0].text
    assert await counts(wcore) == before
    signature = concatenate(parts)
    replies = await run_command(wcore, "alice", f"/vote 1 pizza sig={hexed(signature)}")
    assert "Signed by your wallet" in replies[0].text, replies[0].text
    entries = [e async for e, _ in wcore.storage.audit.entries()]
    kept = json.loads(entries[-1].payload["signature"])
    assert kept["signature"] == hexed(signature)
    # Anyone can check the kept ballot against the Safe itself.
    check = safes.handler_at(safe).get_function_by_signature("isValidSignature(bytes32,bytes)")
    answer = check(ballot_digest(kept["typed_data"]), signature).call()
    assert bytes(answer) == MAGIC
    # A 1-of-3 Safe's owner signs with eth_sign: 65 bytes, v 31/32, still the Safe's call.
    solo = safes.create([o.address for o in owners], 1)
    assert not is_refusal(await _link(wcore, "bob", safes, solo, owners[:1]))
    data = _typed_data(await run_command(wcore, "bob", "/vote 1 sushi"))
    part = safes.eth_sign_part(owners[2], solo, ballot_digest(data))
    assert len(part.static) == 65 and part.static[64] in (31, 32)
    replies = await run_command(wcore, "bob", f"/vote 1 sushi sig={hexed(part.static)}")
    assert "Signed by your wallet" in replies[0].text, replies[0].text


async def test_ordinary_accounts_keep_the_ecdsa_rules_and_stay_off_the_chain(wcore, chain) -> None:
    alice = Account.create()
    text = await issued_message(wcore, "alice", alice.address)
    good = bytes.fromhex(sign(alice, text)[2:])
    before = await counts(wcore)
    # No node configured: a contract-length signature cannot be checked, and says so.
    replies = await run_command(wcore, "alice", f"/verify {hexed(good + good)}")
    assert is_refusal(replies) and "ETH_RPC_URL" in replies[0].text
    port = chain.port()
    wcore.deps.wallets.chain = port
    eth_sign_v = good[:64] + bytes([good[64] + 4])
    replies = await run_command(wcore, "alice", f"/verify {hexed(eth_sign_v)}")
    assert is_refusal(replies) and f"must be 27 or 28, not {eth_sign_v[64]}" in replies[0].text
    replies = await run_command(wcore, "alice", f"/verify {hexed(good + good)}")
    assert is_refusal(replies) and "has no contract code" in replies[0].text
    assert await counts(wcore) == before
    asked = port.requests
    replies = await run_command(wcore, "alice", f"/verify {hexed(good)}")
    assert not is_refusal(replies), replies[0].text
    assert port.requests == asked  # signed with its own key: settled without the node
