"""Every public EIP-4361 test vector, run through govbot's own code.

The JSON files under vectors/siwe/ are the reference implementations' suites (see
SOURCES.md there); this module knows what each file asks and checks it with
`parse_message`, `format_message`, the RFC 3986 grammar, `verify_message` and, for the
signed vectors, the real /verify command. Each vector is one test whose id is
`<suite>/<file>/<vector name>`. A vector that contradicts a rule govbot keeps on
purpose is listed in DELIBERATE below, and its test asserts govbot's documented answer
instead of the reference one; every other vector must give the reference answer.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_tester import EthereumTester, PyEVMBackend
from eth_utils import to_canonical_address

from bot.app import Core, build_core
from bot.settings import load_settings
from handlers.core.ports import ManualClock
from handlers.wallets.siwe import (
    SignatureError,
    SiweError,
    SiweMessage,
    VerifyError,
    _format,
    format_message,
    parse_message,
    parse_signature,
    parse_time,
    recover_signer,
    verify_message,
)
from handlers.wallets.siwe_grammar import matches, parse_uri
from tests.conftest import is_refusal, run_command
from tests.wallets.chain import LocalChain

ROOT = Path(__file__).resolve().parent / "vectors" / "siwe"
SUITES = {"signinwithethereum": ROOT, "spruceid": ROOT / "spruceid"}

# Vectors whose reference answer contradicts a rule govbot keeps on purpose. Both are
# "expired message" from verification_positive: checked at a time (2020-01-05) before
# their own Issued At (2022-01-05). The reference libraries leave Issued At unchecked;
# govbot refuses a message from the future (it issues its messages itself, so that means
# its clock went back). Their tests assert that refusal, and that it is the only one.
DELIBERATE = {
    ("signinwithethereum", "verification_positive.json", "expired message"),
    ("spruceid", "verification_positive.json", "expired message"),
}

_FIELD = {
    "domain": "domain",
    "address": "address",
    "statement": "statement",
    "uri": "uri",
    "version": "version",
    "chainId": "chain_id",
    "nonce": "nonce",
    "issuedAt": "issued_at",
    "expirationTime": "expiration_time",
    "notBefore": "not_before",
    "requestId": "request_id",
    "resources": "resources",
    "scheme": "scheme",
}
_NOT_FIELDS = ("signature", "time", "domainBinding", "matchNonce")


def vectors(file: str) -> list[Any]:
    """pytest params for every vector of `file` in every suite that has its own copy."""
    params = []
    for suite, folder in SUITES.items():
        path = folder / file
        if path.exists():
            for name, vector in json.loads(path.read_text()).items():
                params.append(pytest.param(suite, name, vector, id=f"{suite}/{file[:-5]}/{name}"))
    return params


def message_from(fields: dict[str, Any]) -> SiweMessage:
    """A SiweMessage from a vector's camelCase object (a missing field raises TypeError)."""
    kwargs = {_FIELD[k]: v for k, v in fields.items() if k not in _NOT_FIELDS}
    return SiweMessage(**kwargs)


def expected_field(fields: dict[str, Any], key: str) -> Any:
    value = fields[key]
    return tuple(value) if isinstance(value, list) else value


# What each negative parsing vector is about: govbot's refusal must name that part.
NEGATIVE_REASON = {
    "missing domain": r"domain",
    "missing address": r"address",
    "missing uri": r"URI",
    "missing version": r"Version",
    "missing chainId": r"Chain ID",
    "missing nonce": r"Nonce",
    "missing issuedAt": r"Issued At",
    "out of order uri": r"URI",
    "out of order version": r"Version",
    "out of order chainId": r"Chain ID",
    "out of order nonce": r"Nonce",
    "out of order issuedAt": r"Issued At",
    "out of order expirationTime": r"Expiration Time",
    "out of order notBefore": r"Not Before",
    "out of order requestId": r"Request ID",
    "out of order resources": r"Resources",
    "domain not RFC4501 authority": r"domain is not an RFC 3986 authority",
    "address not EIP-55": r"EIP-55",
    "statement has line break": r"statement",
    "uri is non-RFC 3986": r"URI is not an RFC 3986 URI",
    "version not 1": r"Version must be 1",
    "not a valid chainId": r"Chain ID",
    "nonce with less then 8 chars": r"Nonce must be at least 8",
    "non-ISO 8601 issuedAt": r"Issued At: .* RFC 3339",
    "non-ISO 8601 expirationTime": r"Expiration Time: .* RFC 3339",
    "non-ISO 8601 notBefore": r"Not Before: .* RFC 3339",
    "resources not separated by line break": r"resource .* not an RFC 3986 URI",
    "first resource not-RFC 3986": r"resource .* not an RFC 3986 URI",
    "second resource is not-RFC3986": r"resource .* not an RFC 3986 URI",
}


