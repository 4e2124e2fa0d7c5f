"""/link, /verify, /wallet, /unlink through the dispatcher, and every refusal writing nothing."""

from __future__ import annotations

from eth_account import Account

from handlers.core.types import Where
from handlers.wallets.siwe import HALF_N, SECP256K1_N, parse_message
from tests.conftest import is_refusal, run_command, texts
from tests.wallets.conftest import counts, issued_message, link_wallet, sign


async def test_link_verify_wallet_unlink(wcore) -> None:
    alice = Account.create()
    text = await issued_message(wcore, "alice", alice.address)
    message = parse_message(text)
    assert (message.domain, message.uri, message.chain_id) == (
        "govbot.test",
        "https://govbot.test/link",
        1337,
    )
    assert message.address == alice.address  # checksummed
    assert "console user alice" in (message.statement or "")
    assert message.expires_at_ts - message.issued_at_ts == 600  # 10 minutes by default
    replies = await run_command(wcore, "alice", f"/verify {sign(alice, text)}")
    assert not is_refusal(replies) and f"Linked {alice.address}" in replies[0].text
    assert replies[0].private
    shown = texts(await run_command(wcore, "alice", "/wallet"))
    assert alice.address in shown
    assert "Unlinked" in texts(await run_command(wcore, "alice", "/unlink"))
    assert "no linked wallet" in texts(await run_command(wcore, "alice", "/wallet"))
    kinds = [entry.kind async for entry, _ in wcore.storage.audit.entries()]
    assert kinds[-2:] == ["wallet.linked", "wallet.unlinked"]


async def test_lowercase_address_is_checksummed_and_bad_addresses_refused(wcore) -> None:
    alice = Account.create()
    text = await issued_message(wcore, "alice", alice.address.lower())
    assert parse_message(text).address == alice.address
    before = await counts(wcore)
    for bad in ("0x123", "hello", alice.address[:-1] + ("A" if alice.address[-1] != "A" else "B")):
        replies = await run_command(wcore, "alice", f"/link {bad}")
        assert is_refusal(replies) and "Usage: /link" in replies[0].text
    assert await counts(wcore) == before


async def test_signature_by_another_address_is_refused(wcore) -> None:
    alice, mallory = Account.create(), Account.create()
    text = await issued_message(wcore, "alice", alice.address)
    before = await counts(wcore)
    replies = await run_command(wcore, "alice", f"/verify {sign(mallory, text)}")
    assert is_refusal(replies)
    assert f"made by {mallory.address}, not by {alice.address}" in replies[0].text
    assert await counts(wcore) == before


async def test_altered_message_is_refused(wcore) -> None:
    alice = Account.create()
    text = await issued_message(wcore, "alice", alice.address)
    altered = text.replace("Chain ID: 1337", "Chain ID: 1338")
    before = await counts(wcore)
    # Signed the altered text: recovers to some other address.
    replies = await run_command(wcore, "alice", f"/verify {sign(alice, altered)}")
    assert is_refusal(replies) and "not by" in replies[0].text
    # Sent with the altered message: named as another chain / altered.
    replies = await run_command(wcore, "alice", f"/verify {sign(alice, altered)}\n{altered}")
    assert is_refusal(replies) and "chain 1338" in replies[0].text
    edited = text.replace("Link this address", "Link this wallet")
    replies = await run_command(wcore, "alice", f"/verify {sign(alice, edited)}\n{edited}")
    assert is_refusal(replies) and "altered" in replies[0].text
    other_domain = text.replace("govbot.test wants", "evil.test wants")
    replies = await run_command(
        wcore, "alice", f"/verify {sign(alice, other_domain)}\n{other_domain}"
    )
    assert is_refusal(replies) and "evil.test" in replies[0].text
    assert await counts(wcore) == before
    # The untouched message, sent along with its signature, links.
    replies = await run_command(wcore, "alice", f"/verify {sign(alice, text)}\n{text}")
    assert not is_refusal(replies), replies[0].text


async def test_reused_nonce_is_refused(wcore, clock) -> None:
    alice = Account.create()
    text = await issued_message(wcore, "alice", alice.address)
    signature = sign(alice, text)
    assert not is_refusal(await run_command(wcore, "alice", f"/verify {signature}"))
    await run_command(wcore, "alice", "/unlink")
    clock.advance(2 * 3600)
    before = await counts(wcore)
    replies = await run_command(wcore, "alice", f"/verify {signature}")
    assert is_refusal(replies) and "already been used" in replies[0].text
    replies = await run_command(wcore, "alice", f"/verify {signature}\n{text}")
    assert is_refusal(replies) and "already been used" in replies[0].text
    # Someone else replaying alice's signed message is refused too.
    replies = await run_command(wcore, "bob", f"/verify {signature}\n{text}")
    assert is_refusal(replies) and "not issued to you" in replies[0].text
    assert await counts(wcore) == before


