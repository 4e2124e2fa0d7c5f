"""The chain port: what wallet features need from an Ethereum node, as a Protocol.

`bot.integrations.chain.Web3Chain` implements it with web3's AsyncWeb3; tests pass
the same class over an in-process eth-tester chain. Every read names its block, so a
balance is always the one at the proposal's snapshot, never "now".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class ChainUnavailable(Exception):
    """The node did not answer (timeouts, connection errors) after the retries."""


class ChainCallFailed(Exception):
    """The node answered, but the call reverted or returned nothing usable."""


@dataclass(frozen=True, slots=True)
class SignatureCheck:
    """What a contract answered when asked `isValidSignature` (EIP-1271).

    Kept apart from a plain yes/no so a refusal can say why: a wallet that reverts with
    a reason (a Safe's "GS020": fewer signatures than its threshold) is told apart from a
    contract that has no such function at all (an empty answer or a bare revert).
    """

    valid: bool
    answered: bool = True  # False: no EIP-1271 answer at all (not a signing wallet)
    reason: str | None = None  # the contract's revert reason, when it gave one


class ChainPort(Protocol):
    async def chain_id(self) -> int: ...

    async def latest_block(self) -> int: ...

    async def erc20_balance(self, contract: str, holder: str, block: int) -> int: ...

    async def erc20_decimals(self, contract: str, block: int) -> int: ...

    async def erc721_balance(self, contract: str, holder: str, block: int) -> int: ...

    async def native_balance(self, holder: str, block: int) -> int: ...

    async def has_code(self, address: str) -> bool: ...

    async def is_valid_signature(self, contract: str, digest: bytes, signature: bytes) -> bool:
        """EIP-1271: does `contract` accept `signature` for `digest` (at the latest block)?"""
        ...

    async def check_signature(
        self, contract: str, digest: bytes, signature: bytes
    ) -> SignatureCheck:
        """EIP-1271 with the contract's answer kept: accepted, refused (and why), or none.

        `signature` is passed exactly as given, whatever its length. Raises
        ChainUnavailable when the node does not answer.
        """
        ...
