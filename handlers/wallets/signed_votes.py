"""The `/vote … sig=0x…` step: check a signed ballot, or show how to sign one.

Ordinary accounts and contract wallets go through the same check
(`handlers.wallets.signatures.signer_kind`): a contract wallet's signature reaches its
`isValidSignature` exactly as sent, whatever its length.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from handlers.core.errors import NotAllowed, NotEligible
from handlers.core.markup import block
from handlers.voting.ballots import Selection
from handlers.wallets.ballots import check_signed_ballot, typed_data
from storage.records import MemberRecord, ProposalRecord

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
    if link.kind == "contract" and ctx.deps.wallets.chain is None:
        raise NotAllowed(
            f"Your linked wallet {link.address} is a contract wallet; its ballot signature can be "
            "checked only when the bot is connected to an Ethereum node (ETH_RPC_URL)."
        )
    _, record = await check_signed_ballot(
        ctx.deps.wallets.chain, data, signature_text, link.address, usage
    )
    return SignedBallot(record, "")