def assert_round_trip(message: SiweMessage, text: str) -> None:
    assert format_message(message) == text
    assert parse_message(format_message(message)) == message


@pytest.mark.parametrize(("suite", "name", "vector"), vectors("parsing_positive.json"))
def test_parsing_positive(suite: str, name: str, vector: dict[str, Any]) -> None:
    fields = vector["fields"]
    message = parse_message(vector["message"])
    for key in fields:
        assert getattr(message, _FIELD[key]) == expected_field(fields, key), key
    assert message == message_from(fields)
    assert_round_trip(message, vector["message"])


@pytest.mark.parametrize(("suite", "name", "vector"), vectors("parsing_negative.json"))
def test_parsing_negative(suite: str, name: str, vector: str) -> None:
    with pytest.raises(SiweError, match=NEGATIVE_REASON[name]):
        parse_message(vector)


@pytest.mark.parametrize(("suite", "name", "vector"), vectors("parsing_negative_objects.json"))
def test_parsing_negative_objects(suite: str, name: str, vector: dict[str, Any]) -> None:
    if name.startswith("missing "):  # a required field absent: no message object at all
        field = _FIELD[name.removeprefix("missing ")]
        with pytest.raises(TypeError, match=f"'{field}'"):
            message_from(vector)
        return
    message = message_from(vector)
    with pytest.raises(SiweError, match=NEGATIVE_REASON[name]):
        format_message(message)


OBJECT_ERRORS = {
    "invalid EIP-55 address": r"EIP-55",
    "invalid resource URI": r"resource .* not an RFC 3986 URI",
    "invalid issued-at date time syntax": r"Issued At: .* not an RFC 3339",
    "invalid issued-at date time semantics": r"Issued At: .* not a valid date",
    "invalid expiration-time date time syntax": r"Expiration Time: .* not an RFC 3339",
    "invalid expiration-time date time semantics": r"Expiration Time: .* not a valid date",
    "invalid not-before date time syntax": r"Not Before: .* not an RFC 3339",
    "invalid not-before date time semantics": r"Not Before: .* not a valid date",
}


@pytest.mark.parametrize(("suite", "name", "vector"), vectors("message_objects.json"))
def test_message_objects(suite: str, name: str, vector: dict[str, Any]) -> None:
    message = message_from(vector["msg"])
    if vector["error"] == "none":
        text = format_message(message)
        assert parse_message(text) == message
        assert text.endswith("\nResources:") == (vector["msg"].get("resources") == [])
        return
    with pytest.raises(SiweError, match=OBJECT_ERRORS[vector["error"]]):
        format_message(message)


@pytest.mark.parametrize(("suite", "name", "vector"), vectors("valid_uris.json"))
def test_valid_uris(suite: str, name: str, vector: dict[str, Any]) -> None:
    message = parse_message(vector["msg"])
    parts = parse_uri(message.uri)
    assert parts is not None
    found = dataclasses.asdict(parts)
    for key, value in vector["uri"].items():
        assert found[key] == (str(value) if isinstance(value, int) else value), key
    assert_round_trip(message, vector["msg"])


@pytest.mark.parametrize(("suite", "name", "vector"), vectors("invalid_uris.json"))
def test_invalid_uris(suite: str, name: str, vector: str) -> None:
    with pytest.raises(SiweError, match="URI is not an RFC 3986 URI"):
        parse_message(vector)


