"""Safe multisigs on the in-process chain, and their owners signing as the Safe web app does.

Deploys the real Safe contracts (singleton, SafeProxyFactory,
CompatibilityFallbackHandler from @safe-global/safe-contracts, committed in
tests/contracts/safe-artifacts.json) and creates Safe proxies through the factory, the
way the Safe app does. A message is signed for a Safe by its owners signing the Safe's
EIP-712 `SafeMessage(bytes message)` (domain: chainId and the Safe's address) over the
digest the Safe is asked about; their parts are concatenated sorted by owner address.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_abi import encode
from eth_account import Account
from eth_account.messages import encode_defunct, encode_typed_data
from eth_utils import keccak
from web3.logs import DISCARD

from tests.wallets.chain import LocalChain

ZERO = "0x" + "00" * 20


def safe_message(chain_id: int, safe: str, message: bytes) -> dict[str, Any]:
    """The EIP-712 typed data a Safe owner signs for `message` (a digest, or raw bytes)."""
    return {
        "types": {
            "EIP712Domain": [
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "SafeMessage": [{"name": "message", "type": "bytes"}],
        },
        "primaryType": "SafeMessage",
        "domain": {"chainId": chain_id, "verifyingContract": safe},
        "message": {"message": message},
    }


@dataclass(frozen=True)
class Part:
    """One owner's part of a Safe signature: 65 static bytes, plus a contract's own bytes."""

    owner: str
    static: bytes
    dynamic: bytes = b""


def concatenate(parts: list[Part]) -> bytes:
    """Parts sorted by owner address; a contract owner's bytes follow all static parts,
    its `s` pointing at them (Safe's v = 0 layout)."""
    ordered = sorted(parts, key=lambda part: int(part.owner, 16))
    static, tail = b"", b""
    offset = 65 * len(ordered)
    for part in ordered:
        if part.dynamic:
            pointer = (offset + len(tail)).to_bytes(32, "big")
            static += part.static[:32] + pointer + b"\x00"
            tail += len(part.dynamic).to_bytes(32, "big") + part.dynamic
        else:
            static += part.static
    return static + tail


class Safes:
    """The Safe singleton, proxy factory, fallback handler and SignMessageLib on one chain."""

    def __init__(self, chain: LocalChain) -> None:
        self.chain = chain
        self.singleton = chain.deploy("Safe")
        self.factory = chain.deploy("SafeProxyFactory")
        self.handler = chain.deploy("CompatibilityFallbackHandler")
        self.sign_lib = chain.deploy("SignMessageLib")
        self._salt = 0
        self._senders: set[str] = set()

    def create(self, owners: list[str], threshold: int, *, fallback: bool = True) -> Any:
        """A new Safe proxy set up with these owners (and the fallback handler, normally)."""
        setup = self.singleton.encode_abi(
            "setup",
            [
                owners,
                threshold,
                ZERO,
                b"",
                self.handler.address if fallback else ZERO,
                ZERO,
                0,
                ZERO,
            ],
        )
        self._salt += 1
        tx = self.factory.functions.createProxyWithNonce(
            self.singleton.address, setup, self._salt
        ).transact({"from": self.chain.owner})
        receipt = self.chain.w3.eth.get_transaction_receipt(tx)
        created = self.factory.events.ProxyCreation().process_receipt(receipt, errors=DISCARD)
        proxy = created[0]["args"]["proxy"]
        return self.chain.w3.eth.contract(address=proxy, abi=self.singleton.abi)

    def handler_at(self, safe: Any) -> Any:
        """The Safe seen through its fallback handler's ABI (isValidSignature, getMessageHash)."""
        return self.chain.w3.eth.contract(address=safe.address, abi=self.handler.abi)

    @property
    def chain_id(self) -> int:
        return int(self.chain.w3.eth.chain_id)

    def sign_on_chain(self, safe: Any, owners: list[Any], message: bytes) -> None:
        """The Safe marks `message` signed in its own storage (the Safe app's on-chain
        signing): a Safe transaction, signed by `owners`, delegatecalls SignMessageLib.
        EIP-1271 then accepts the empty signature for it."""
        call = self.sign_lib.encode_abi("signMessage", [message])
        fields = [self.sign_lib.address, 0, call, 1, 0, 0, 0, ZERO, ZERO]  # operation 1
        nonce = safe.functions.nonce().call()
        tx_hash = bytes(safe.functions.getTransactionHash(*fields, nonce).call())
        parts = [
            Part(owner.address, bytes(Account.unsafe_sign_hash(tx_hash, owner.key).signature))
            for owner in owners
        ]
        self.chain.transact(safe.functions.execTransaction(*fields, concatenate(parts)))

    # ------------------------------------------------------------------ owners' parts

    def message_hash(self, safe: Any, message: bytes) -> bytes:
        """The SafeMessage hash owners sign, computed off chain from the typed data."""
        signable = encode_typed_data(
            full_message=safe_message(self.chain_id, safe.address, message)
        )
        return bytes(keccak(b"\x19" + signable.version + signable.header + signable.body))

    def typed_part(self, owner: Any, safe: Any, message: bytes) -> Part:
        """eth_signTypedData_v4 of the SafeMessage: v 27/28."""
        data = safe_message(self.chain_id, safe.address, message)
        signed = owner.sign_message(encode_typed_data(full_message=data))
        return Part(owner.address, bytes(signed.signature))

    def eth_sign_part(self, owner: Any, safe: Any, message: bytes) -> Part:
        """eth_sign (EIP-191) of the SafeMessage hash, marked with v + 4: v 31/32."""
        signed = owner.sign_message(encode_defunct(primitive=self.message_hash(safe, message)))
        raw = bytes(signed.signature)
        return Part(owner.address, raw[:64] + bytes([raw[64] + 4]))

    def approve(self, owner: Any, safe: Any, message: bytes) -> Part:
        """The owner approves the SafeMessage hash on chain; its part is then v = 1, s = 0."""
        if owner.address not in self._senders:
            self._senders.add(self.chain.unlocked(owner))
        sender = owner.address
        self.chain.transact(
            safe.functions.approveHash(self.message_hash(safe, message)), sender=sender
        )
        return Part(owner.address, encode(["address"], [owner.address]) + bytes(32) + b"\x01")

    def contract_part(self, owner_safe: Any, its_owner: Any, outer: Any, message: bytes) -> Part:
        """A Safe that owns `outer` signs as a contract owner (v = 0): its own owner signs a
        SafeMessage, on the inner Safe's domain, over the outer Safe's message preimage."""
        outer_hash_preimage = (
            b"\x19\x01"
            + bytes(outer.functions.domainSeparator().call())
            + keccak(
                encode(
                    ["bytes32", "bytes32"],
                    [keccak(text="SafeMessage(bytes message)"), keccak(message)],
                )
            )
        )
        inner = self.typed_part(its_owner, owner_safe, outer_hash_preimage)
        return Part(
            owner_safe.address,
            encode(["address"], [owner_safe.address]) + bytes(33),
            inner.static,
        )
