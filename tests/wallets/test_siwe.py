"""EIP-4361 format/parse against the standard's own examples, and what it refuses."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from dataclasses import replace

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct

from handlers.wallets.siwe import (
    HALF_N,
    MAX_CHAIN_ID,
    SECP256K1_N,
    SignatureError,
    SiweError,
    SiweMessage,
    format_message,
    parse_message,
    parse_signature,
    personal_hash,
    recover_signer,
)

RESOURCES = """Resources:
- ipfs://bafybeiemxf5abjwjbikoz4mc3a3dla6ual3jsgpdr4cjr3oz3evfyavhwq/
- https://example.com/my-web2-claim.json"""
BODY = (
    """0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2

I accept the ExampleOrg Terms of Service: https://example.com/tos

URI: https://example.com/login
Version: 1
Chain ID: 1
Nonce: 32891756
Issued At: 2021-09-30T16:25:24Z
"""
    + RESOURCES
)
SUFFIX = " wants you to sign in with your Ethereum account:\n"
# The three examples of ERC-4361 §Examples: implicit scheme, explicit port, explicit scheme.
EXAMPLES = {
    "implicit scheme": "example.com" + SUFFIX + BODY,
    "explicit port": "example.com:3388" + SUFFIX + BODY,
    "explicit scheme": "https://example.com" + SUFFIX + BODY,
}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_the_standards_examples_parse_and_format_back_exactly(name: str) -> None:
    text = EXAMPLES[name]
    message = parse_message(text)
    assert message.address == "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"
    assert message.statement == "I accept the ExampleOrg Terms of Service: https://example.com/tos"
    assert (message.uri, message.version, message.chain_id) == (
        "https://example.com/login",
        "1",
        1,
    )
    assert (message.nonce, message.issued_at) == ("32891756", "2021-09-30T16:25:24Z")
    assert message.resources == (
        "ipfs://bafybeiemxf5abjwjbikoz4mc3a3dla6ual3jsgpdr4cjr3oz3evfyavhwq/",
        "https://example.com/my-web2-claim.json",
    )
    assert format_message(message) == text


def test_scheme_and_port_are_read_from_the_first_line() -> None:
    assert parse_message(EXAMPLES["explicit scheme"]).scheme == "https"
    assert parse_message(EXAMPLES["explicit scheme"]).domain == "example.com"
    assert parse_message(EXAMPLES["explicit port"]).domain == "example.com:3388"
    assert parse_message(EXAMPLES["implicit scheme"]).scheme is None


def test_every_optional_field_round_trips_and_no_statement_means_two_empty_lines() -> None:
    message = SiweMessage(
        domain="govbot.local",
        address="0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2",
        uri="https://govbot.local/link",
        version="1",
        chain_id=5,
        nonce="abcdef0123",
        issued_at="2026-01-01T00:00:00Z",
        expiration_time="2026-01-01T00:10:00Z",
        not_before="2026-01-01T00:00:00Z",
        request_id="telegram:42",
    )
    text = format_message(message)
    assert "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2\n\n\nURI:" in text
    assert parse_message(text) == message
    assert parse_message(text + "\n") == message  # one trailing newline from copy-paste


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda t: t.replace("wants you", "wants u"), "first line"),
        (
            lambda t: t.replace("0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2", "0xC02aaA39"),
            "address",
        ),
        (
            lambda t: t.replace(
                "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2",
                "0xc02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2",
            ),
            "checksum",
        ),
        (lambda t: t.replace("Version: 1", "Version: 2"), "version"),
        (lambda t: t.replace("Nonce: 32891756", "Nonce: 1234"), "nonce"),
        (lambda t: t.replace("Chain ID: 1", "Chain ID: one"), "chain id"),
        (lambda t: t.replace("2021-09-30T16:25:24Z", "yesterday"), "date-time"),
        (
            lambda t: t.replace(
                "URI: https://example.com/login\nVersion: 1",
                "Version: 1\nURI: https://example.com/login",
            ),
            "order",
        ),
        (lambda t: t.replace("Terms of Service", "Terms\nof Service"), "statement"),
        (lambda t: t.replace("- https://example", "* https://example"), "resource"),
        (lambda t: t + "\nExtra: line", "extra line"),
    ],
)
def test_non_conforming_messages_are_refused(change, why: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SiweError):
        parse_message(change(EXAMPLES["implicit scheme"]))


