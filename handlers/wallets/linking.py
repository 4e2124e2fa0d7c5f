"""Issuing and verifying link messages: every refusal decided before anything is written.

`/link` builds the EIP-4361 message (bound to the domain, URI and chain id from the
settings and, in its statement, to the platform user and community) with a fresh nonce
and stores it. `/verify` checks the signature against the message *we issued* (so an
altered message can never be linked), the nonce, the time window, and then who signed:
an EOA by recovery, a contract wallet (a Safe, say) by EIP-1271 through the chain port,
with the signature exactly as sent (see `handlers.wallets.signatures`). The final
checks that race with other members (address taken, cool-down, nonce reuse) run again
inside the write transaction in `WalletRepo.link`.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from handlers.core.errors import BadArguments, NotAllowed, TryAgain
from handlers.wallets.chain import ChainPort, ChainUnavailable
from handlers.wallets.policy import WalletPolicy
from handlers.wallets.signatures import ContractRefused, OtherSigner, parse_hex, signer_kind
from handlers.wallets.siwe import (
    SignatureError,
    SiweError,
    SiweMessage,
    bound_to,
    checksum,
    format_time,
    parse_message,
    personal_hash,
    time_problem,
)
from storage import Storage
from storage.records import CommunityRecord, MemberRecord
from storage.repos.nonces import NonceRecord
from storage.repos.wallets import LinkOutcome, LinkRequest, WalletRepo

LINK_USAGE = "/link <address>  (then sign the message and send /verify <signature>)"
VERIFY_USAGE = "/verify <signature>  (the 0x… signature of the message /link sent you)"
_STATEMENT_UNSAFE = re.compile(r"[^A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;= ]")


def short(address: str) -> str:
    return f"{address[:6]}…{address[-4:]}"


def parse_address(text: str, usage: str) -> str:
    try:
        return checksum(text)
    except ValueError:
        raise BadArguments(
            f'"{text[:50]}" is not an Ethereum address (0x and 40 hex digits, with a correct '
            "checksum if it is mixed case).",
            usage=usage,
        ) from None


def _statement_part(text: str) -> str:
    """A name made safe for the statement (RFC 3986 characters only, one line)."""
    cleaned = _STATEMENT_UNSAFE.sub("_", text.strip())[:60]
    return cleaned or "_"


def build_message(
    policy: WalletPolicy,
    *,
    address: str,
    platform: str,
    user_id: str,
    community: CommunityRecord,
    now: float,
    nonce: str | None = None,
) -> SiweMessage:
    statement = (
        f"Link this address to {_statement_part(platform)} user {_statement_part(user_id)} "
        f"in the govbot community {_statement_part(community.name)}."
    )
    return SiweMessage(
        domain=policy.domain,
        address=address,
        statement=statement,
        uri=policy.uri,
        version="1",
        chain_id=policy.chain_id,
        nonce=nonce or secrets.token_hex(12),
        issued_at=format_time(now),
        expiration_time=format_time(now + policy.link_ttl_minutes * 60),
        request_id=f"{_statement_part(platform)}:{_statement_part(user_id)}",
    )


def _minutes(seconds: float) -> str:
    minutes = max(1, round(seconds / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


async def start_link(
    storage: Storage,
    policy: WalletPolicy,
    *,
    community: CommunityRecord,
    member: MemberRecord,
    address: str,
    now: float,
) -> SiweMessage:
    """Refuse early what verification would refuse anyway; else issue a message."""
    mine = await storage.wallets.active(member.id, fresh=True)
    if mine is not None and mine.address == address:
        raise NotAllowed(f"{address} is already your linked wallet. See /wallet.")
    holder = await storage.wallets.by_address(community.id, address)
    if (
        holder is not None
        and holder.member_id != member.id
        and holder.platform in (None, member.platform)  # another platform: the same person
    ):
        raise NotAllowed(
            f"{address} is already linked to another member of this community on "
            f"{member.platform}; an address can be linked to one account per platform."
        )
    await check_cooldown(storage.wallets, policy, member.id, now)
    message = build_message(
        policy,
        address=address,
        platform=member.platform,
        user_id=member.user_id,
        community=community,
        now=now,
    )
    text = message.text()
    # Never issue what /verify would not read back the same (and this parse is memoised,
    # so /verify's own parse of the stored text is a lookup).
    if parse_message(text) != message:
        raise RuntimeError("the link message does not parse back to the fields it was built from")
    expires_at = message.expires_at_ts
    assert expires_at is not None  # build_message always sets one
    await storage.nonces.issue(
        NonceRecord(
            nonce=message.nonce,
            community_id=community.id,
            member_id=member.id,
            address=address,
            message=text,
            issued_at=now,
            # The signed text states whole seconds: store that instant, not now + ttl,
            # so every check (here, the signing page, the write) ends where the text says.
            expires_at=expires_at,
            used_at=None,
        )
    )
    return message


async def check_cooldown(repo: WalletRepo, policy: WalletPolicy, member_id: int, now: float):  # type: ignore[no-untyped-def]
    last = await repo.last_change(member_id)
    cooldown = policy.relink_cooldown_minutes * 60
    if last is not None and now - last < cooldown:
        raise NotAllowed(
            "You changed your linked wallet recently; you can link again in "
            f"{_minutes(cooldown - (now - last))}."
        )


@dataclass(frozen=True, slots=True)
class Verified:
    address: str
    kind: str  # "eoa" | "contract"
    message: SiweMessage


def split_verify_text(text: str) -> tuple[str, str | None]:
    """`<signature>` or `<signature>` followed by the signed message on the next lines."""
    first, _, rest = text.strip().partition("\n")
    parts = first.split(None, 1)
    if not parts:
        raise BadArguments("Give the signature.", usage=VERIFY_USAGE)
    signature = parts[0]
    message = "\n".join(p for p in (parts[1] if len(parts) > 1 else "", rest) if p)
    return signature, (message.strip("\n") or None)


async def check_signed(
    storage: Storage,
    policy: WalletPolicy,
    chain: ChainPort | None,
    *,
    member: MemberRecord,
    signature_text: str,
    message_text: str | None,
    now: float,
) -> tuple[NonceRecord, Verified, bytes]:
    """Every check except the racing ones; raises a DomainError with the reason."""
    try:
        signature = parse_hex(signature_text)
    except SignatureError as error:
        raise BadArguments(str(error), usage=VERIFY_USAGE) from None
    if message_text is not None:
        try:
            supplied = parse_message(message_text)
        except SiweError as error:
            raise BadArguments(f"That message is malformed: {error}", usage=VERIFY_USAGE) from None
        if not bound_to(supplied, policy.domain):
            raise NotAllowed(
                f'That message is for the site "{supplied.domain}", not "{policy.domain}"; '
                "sign only the message /link sent you."
            )
        if supplied.chain_id != policy.chain_id:
            raise NotAllowed(
                f"That message is for chain {supplied.chain_id}; this community links wallets "
                f"on chain {policy.chain_id}."
            )
        pending = await storage.nonces.nonce(supplied.nonce)
        if pending is None or pending.member_id != member.id:
            raise NotAllowed("That message's nonce was not issued to you. Start with /link.")
        if pending.message != message_text.replace("\r\n", "\n").strip("\n"):
            raise NotAllowed(
                "That message was altered: it differs from the one /link issued. Sign the exact "
                "message, unchanged."
            )
    else:
        found = await storage.nonces.latest_nonce(member.id)
        if found is None:
            raise NotAllowed("You have no link in progress. Start with /link <address>.")
        pending = found
    if pending.used_at is not None:
        raise NotAllowed(
            "That link message's nonce has already been used; each message links once. "
            "Start again with /link <address>."
        )
    message = parse_message(pending.message)
    problem = time_problem(message, now)
    if problem is None and now >= pending.expires_at:
        problem = "expired"  # the stored bound, should a message ever lack its own
    if problem == "expired":
        raise NotAllowed(
            f"That link message expired at {message.expiration_time}. Start again with /link."
        )
    if problem is not None:
        raise NotAllowed("That link message is not valid yet (its time is in the future).")
    kind = await _who_signed(chain, pending, signature)
    return pending, Verified(pending.address, kind, message), signature


async def _who_signed(chain: ChainPort | None, pending: NonceRecord, signature: bytes) -> str:
    """ "eoa" or "contract"; a contract wallet gets the signature exactly as sent."""
    address = pending.address
    try:
        return await signer_kind(chain, address, personal_hash(pending.message), signature)
    except SignatureError as error:
        raise BadArguments(str(error), usage=VERIFY_USAGE) from None
    except OtherSigner as error:
        raise NotAllowed(
            f"That signature was made by {error.signer}, not by {address}. Sign the message "
            "with the wallet you are linking."
        ) from None
    except ContractRefused as error:
        raise NotAllowed(str(error)) from None
    except ChainUnavailable:
        raise TryAgain(
            "The chain did not answer while checking your wallet's signature; nothing was "
            "changed — try again in a minute (the same /verify works)."
        ) from None


REFUSALS = {
    "missing": "You have no link in progress. Start with /link <address>.",
    "used": "That link message's nonce has already been used. Start again with /link <address>.",
    "expired": "That link message has expired. Start again with /link <address>.",
    "same": "That address is already your linked wallet. See /wallet.",
}


async def finish_link(
    storage: Storage,
    policy: WalletPolicy,
    *,
    pending: NonceRecord,
    verified: Verified,
    signature: bytes,
    now: float,
) -> LinkOutcome:
    outcome = await storage.wallets.link(
        LinkRequest(
            nonce=pending.nonce,
            community_id=pending.community_id,
            member_id=pending.member_id,
            address=verified.address,
            kind=verified.kind,
            message=pending.message,
            signature="0x" + signature.hex(),
            at=now,
            cooldown_seconds=policy.relink_cooldown_minutes * 60,
        )
    )
    if outcome.refused == "taken":
        raise NotAllowed(
            f"{verified.address} is already linked to another member of this community on "
            "this platform; an address can be linked to one account per platform."
        )
    if outcome.refused == "cooldown":
        raise NotAllowed(
            "You changed your linked wallet recently; you can link again in "
            f"{_minutes(outcome.wait_seconds)}."
        )
    if outcome.refused is not None:
        raise NotAllowed(REFUSALS[outcome.refused])
    return outcome
