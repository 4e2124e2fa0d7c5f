"""Linking from the browser signing page: the same checks and the same write as /verify.

The page is addressed by the link's nonce (sent privately by /link, 96 random bits),
so the nonce is the capability: it names the member who asked and the exact message
they must sign. A signature posted back goes through `check_signed` with that stored
message (domain, chain, nonce owner, unchanged text, time window, signer or EIP-1271)
and `finish_link` (address taken, cool-down, nonce reuse, inside the write) — nothing
is decided here that /verify would decide differently. The HTTP side lives in
`bot/signing_page.py`; this module knows no aiohttp.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from handlers.core.deps import Deps
from handlers.core.errors import NotAllowed, NotFound
from handlers.core.events import WalletLinked
from handlers.wallets.linking import Verified, check_signed, finish_link
from storage.records import MemberRecord
from storage.repos.nonces import NonceRecord

NONCE = re.compile(r"^[A-Za-z0-9]{8,64}$")
UNKNOWN = (
    "This signing link is unknown or was replaced by a newer /link. Send /link <address> "
    "in the chat again."
)


@dataclass(frozen=True, slots=True)
class PendingLink:
    """What the page shows: the message to sign, for which address, until when."""

    nonce: NonceRecord
    member: MemberRecord


async def pending_link(deps: Deps, nonce: str, *, now: float) -> PendingLink:
    """The link in progress for this nonce, or a DomainError saying why there is none."""
    if not NONCE.match(nonce):
        raise NotFound(UNKNOWN)
    record = await deps.storage.nonces.nonce(nonce)
    if record is None:
        raise NotFound(UNKNOWN)
    if record.used_at is not None:
        raise NotAllowed("This link was already completed. See /wallet in the chat.")
    if now >= record.expires_at:  # the signed Expiration Time: refused from that second on
        raise NotAllowed("This signing link has expired. Send /link <address> in the chat again.")
    member = await deps.storage.members.get(record.member_id)
    if member is None:  # a member row is never deleted while its nonce exists
        raise NotFound(UNKNOWN)
    return PendingLink(record, member)


async def verify_from_page(
    deps: Deps, nonce: str, signature_text: str, *, now: float
) -> tuple[MemberRecord, Verified]:
    """Check the posted signature exactly as /verify does and link; DomainError if refused."""
    pending = await pending_link(deps, nonce, now=now)
    record, verified, signature = await check_signed(
        deps.storage,
        deps.wallets.policy,
        deps.wallets.chain,
        member=pending.member,
        signature_text=signature_text,
        message_text=pending.nonce.message,
        now=now,
    )
    await finish_link(
        deps.storage,
        deps.wallets.policy,
        pending=record,
        verified=verified,
        signature=signature,
        now=now,
    )
    # Roles that follow a wallet move now; the roles feature tells the member by DM.
    await deps.events.publish(deps, WalletLinked(pending.member, verified.address))
    return pending.member, verified


def confirmation(verified: Verified) -> str:
    """The chat's confirmation of a link made on the page (what /verify would answer)."""
    kind = " (a contract wallet, checked with EIP-1271)" if verified.kind == "contract" else ""
    return (
        f"Linked {verified.address}{kind} to you in this community (signed in your browser). "
        "Your votes can now count your tokens. See /wallet."
    )