def test_signatures_recover_and_high_s_twins_and_junk_are_refused() -> None:
    account = Account.create()
    text = EXAMPLES["implicit scheme"]
    signed = account.sign_message(encode_defunct(text=text))
    signature = parse_signature(signed.signature.hex())
    assert recover_signer(text, signature) == account.address
    # The malleable twin (r, n - s, flipped v) recovers the same key: it must be refused.
    s = int.from_bytes(signature[32:64], "big")
    assert s <= HALF_N
    twin = signature[:32] + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - signature[64]])
    with pytest.raises(SignatureError, match="high s"):
        parse_signature("0x" + twin.hex())
    for junk in ("", "0x", "0xzz", "0x" + "ab" * 65 + "a", "0x" + "00" * 65):
        with pytest.raises(SignatureError):
            parse_signature(junk)
    assert len(parse_signature("0x" + "ab" * 70)) == 70  # kept for EIP-1271 contracts


def test_direct_recovery_agrees_with_eth_account() -> None:
    """The coincurve fast path must give eth-account's answer, also for non-ASCII text."""
    from eth_account.messages import defunct_hash_message

    for text in (EXAMPLES["implicit scheme"], "Grüße 🦊\nzweite Zeile", "x"):
        account = Account.create()
        signature = bytes(account.sign_message(encode_defunct(text=text)).signature)
        expected = Account.recover_message(encode_defunct(text=text), signature=signature)
        assert recover_signer(text, signature) == expected == account.address
        zero_one = signature[:64] + bytes([signature[64] - 27])  # v as 0/1 (some wallets)
        assert recover_signer(text, zero_one) == account.address
        assert personal_hash(text) == bytes(defunct_hash_message(text=text))
    other = Account.create()
    wrong = bytes(other.sign_message(encode_defunct(text="another text")).signature)
    assert recover_signer("x", wrong) != other.address


def test_eip55_matches_eth_utils() -> None:
    from eth_utils import to_checksum_address

    from handlers.wallets.siwe import checksum, eip55, is_checksum_address

    for _ in range(200):
        address = Account.create().address
        assert eip55(address[2:].lower()) == to_checksum_address(address) == address
        assert is_checksum_address(address) and checksum(address.lower()) == address
        flipped = address[:-1] + address[-1].swapcase()
        if flipped != address:
            assert not is_checksum_address(flipped)


def test_a_text_parses_the_same_in_a_fresh_process() -> None:
    """Nothing remembers formatted texts: another process parses every example alike."""
    script = (
        "import json, sys, dataclasses\n"
        "from handlers.wallets.siwe import parse_message\n"
        "texts = json.load(sys.stdin)\n"
        "print(json.dumps([dataclasses.asdict(parse_message(t)) for t in texts]))\n"
    )
    texts = list(EXAMPLES.values())
    for text in texts:
        format_message(parse_message(text))  # formatted here first: must change nothing
    done = subprocess.run(
        [sys.executable, "-c", script],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        check=True,
    )
    here = [json.loads(json.dumps(dataclasses.asdict(parse_message(t)))) for t in texts]
    assert json.loads(done.stdout) == here


def test_chain_id_is_checked_for_type_and_size_when_formatting() -> None:
    base = parse_message(EXAMPLES["implicit scheme"])
    for bad in (True, "1", 1.0, -1, MAX_CHAIN_ID + 1, None):
        with pytest.raises(SiweError, match="Chain ID"):
            format_message(replace(base, chain_id=bad))  # type: ignore[arg-type]
    top = format_message(replace(base, chain_id=MAX_CHAIN_ID))
    assert parse_message(top).chain_id == MAX_CHAIN_ID
    with pytest.raises(SiweError, match="Chain ID"):
        parse_message(top.replace(str(MAX_CHAIN_ID), str(MAX_CHAIN_ID + 1)))
    with pytest.raises(SiweError, match="Chain ID"):
        parse_message(EXAMPLES["implicit scheme"].replace("Chain ID: 1", "Chain ID: 01"))