@pytest.mark.parametrize(("suite", "name", "vector"), vectors("valid_resources.json"))
def test_valid_resources(suite: str, name: str, vector: dict[str, Any]) -> None:
    message = parse_message(vector["msg"])
    assert message.resources == tuple(vector["resources"])
    assert all(parse_uri(resource) is not None for resource in vector["resources"])
    assert_round_trip(message, vector["msg"])


@pytest.mark.parametrize(("suite", "name", "vector"), vectors("invalid_resources.json"))
def test_invalid_resources(suite: str, name: str, vector: str) -> None:
    with pytest.raises(SiweError, match=r"resource .* not an RFC 3986 URI"):
        parse_message(vector)


@pytest.mark.parametrize(("suite", "name", "vector"), vectors("valid_specification.json"))
def test_present_empty_and_missing_fields(suite: str, name: str, vector: dict[str, Any]) -> None:
    message = parse_message(vector["msg"])
    items = vector["items"]
    assert message.statement == items["statement"]
    assert message.request_id == items["requestId"]
    expected = items["resources"]
    assert message.resources == (None if expected is None else tuple(expected))
    assert_round_trip(message, vector["msg"])


_HEAD = "service.org wants you to sign in with your Ethereum account:\n"
_ADDRESS = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"
_TAIL = "URI: {uri}\nVersion: 1\nChain ID: 1\nNonce: 32891757\nIssued At: 2021-09-30T16:25:24Z"


def _embedded(
    domain: str = "service.org",
    statement: str | None = None,
    uri: str = "https://service.org",
    request_id: str | None = None,
) -> str:
    text = _HEAD.replace("service.org", domain, 1) + _ADDRESS + "\n\n"
    text += ("" if statement is None else statement + "\n") + "\n" + _TAIL.format(uri=uri)
    return text + ("" if request_id is None else f"\nRequest ID: {request_id}")


# Each grammar rule the character vectors name, placed where a message uses it, so the
# whole parser (not only the grammar) must give the vector's answer. The places are
# chosen so that no neighbouring rule can absorb the input (a "?" in a path would be a
# query, so pchar is tried as the Request ID, which is *pchar and nothing else).
EMBEDDINGS: dict[str, Callable[[str], str]] = {
    "scheme": lambda s: _embedded(uri=s + "://example.com"),
    "statement": lambda s: _embedded(statement=s),
    "pct-encoded": lambda s: _embedded(uri="urn:" + s),
    "userinfo": lambda s: _embedded(domain=s + "@example.com"),
    "IPvFuture": lambda s: _embedded(domain="[" + s + "]"),
    "reg-name": lambda s: _embedded(domain="user@" + s + ":8080"),
    "segment-nz": lambda s: _embedded(request_id=s),
    "fragment": lambda s: _embedded(uri="urn:x#" + s),
}


def _parses(text: str) -> bool:
    try:
        parse_message(text)
    except SiweError:
        return False
    return True


@pytest.mark.parametrize(
    ("suite", "name", "vector"), vectors("valid_chars.json") + vectors("invalid_chars.json")
)
def test_grammar_rule_characters(suite: str, name: str, vector: dict[str, Any]) -> None:
    assert matches(vector["rule"], vector["input"]) is vector["answer"]
    assert _parses(EMBEDDINGS[vector["rule"]](vector["input"])) is vector["answer"]


def _verification_now(vector: dict[str, Any]) -> float:
    # The vectors mean "now" when they give no time; their windows run to 2100.
    return parse_time(vector["time"]) if "time" in vector else time.time()


# Why each negative verification vector must be refused, as (exception, reason, pattern).
REFUSED = {
    "expired message": (VerifyError, "expired"),
    "domain binding": (VerifyError, "domain"),
    "custom time": (VerifyError, "expired"),
    "custom nonce": (VerifyError, "nonce"),
    "malformed signature": (SignatureError, None),
    "wrong signature": (VerifyError, "signer"),
    "not yet valid": (VerifyError, "not yet valid"),
    "invalid issuedAt": (SiweError, "Issued At"),
    "invalid notBefore": (SiweError, "Not Before"),
    "invalid expirationTime": (SiweError, "Expiration Time"),
}


def _verify(vector: dict[str, Any]) -> str:
    message = message_from(vector)
    return verify_message(
        message,
        parse_signature(vector["signature"]),
        domain=vector.get("domainBinding", message.domain),
        nonce=vector.get("matchNonce"),
        now=_verification_now(vector),
    )


