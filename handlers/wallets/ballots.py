"""Signed ballots: an EIP-712 message in Snapshot's `Vote` shape, plus chain id and user.

`/vote <id> <ballot> sig=0x…` carries a signature of `typed_data(...)` by the voter's
linked wallet; the ballot, its typed data and the signature go into the audit log, so
anyone can rebuild the digest and check who signed it. Snapshot's fields are kept
(from, space, timestamp, proposal, choice, reason, app, metadata; domain name
"snapshot", version "0.1.4"), the domain gains `chainId`, and the message gains `user`
(platform:user id), so a signature can't be replayed by another account or chain.
"""

from __future__ import annotations

import json
import re
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak

from handlers.core.errors import BadArguments, NotAllowed, TryAgain
from handlers.voting import methods
from handlers.voting.ballots import Selection, to_snapshot_choice
from handlers.wallets.chain import ChainPort, ChainUnavailable
from handlers.wallets.signatures import ContractRefused, OtherSigner, parse_hex, signer_kind
from handlers.wallets.siwe import SignatureError, check_ecdsa
from storage.records import MemberRecord, ProposalRecord, dumps

_SIG = re.compile(r"(?:^|\s)sig=(\S*)\s*$", re.IGNORECASE)
APP = "govbot"


def split_signature(text: str) -> tuple[str, str | None]:
    """`a, c sig=0x…` → ("a, c", "0x…"); no sig → (text, None)."""
    match = _SIG.search(text)
    if match is None:
        return text, None
    return text[: match.start()].rstrip(), match.group(1)


def _choice_type(method: str) -> str:
    return methods.get(method).signed_choice_type


def typed_data(
    *,
    proposal: ProposalRecord,
    selection: Selection,
    member: MemberRecord,
    address: str,
    space: str,
    chain_id: int,
) -> dict[str, Any]:
    """Fully determined by the proposal, the ballot and the voter, so the voter can sign it
    before voting and anyone can rebuild it; `timestamp` is the proposal's opening time."""
    choice: Any = to_snapshot_choice(proposal.method, selection)
    if isinstance(choice, dict):
        choice = json.dumps(choice, separators=(",", ":"), sort_keys=True)
    return {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
            ],
            "Vote": [
                {"name": "from", "type": "address"},
                {"name": "space", "type": "string"},
                {"name": "timestamp", "type": "uint64"},
                {"name": "proposal", "type": "string"},
                {"name": "choice", "type": _choice_type(proposal.method)},
                {"name": "reason", "type": "string"},
                {"name": "app", "type": "string"},
                {"name": "metadata", "type": "string"},
                {"name": "user", "type": "string"},
            ],
        },
        "primaryType": "Vote",
        "domain": {"name": "snapshot", "version": "0.1.4", "chainId": chain_id},
        "message": {
            "from": address,
            "space": space,
            "timestamp": int(proposal.created_at),
            "proposal": f"{space}#{proposal.number}",
            "choice": choice,
            "reason": "",
            "app": APP,
            "metadata": "{}",
            "user": f"{member.platform}:{member.user_id}",
        },
    }


def digest(data: dict[str, Any]) -> bytes:
    """The EIP-712 hash a wallet signs (what EIP-1271 contracts are asked about)."""
    signable = encode_typed_data(full_message=data)
    return bytes(keccak(b"\x19" + signable.version + signable.header + signable.body))


def recover(data: dict[str, Any], signature: bytes) -> str:
    check_ecdsa(signature)
    if signature[64] < 27:
        signature = signature[:64] + bytes([signature[64] + 27])
    return str(Account.recover_message(encode_typed_data(full_message=data), signature=signature))


async def check_signed_ballot(
    chain: ChainPort | None, data: dict[str, Any], signature_text: str, address: str, usage: str
) -> tuple[bytes, str]:
    """The signature bytes and the audit record; refuses a bad or foreign signature.

    A contract wallet (a Safe) gets the signature exactly as sent, through EIP-1271;
    only an ordinary account's must be a canonical 65-byte ECDSA signature.
    """
    try:
        signature = parse_hex(signature_text)
        await signer_kind(chain, address, digest(data), signature)
    except SignatureError as error:
        raise BadArguments(f"sig= {error}", usage=usage) from None
    except OtherSigner as error:
        raise NotAllowed(
            f"That ballot signature was made by {error.signer}, not by your linked wallet "
            f"{address}. Sign the typed data shown in your vote receipt with your linked wallet."
        ) from None
    except ContractRefused as error:
        raise NotAllowed(f"Ballot signature refused: {error}") from None
    except ChainUnavailable:
        raise TryAgain(
            "The chain did not answer while checking your wallet's ballot signature; nothing "
            "was recorded — try again in a minute."
        ) from None
    record = dumps({"signature": "0x" + signature.hex(), "typed_data": data})
    return signature, record