def test_character_class_fields_agree_with_their_grammar_rules() -> None:
    """Fields checked by a regex (for speed) accept exactly what their ABNF rule accepts."""
    from handlers.wallets import siwe
    from handlers.wallets.siwe_grammar import matches

    chars = [chr(c) for c in range(256)] + ["é", "🦊", "\u2028"]
    pct = ["%", "%4", "%41", "%zz", "a%41b", "%%41", "%4g", "x%"]
    cases = {
        "statement": (siwe._STATEMENT, [*chars, "", "a b", "ab\n"]),
        "request-id": (siwe._REQUEST_ID, [*chars, *pct, ""]),
        "nonce": (siwe._NONCE, [c * 8 for c in chars] + ["abc", "abcdefgh", "abcdefg"]),
        "chain-id": (siwe._CHAIN_ID, [*chars, "", "01", "1" * 78]),
        "address": (
            siwe._ADDRESS,
            ["0x" + c * 40 for c in chars] + ["0x" + "a" * 39],
        ),
    }
    for rule, (pattern, inputs) in cases.items():
        for text in inputs:
            assert (pattern.fullmatch(text) is not None) is matches(rule, text), (rule, text)
    # "0x" in ABNF is case-insensitive, so "0X…" fits `address`; it is never an EIP-55
    # address though (the checksum is defined on "0x"), so messages refuse it.
    upper = "0X" + "C02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"
    assert matches("address", upper) and siwe._ADDRESS.fullmatch(upper) is None
    with pytest.raises(SiweError):
        parse_message(EXAMPLES["implicit scheme"].replace("0xC02aaA39", "0XC02aaA39"))


def test_overlong_uris_and_domains_are_refused_unparsed() -> None:
    """The grammar's cost grows faster than the input; past MAX_LENGTH it is not run."""
    from handlers.wallets.siwe_grammar import MAX_LENGTH, parse_uri

    base = parse_message(EXAMPLES["implicit scheme"])
    long_uri = "https://example.com/" + "a" * MAX_LENGTH
    assert parse_uri(long_uri) is None
    for change in (
        {"uri": long_uri},
        {"resources": (long_uri,)},
        {"domain": "a" * (MAX_LENGTH + 1)},
    ):
        with pytest.raises(SiweError, match=f"at most {MAX_LENGTH}"):
            format_message(replace(base, **change))  # type: ignore[arg-type]
    fits = "https://example.com/" + "a" * (MAX_LENGTH - 20)
    assert parse_message(format_message(replace(base, uri=fits))).uri == fits


_STATEMENT_CHARS = "abcXYZ019-._~:/?#[]@!$&'()*+,;= "
_PCHAR_PIECES = ["a", "Z", "9", "-", ".", "_", "~", "!", "$", "&", "'", "(", ")", "*", "+",
                 ",", ";", "=", ":", "@", "%41", "%ff"]  # fmt: skip
_URIS = ["https://example.com/login", "uri:", "uri://@:", "urn:x#", "http://[::1]:80/?q#f",
         "ipfs://Qme7ss3ARVgxv6rXqVPiikMJ8u2NLgmgszg13pYrDKEoiu", "mailto:a@b.c"]  # fmt: skip
_TIMES = ["2021-09-30T16:25:24Z", "2021-09-30T16:25:24.000Z", "2100-01-07T14:31:43.952-02:00",
          "2021-09-30t16:25:24z"]  # fmt: skip


def _messages():  # type: ignore[no-untyped-def]
    from hypothesis import strategies as st

    optional_time = st.none() | st.sampled_from(_TIMES)
    return st.builds(
        SiweMessage,
        domain=st.sampled_from(["example.com", "localhost:8080", "u@127.0.0.1:1", "[::cafe]"]),
        address=st.just("0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"),
        uri=st.sampled_from(_URIS),
        version=st.just("1"),
        chain_id=st.integers(min_value=0, max_value=MAX_CHAIN_ID),
        nonce=st.text("abcXYZ0123456789", min_size=8, max_size=20),
        issued_at=st.sampled_from(_TIMES),
        scheme=st.none() | st.sampled_from(["https", "http", "a+b.c-d"]),
        statement=st.none() | st.text(_STATEMENT_CHARS, max_size=40),
        expiration_time=optional_time,
        not_before=optional_time,
        request_id=st.none() | st.lists(st.sampled_from(_PCHAR_PIECES), max_size=8).map("".join),
        resources=st.none() | st.lists(st.sampled_from(_URIS), max_size=3).map(tuple),
    )


def test_format_then_parse_always_gives_back_the_same_message() -> None:
    """Including the edge cases: an empty statement, an empty Request ID, empty Resources."""
    from hypothesis import given, settings

    @settings(max_examples=300, deadline=None)
    @given(_messages())
    def round_trip(message: SiweMessage) -> None:
        text = format_message(message)
        assert parse_message(text) == message
        assert format_message(parse_message(text)) == text

    round_trip()