async def test_expired_and_not_yet_valid_messages_are_refused(wcore, clock) -> None:
    alice = Account.create()
    text = await issued_message(wcore, "alice", alice.address)
    before = await counts(wcore)
    clock.advance(601)
    replies = await run_command(wcore, "alice", f"/verify {sign(alice, text)}")
    assert is_refusal(replies) and "expired" in replies[0].text
    clock.advance(-601 - 120)  # the server clock stepped back: the message is from the future
    replies = await run_command(wcore, "alice", f"/verify {sign(alice, text)}")
    assert is_refusal(replies) and "not valid yet" in replies[0].text
    assert await counts(wcore) == before


async def test_malformed_and_high_s_signatures_are_refused(wcore) -> None:
    alice = Account.create()
    text = await issued_message(wcore, "alice", alice.address)
    good = bytes.fromhex(sign(alice, text)[2:])
    s = int.from_bytes(good[32:64], "big")
    assert s <= HALF_N
    twin = good[:32] + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - good[64]])
    before = await counts(wcore)
    replies = await run_command(wcore, "alice", f"/verify 0x{twin.hex()}")
    assert is_refusal(replies) and "high s" in replies[0].text
    for junk in ("0xnothex", "0x1234", "", "0x" + "00" * 65):
        replies = await run_command(wcore, "alice", f"/verify {junk}")
        assert is_refusal(replies) and "Usage: /verify" in replies[0].text
    assert await counts(wcore) == before


async def test_address_of_another_member_is_refused(wcore) -> None:
    shared = Account.create()
    assert not is_refusal(await link_wallet(wcore, "alice", shared))
    before = await counts(wcore)
    replies = await run_command(wcore, "bob", f"/link {shared.address}")
    assert is_refusal(replies) and "another member" in replies[0].text
    assert await counts(wcore) == before


async def test_racing_for_one_address_links_only_the_first(wcore) -> None:
    shared = Account.create()
    text_a = await issued_message(wcore, "alice", shared.address)
    text_b = await issued_message(wcore, "bob", shared.address)
    assert not is_refusal(await run_command(wcore, "alice", f"/verify {sign(shared, text_a)}"))
    before = await counts(wcore)
    replies = await run_command(wcore, "bob", f"/verify {sign(shared, text_b)}")
    assert is_refusal(replies) and "another member" in replies[0].text
    assert await counts(wcore) == before


async def test_relinking_faster_than_the_cooldown_is_refused(wcore, clock) -> None:
    first, second = Account.create(), Account.create()
    assert not is_refusal(await link_wallet(wcore, "alice", first))
    clock.advance(59 * 60)
    before = await counts(wcore)
    replies = await run_command(wcore, "alice", f"/link {second.address}")
    assert is_refusal(replies) and "link again in 1 minute" in replies[0].text
    assert await counts(wcore) == before
    clock.advance(61)
    assert not is_refusal(await link_wallet(wcore, "alice", second))
    alice = await wcore.storage.members.find_by_name(1, "alice")
    link = await wcore.storage.wallets.active(alice.id, fresh=True)
    assert link is not None and link.address == second.address


async def test_linking_only_in_private_when_configured(wcore) -> None:
    wcore.deps.wallets.policy = wcore.deps.wallets.policy.model_copy(
        update={"allow_link_in_groups": False}
    )
    alice = Account.create()
    replies = await run_command(wcore, "alice", f"/link {alice.address}")
    assert is_refusal(replies) and "private chat" in replies[0].text
    private = Where("console", "console", "dm-alice", is_private=True)
    replies = await run_command(wcore, "alice", f"/link {alice.address}", where=private)
    assert not is_refusal(replies) and "wants you to sign in" in replies[0].text


async def test_voting_requires_a_linked_wallet(wcore) -> None:
    await run_command(wcore, "alice", "/propose Lunch | pizza | sushi")
    before = await wcore.storage.audit.count()
    replies = await run_command(wcore, "bob", "/vote 1 pizza")
    assert is_refusal(replies) and "requires a linked wallet" in replies[0].text
    assert await wcore.storage.audit.count() == before
    assert not is_refusal(await link_wallet(wcore, "bob", Account.create()))
    replies = await run_command(wcore, "bob", "/vote 1 pizza")
    assert "Vote recorded on #1" in replies[0].text


async def test_expiry_is_the_signed_second_not_the_untruncated_ttl(wcore, clock) -> None:
    """The text says whole seconds; /link at x.6 s expires at the signed second, not x.6."""
    alice, bob = Account.create(), Account.create()
    clock.advance(0.6)
    text_a = await issued_message(wcore, "alice", alice.address)
    text_b = await issued_message(wcore, "bob", bob.address)
    expires = parse_message(text_a).expires_at_ts
    assert expires is not None and expires == int(clock.now()) + 600
    clock.advance(expires - clock.now() - 0.1)  # a tenth of a second before: still valid
    assert not is_refusal(await run_command(wcore, "bob", f"/verify {sign(bob, text_b)}"))
    clock.advance(0.1)  # exactly the signed Expiration Time (before the old now + ttl)
    before = await counts(wcore)
    replies = await run_command(wcore, "alice", f"/verify {sign(alice, text_a)}")
    assert is_refusal(replies) and "expired" in replies[0].text
    replies = await run_command(wcore, "alice", f"/verify {sign(alice, text_a)}\n{text_a}")
    assert is_refusal(replies) and "expired" in replies[0].text
    assert await counts(wcore) == before
