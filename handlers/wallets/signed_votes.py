"""The `/vote … sig=0x…` step: check a signed ballot, or show how to sign one."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from handlers.core.errors import BadArguments, NotAllowed, NotEligible, TryAgain
from handlers.core.markup import block
from handlers.voting.ballots import Selection
from handlers.wallets.ballots import check_signed_ballot, digest, typed_data
from handlers.wallets.chain import ChainCallFailed, ChainUnavailable
from handlers.wallets.siwe import SignatureError, parse_signature
from storage.records import MemberRecord, ProposalRecord, dumps

if TYPE_CHECKING:
    from handlers.core.context import Context


@dataclass(frozen=True, slots=True)
class SignedBallot:
    record: str | None  # the audit record: signature + typed data, or None
    hint: str  # for an unsigned ballot by a linked member: the typed data to sign


async def signed_ballot(
    ctx: Context,
    proposal: ProposalRecord,
    member: MemberRecord,
    selection: Selection,
    signature_text: str | None,
    usage: str,
) -> SignedBallot:
    link = await ctx.deps.storage.wallets.active(member.id)
    if link is None:
        if signature_text is not None:
            raise NotEligible("A signed ballot needs a linked wallet: /link <address> first.")
        return SignedBallot(None, "")
    community = await ctx.community()
    data = typed_data(
        proposal=proposal,
        selection=selection,
        member=member,
        address=link.address,
        space=community.key,
        chain_id=ctx.deps.wallets.policy.chain_id,
    )
    if signature_text is None:
        hint = (
            "\nTo make this ballot verifiable by anyone, sign this EIP-712 typed data with "
            f"{link.address} (eth_signTypedData_v4) and vote again adding sig=0x…:"
            + block(json.dumps(data, indent=1, ensure_ascii=False))
        )
        return SignedBallot(None, hint)
    if link.kind == "contract":
        try:
            signature = parse_signature(signature_text)
        except SignatureError as error:
            raise BadArguments(f"sig= {error}", usage=usage) from None
        chain = ctx.deps.wallets.chain
        try:
            ok = chain is not None and await chain.is_valid_signature(
                link.address, digest(data), signature
            )
        except ChainUnavailable:
            raise TryAgain(
                "The chain did not answer while checking your contract wallet's ballot "
                "signature; nothing was recorded — try again in a minute."
            ) from None
        except ChainCallFailed:
            ok = False
        if not ok:
            raise NotAllowed(
                f"Your contract wallet {link.address} did not accept that ballot signature "
                "(EIP-1271)."
            )
        record = dumps({"signature": "0x" + signature.hex(), "typed_data": data})
        return SignedBallot(record, "")
    _, record = check_signed_ballot(data, signature_text, link.address, usage)
    return SignedBallot(record, "")
