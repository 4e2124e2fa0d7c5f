"""The chain port over web3's AsyncWeb3: balances at a block, code, EIP-1271.

Reads are raw `eth_call`s with hand-encoded calldata (balanceOf, decimals,
isValidSignature): no contract objects, no ABI loading per call. Each read has a
timeout and a bounded number of retries with backoff; after them the handler sees
`ChainUnavailable` (→ "try again", nothing written). A revert or an empty answer is
`ChainCallFailed`, never retried; for isValidSignature the revert's reason is kept (a
Safe says "GS020" for too few owner signatures) and a bare revert means "no such
function". Values at a fixed block never change, so they are cached per (kind,
contract, address, block) in an LRU, and concurrent reads of one key share one request.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

from aiohttp import ClientTimeout
from eth_abi import decode, encode
from web3 import AsyncHTTPProvider, AsyncWeb3
from web3.exceptions import (
    BadFunctionCallOutput,
    ContractCustomError,
    ContractLogicError,
    Web3RPCError,
    Web3ValidationError,
)
from web3.types import BlockIdentifier

from handlers.wallets.chain import ChainCallFailed, ChainUnavailable, SignatureCheck
from handlers.wallets.policy import WalletPolicy

log = logging.getLogger(__name__)

T = TypeVar("T")

BALANCE_OF = bytes.fromhex("70a08231")
DECIMALS = bytes.fromhex("313ce567")
IS_VALID_SIGNATURE = bytes.fromhex("1626ba7e")  # also the magic value it returns
_NOT_TRANSIENT = (ContractLogicError, BadFunctionCallOutput, Web3RPCError, Web3ValidationError)


class Web3Chain:
    """`handlers.wallets.chain.ChainPort` implemented with AsyncWeb3."""

    def __init__(
        self,
        w3: AsyncWeb3,
        *,
        timeout: float = 10.0,
        retries: int = 2,
        cache_size: int = 100_000,
        backoff: float = 0.2,
    ) -> None:
        self.w3 = w3
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.cache_size = cache_size
        self._cache: OrderedDict[tuple[Any, ...], int] = OrderedDict()
        self._inflight: dict[tuple[Any, ...], asyncio.Future[int]] = {}
        self._code: dict[str, bool] = {}
        self.requests = 0  # RPC calls made (tests and the benchmark read it)
        self.hits = 0

    @classmethod
    def from_url(
        cls, url: str, *, timeout: float = 10.0, retries: int = 2, cache_size: int = 100_000
    ) -> Web3Chain:
        provider = AsyncHTTPProvider(
            url,
            request_kwargs={"timeout": ClientTimeout(total=timeout)},
            exception_retry_configuration=None,  # retries are ours, counted and bounded
        )
        return cls(AsyncWeb3(provider), timeout=timeout, retries=retries, cache_size=cache_size)

    async def close(self) -> None:
        if isinstance(self.w3.provider, AsyncHTTPProvider):
            await self.w3.provider.disconnect()  # its cached aiohttp session

    # ------------------------------------------------------------------ plumbing

    async def _rpc(self, what: str, make: Callable[[], Awaitable[T]]) -> T:
        last: BaseException | None = None
        for attempt in range(self.retries + 1):
            self.requests += 1
            try:
                return await asyncio.wait_for(make(), self.timeout)
            except _NOT_TRANSIENT as error:
                raise ChainCallFailed(f"{what}: {error}") from error
            except Exception as error:  # timeouts, connection resets, HTTP 5xx, bad JSON
                last = error
                log.warning(
                    "chain read failed what=%s attempt=%d/%d error=%s",
                    what,
                    attempt + 1,
                    self.retries + 1,
                    type(error).__name__,
                )
                if attempt < self.retries:
                    await asyncio.sleep(self.backoff * 2**attempt)
        raise ChainUnavailable(f"{what}: {type(last).__name__}") from last

    async def _cached(self, key: tuple[Any, ...], read: Callable[[], Awaitable[int]]) -> int:
        if key in self._cache:
            self.hits += 1
            self._cache.move_to_end(key)
            return self._cache[key]
        pending = self._inflight.get(key)
        if pending is not None:
            self.hits += 1
            return await asyncio.shield(pending)
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            value = await read()
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # retrieved: no "never retrieved" warning without waiters
            raise
        finally:
            self._inflight.pop(key, None)
        future.set_result(value)
        if self.cache_size:
            self._cache[key] = value
            if len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return value

    async def _call_uint(self, contract: str, data: bytes, block: int | str, what: str) -> int:
        async def call() -> bytes:
            return bytes(
                await self.w3.eth.call(
                    {"to": contract, "data": data}, block_identifier=cast(BlockIdentifier, block)
                )
            )

        raw = await self._rpc(what, call)
        if len(raw) < 32:
            raise ChainCallFailed(f"{what}: empty answer (no contract, or not this kind)")
        return int.from_bytes(raw[:32], "big")

    # ------------------------------------------------------------------ the port

    async def chain_id(self) -> int:
        async def read() -> int:
            return int(await self.w3.eth.chain_id)

        return await self._rpc("chain_id", read)

    async def latest_block(self) -> int:
        async def read() -> int:
            return int(await self.w3.eth.block_number)

        return await self._rpc("block_number", read)

    async def erc20_balance(self, contract: str, holder: str, block: int) -> int:
        data = BALANCE_OF + encode(["address"], [holder])
        return await self._cached(
            ("erc20", contract, holder, block),
            lambda: self._call_uint(contract, data, block, f"balanceOf {contract}"),
        )

    async def erc20_decimals(self, contract: str, block: int) -> int:
        value = await self._cached(
            ("decimals", contract, None, block),
            lambda: self._call_uint(contract, DECIMALS, block, f"decimals {contract}"),
        )
        if value > 77:
            raise ChainCallFailed(f"decimals {contract}: {value} is not a plausible value")
        return value

    async def erc721_balance(self, contract: str, holder: str, block: int) -> int:
        data = BALANCE_OF + encode(["address"], [holder])
        return await self._cached(
            ("erc721", contract, holder, block),
            lambda: self._call_uint(contract, data, block, f"balanceOf {contract}"),
        )

    async def native_balance(self, holder: str, block: int) -> int:
        async def read() -> int:
            return int(await self.w3.eth.get_balance(holder, block_identifier=block))  # type: ignore[arg-type]

        return await self._cached(
            ("native", None, holder, block), lambda: self._rpc("get_balance", read)
        )

    async def has_code(self, address: str) -> bool:
        if self._code.get(address):
            return True

        async def read() -> bytes:
            return bytes(await self.w3.eth.get_code(address))  # type: ignore[arg-type]

        found = len(await self._rpc("get_code", read)) > 0
        if found:  # code can appear later (counterfactual wallets), never vanish in practice
            self._code[address] = True
        return found

    async def is_valid_signature(self, contract: str, digest: bytes, signature: bytes) -> bool:
        return (await self.check_signature(contract, digest, signature)).valid

    async def check_signature(
        self, contract: str, digest: bytes, signature: bytes
    ) -> SignatureCheck:
        data = IS_VALID_SIGNATURE + encode(["bytes32", "bytes"], [digest, signature])

        async def call() -> bytes:
            return bytes(
                await self.w3.eth.call({"to": contract, "data": data}, block_identifier="latest")
            )

        try:
            raw = await self._rpc(f"isValidSignature {contract}", call)
        except ChainCallFailed as failed:
            return _refusal(failed.__cause__)
        if len(raw) < 32:  # no such function, and a fallback that returns nothing
            return SignatureCheck(valid=False, answered=False)
        (magic,) = decode(["bytes4"], raw[:32])
        return SignatureCheck(valid=bytes(magic) == IS_VALID_SIGNATURE)


def _refusal(error: BaseException | None) -> SignatureCheck:
    """A reverted isValidSignature: refused with its reason, or no answer if it gave none.

    A contract without the function (and without a fallback) reverts with no data at
    all; a wallet refusing a signature normally says why (`Error(string)`, or a custom
    error, which web3 reports as its data).
    """
    if isinstance(error, ContractCustomError):
        return SignatureCheck(valid=False, reason=f"custom error {str(error.data)[:10]}")
    data = getattr(error, "data", None)
    message = str(getattr(error, "message", None) or "")
    reason = message.removeprefix("execution reverted").lstrip(": ").strip()
    has_data = isinstance(data, str) and data.startswith("0x") and len(data) > 2
    if isinstance(error, ContractLogicError) and not reason and not has_data:
        return SignatureCheck(valid=False, answered=False)
    return SignatureCheck(valid=False, reason=reason[:200] or None)


def build_chain(policy: WalletPolicy) -> Web3Chain | None:
    """The chain port for ETH_RPC_URL / wallets.rpc_url, or None (chain strategies refused)."""
    if policy.rpc_url is None or not policy.rpc_url.get_secret_value().strip():
        return None
    return Web3Chain.from_url(
        policy.rpc_url.get_secret_value().strip(),
        timeout=policy.rpc_timeout_seconds,
        retries=policy.rpc_retries,
        cache_size=policy.rpc_cache_size,
    )
