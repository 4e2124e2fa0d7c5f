"""The chain port: what wallet features need from an Ethereum node, as a Protocol.

`bot.integrations.chain.Web3Chain` implements it with web3's AsyncWeb3; tests pass
the same class over an in-process eth-tester chain. Every read names its block, so a
balance is always the one at the proposal's snapshot, never "now".
"""

from __future__ import annotations

from typing import Protocol


class ChainUnavailable(Exception):
    """The node did not answer (timeouts, connection errors) after the retries."""


class ChainCallFailed(Exception):
    """The node answered, but the call reverted or returned nothing usable."""


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