@pytest.mark.parametrize(("suite", "name", "vector"), vectors("verification_positive.json"))
def test_verification_positive(suite: str, name: str, vector: dict[str, Any]) -> None:
    if (suite, "verification_positive.json", name) in DELIBERATE:
        with pytest.raises(VerifyError) as refused:
            _verify(vector)
        assert refused.value.reason == "not yet valid"
        # Everything else holds: the signature is the address's, and the window would be
        # open at that time but for the Issued At rule.
        message = message_from(vector)
        signature = parse_signature(vector["signature"])
        assert recover_signer(format_message(message), signature) == message.address
        assert message.expires_at_ts is not None
        assert _verification_now(vector) < message.expires_at_ts < message.issued_at_ts
        return
    assert _verify(vector) == vector["address"]


@pytest.mark.parametrize(("suite", "name", "vector"), vectors("verification_negative.json"))
def test_verification_negative(suite: str, name: str, vector: dict[str, Any]) -> None:
    kind, reason = REFUSED[name]
    with pytest.raises(kind) as refused:
        _verify(vector)
    if kind is VerifyError:
        assert refused.value.reason == reason  # type: ignore[attr-defined]
    elif reason is not None:
        assert reason in str(refused.value)


# ---- the same signed vectors through /verify itself (SQLite, one core each) ----


@asynccontextmanager
async def _core(
    tmp_path: Path, *, domain: str, uri: str, now: float, chain: Any = None
) -> AsyncIterator[Core]:
    settings = load_settings(
        database_url=f"sqlite:///{tmp_path}/vectors.db",
        charts_dir=tmp_path / "charts",
        wallets={"domain": domain, "uri": uri, "chain_id": 1, "relink_cooldown_minutes": 0},
    )
    core = await build_core(settings, clock=ManualClock(now))
    if chain is not None:
        core.deps.wallets.chain = chain
    try:
        yield core
    finally:
        await core.close()


async def _issue(core: Core, user: str, message: SiweMessage, text: str, now: float) -> None:
    """Make `text` the link message govbot issued to `user` (as /link would have)."""
    replies = await run_command(core, user, f"/link {message.address}")
    assert not is_refusal(replies), replies[0].text
    issued = await core.storage.nonces.nonce(replies[0].meta["nonce"])
    assert issued is not None
    expires = message.expires_at_ts
    await core.storage.nonces.issue(
        dataclasses.replace(
            issued,
            nonce=message.nonce,
            message=text,
            issued_at=now,
            expires_at=expires if expires is not None else now + 365 * 86400,
        )
    )


REPLY = {
    "expired": "expired",
    "domain": "is for the site",
    "nonce": "not issued to you",
    "not yet valid": "not valid yet",
    "signer": "not by",
}


def _signed_vectors() -> list[Any]:
    """(suite, name, vector, positive) for both verification files."""
    return [
        pytest.param(*param.values, positive, id=param.id)
        for positive, file in (
            (True, "verification_positive.json"),
            (False, "verification_negative.json"),
        )
        for param in vectors(file)
    ]


@pytest.mark.parametrize(("suite", "name", "vector", "positive"), _signed_vectors())
async def test_verification_through_verify(
    suite: str, name: str, vector: dict[str, Any], positive: bool, tmp_path: Path
) -> None:
    message = message_from(vector)
    now = _verification_now(vector)
    domain = vector.get("domainBinding", message.domain)
    async with _core(tmp_path, domain=domain, uri=message.uri, now=now) as core:
        try:
            text = format_message(message)
        except SiweError:
            # govbot never issues such a message; sent by hand, it is refused unparsed.
            replies = await run_command(
                core, "alice", f"/verify {vector['signature']}\n{_format(message)}"
            )
            assert is_refusal(replies) and "malformed" in replies[0].text
            return
        if "matchNonce" not in vector:  # else the nonce issued is another one
            await _issue(core, "alice", message, text, now)
        else:
            await run_command(core, "alice", f"/link {message.address}")
        replies = await run_command(core, "alice", f"/verify {vector['signature']}\n{text}")
        if positive and (suite, "verification_positive.json", name) not in DELIBERATE:
            assert not is_refusal(replies), replies[0].text
            assert f"Linked {message.address}" in replies[0].text
            return
        assert is_refusal(replies)
        if positive:
            assert REPLY["not yet valid"] in replies[0].text
            return
        kind, reason = REFUSED[name]
        expected = "Usage: /verify" if kind is SignatureError else REPLY[str(reason)]
        assert expected in replies[0].text, replies[0].text


