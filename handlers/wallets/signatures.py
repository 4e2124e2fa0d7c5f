"""Who signed a digest for an address: its own key (ECDSA), or the contract (EIP-1271).

A contract wallet defines its own signature format. A Safe's is its owners' 65-byte
signatures concatenated in owner order, each with v 27/28 (EIP-712), 31/32 (eth_sign),
1 (a hash the owner approved on chain) or 0 (an owner that is itself a contract, with
its signature appended), so 130, 195 or more bytes with v values and s values no
ordinary wallet would produce; or nothing at all ("0x") once the Safe has approved the
message in a transaction of its own. So when the address has code, the signature goes to
`isValidSignature` exactly as given; only an address without code (an ordinary account)
gets the ECDSA rules: 65 bytes, v 27/28 (or 0/1), r and s in range, low s.

One shortcut keeps the common case off the chain: a canonical 65-byte signature that
recovers to the address itself was made by that address's own key, which settles who
signed without asking the node (a key holder controls its address, code or not).
"""

from __future__ import annotations

import re

import coincurve

from handlers.wallets.chain import ChainCallFailed, ChainPort, ChainUnavailable, SignatureCheck
from handlers.wallets.siwe import SignatureError, check_ecdsa, eip55, keccak

MAX_HEX_DIGITS = 8192  # 4 KiB: a Safe's 63 owners at 65 bytes each, with room to spare
_HEX = re.compile(r"[0-9a-fA-F]+")

# Why a Safe refused, by its revert code (Safe's contracts revert with these strings).
SAFE_REASONS = {
    "GS020": (
        "it holds fewer owner signatures than the Safe's threshold (each owner's part is "
        "65 bytes; collect as many owners as the threshold and concatenate them; Safe error "
        "GS020)"
    ),
    "GS021": "a contract-owner part points inside the 65-byte parts (Safe error GS021)",
    "GS022": "a contract-owner part points past the end of the signature (Safe error GS022)",
    "GS023": "a contract-owner part is cut short (Safe error GS023)",
    "GS024": "an owner that is a contract did not accept its part (Safe error GS024)",
    "GS025": "an approved-hash part names an owner that has not approved it (Safe error GS025)",
    "GS026": (
        "a part was not signed by an owner of the Safe, or the parts are not sorted by "
        "owner address (Safe error GS026)"
    ),
    "Hash not approved": (
        "the Safe has not approved the message on chain, which an empty signature (0x) needs"
    ),
}


class OtherSigner(Exception):
    """An ordinary account's signature that recovers to someone else."""

    def __init__(self, signer: str) -> None:
        super().__init__(signer)
        self.signer = signer


class ContractRefused(Exception):
    """The address is a contract and did not accept the signature; the text says why."""


def parse_hex(text: str) -> bytes:
    """Hex (0x optional) → bytes, any even length, "0x" alone → empty; nothing else is
    checked here.

    Which rules a signature must meet depends on who it is for (an ordinary account or
    a contract wallet), so they are applied by `signer_kind`, not at parsing.
    """
    raw = text.strip()
    if raw in ("0x", "0X"):
        return b""  # a Safe that approved the message on chain signs with nothing
    if raw[:2] in ("0x", "0X"):
        raw = raw[2:]
    if not raw or len(raw) % 2 or len(raw) > MAX_HEX_DIGITS or not _HEX.fullmatch(raw):
        raise SignatureError(
            "A signature is 0x followed by hex digits (65 bytes for an ordinary wallet)."
        )
    return bytes.fromhex(raw)


def recover_digest(digest: bytes, signature: bytes) -> str:
    """The checksummed address whose key made this canonical 65-byte ECDSA signature."""
    check_ecdsa(signature)
    recovery_id = signature[64] - 27 if signature[64] >= 27 else signature[64]
    try:
        public = coincurve.PublicKey.from_signature_and_message(
            signature[:64] + bytes([recovery_id]), digest, hasher=None
        )
    except Exception as error:  # libsecp256k1 refuses points that do not recover
        raise SignatureError("The signature does not recover to any address.") from error
    return eip55(keccak(public.format(compressed=False)[1:])[-20:].hex())


async def signer_kind(
    chain: ChainPort | None, address: str, digest: bytes, signature: bytes
) -> str:
    """Who signed `digest` for `address`: "eoa" (its key) or "contract" (EIP-1271).

    Raises SignatureError (not an acceptable ordinary-account signature), OtherSigner
    (an ordinary account's signature by another key), ContractRefused (a contract that
    refused, or that cannot sign at all), or ChainUnavailable (the node did not answer:
    nothing is decided, the caller says "try again").
    """
    recovered: str | None = None
    ecdsa_error: SignatureError | None = None
    if len(signature) == 65:
        try:
            recovered = recover_digest(digest, signature)
        except SignatureError as error:
            ecdsa_error = error
        if recovered == address:
            return "eoa"
    if chain is not None and await _has_code(chain, address):
        check = await chain.check_signature(address, digest, signature)
        if check.valid:
            return "contract"
        raise ContractRefused(contract_refusal(address, check, recovered))
    if ecdsa_error is not None:
        raise ecdsa_error
    if recovered is not None:
        raise OtherSigner(recovered)
    if chain is None:
        raise SignatureError(
            f"An ordinary wallet's signature is 65 bytes (130 hex digits), not "
            f"{len(signature)}; a contract wallet's (a Safe's) can be checked only when the bot "
            "is connected to an Ethereum node (ETH_RPC_URL), and this one is not."
        )
    raise SignatureError(
        f"An ordinary wallet's signature is 65 bytes (130 hex digits), not {len(signature)}, "
        f"and {address} has no contract code, so it is an ordinary account, not a contract "
        "wallet."
    )


async def _has_code(chain: ChainPort, address: str) -> bool:
    try:
        return await chain.has_code(address)
    except ChainCallFailed as error:  # the node answered with an error: undecided, not "no"
        raise ChainUnavailable(f"get_code {address}: {error}") from error


def contract_refusal(address: str, check: SignatureCheck, recovered: str | None) -> str:
    """The one-line reason a contract did not accept a signature."""
    if not check.answered:
        return (
            f"{address} is a contract that gives no EIP-1271 answer (isValidSignature "
            "reverted without a reason or returned nothing), so it is not a wallet that can "
            "sign; use an ordinary wallet or a smart-contract wallet such as a Safe."
        )
    text = f"{address} is a contract wallet and it did not accept that signature (EIP-1271)"
    if check.reason is not None:
        return f"{text}: {SAFE_REASONS.get(check.reason, check.reason)}."
    if recovered is not None:
        return (
            f"{text}. Read as an ordinary signature it was made by {recovered}, not by a key "
            "this wallet accepts on its own."
        )
    return f"{text}."