# ---- EIP-1271: contract wallets, on an in-process chain ----
#
# The reference suites check these against mainnet, where an Argent and a Loopring
# wallet live at the messages' addresses; there is no network here. So a stand-in
# wallet is put at each address in the genesis of an in-process py-evm chain: the
# OwnerWallet for Argent's plain 65-byte signature, TypedOwnerWallet for Loopring's
# 65 bytes plus a signature-type byte. Its owner is the key that signed the EIP-191
# hash, recovered here with eth-account (not govbot). What this proves about govbot:
# the message is not taken for an EOA signature, the contract is asked about the
# EIP-191 hash of the exact text with the signature bytes unchanged (66 bytes too),
# and its answer decides: a wallet with another owner is refused.

STAND_IN = {"argent": "OwnerWallet", "loopring": "TypedOwnerWallet"}


def _owner(text: str, signature: bytes) -> str:
    """Who signed the text's EIP-191 hash (the first 65 bytes are the ECDSA signature)."""
    return str(Account.recover_message(encode_defunct(text=text), signature=signature[:65]))


def _chain_with_wallet(address: str, contract: str, owner: str) -> Any:
    scratch = LocalChain()
    runtime = bytes(scratch.w3.eth.get_code(scratch.deploy(contract, owner).address))
    genesis = dict(PyEVMBackend.generate_genesis_state(num_accounts=1))
    genesis[to_canonical_address(address)] = {
        "balance": 0,
        "nonce": 1,
        "code": runtime,
        "storage": {0: int(owner, 16)},  # `owner`, the contract's only state variable
    }
    chain = LocalChain()
    chain.tester = EthereumTester(PyEVMBackend(genesis_state=genesis))
    return chain.port()


@pytest.mark.parametrize(("suite", "name", "vector"), vectors("eip1271.json"))
async def test_eip1271(suite: str, name: str, vector: dict[str, Any], tmp_path: Path) -> None:
    text = vector["message"]
    message = parse_message(text)
    assert format_message(message) == text
    signature = parse_signature(vector["signature"])  # any even length is kept
    if len(signature) == 65:
        assert recover_signer(text, signature) != message.address  # not an EOA's signature
    owner = _owner(text, signature)
    now = message.issued_at_ts + 60
    for wallet_owner, links in ((owner, True), (Account.create().address, False)):
        port = _chain_with_wallet(message.address, STAND_IN[name], wallet_owner)
        place = tmp_path / str(links)
        place.mkdir()
        async with _core(
            place, domain=message.domain, uri=message.uri, now=now, chain=port
        ) as core:
            await _issue(core, "alice", message, text, now)
            replies = await run_command(core, "alice", f"/verify {vector['signature']}\n{text}")
            if links:
                assert not is_refusal(replies), replies[0].text
                assert "contract wallet" in replies[0].text
            else:
                assert is_refusal(replies)


CONSUMED = {
    "parsing_positive.json",
    "parsing_negative.json",
    "parsing_negative_objects.json",
    "message_objects.json",
    "valid_uris.json",
    "invalid_uris.json",
    "valid_resources.json",
    "invalid_resources.json",
    "valid_specification.json",
    "valid_chars.json",
    "invalid_chars.json",
    "verification_positive.json",
    "verification_negative.json",
    "eip1271.json",
}


def test_every_vector_file_is_run() -> None:
    """A file added to vectors/siwe/ without a test here fails, rather than being skipped."""
    sources = (ROOT / "SOURCES.md").read_text()
    for folder in SUITES.values():
        for path in folder.glob("*.json"):
            assert path.name in CONSUMED
            # and SOURCES.md has its row: which repository, path and commit it came from
            assert f"| {path.relative_to(ROOT)} | test/{path.name} |" in sources, path
