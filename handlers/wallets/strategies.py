"""Token strategies: `erc20:<contract>`, `erc721:<contract>`, `native`.

Each reads the voter's linked wallet at the proposal's snapshot block (latest minus the
configured confirmations, recorded when the proposal opens), so tokens bought or moved
after the proposal opened change nothing. With no chain port (no ETH_RPC_URL) they are
refused when parsed, i.e. at /propose, with what to set; a chain that does not answer
becomes TryAgain, so a vote whose weight cannot be read is never written.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from handlers.core.errors import BadArguments, NotEligible, TryAgain
from handlers.voting.strategies import WEIGHT_USAGE, StrategyFactory, Weight
from handlers.wallets.chain import ChainCallFailed, ChainPort, ChainUnavailable
from handlers.wallets.siwe import checksum
from storage.records import MemberRecord, ProposalRecord

if TYPE_CHECKING:
    from handlers.core.deps import Deps

KINDS = ("erc20", "erc721", "native")
NO_RPC = (
    "Token weighting ({spec}) reads balances from an Ethereum node, and none is configured "
    "here: set ETH_RPC_URL (or wallets.rpc_url) to a JSON-RPC endpoint and restart govbot."
)
OUTAGE = (
    "Couldn't read voting power from the chain right now; nothing was recorded. "
    "Please try again in a minute."
)


def short(address: str) -> str:
    return f"{address[:6]}…{address[-4:]}"


class ChainStrategy:
    """One chain-read leaf: an ERC-20 balance (÷ 10^decimals), an ERC-721 count, or ETH."""

    def __init__(self, deps: Deps, chain: ChainPort, kind: str, contract: str | None) -> None:
        self.deps = deps
        self.chain = chain
        self.kind = kind
        self.contract = contract
        self.spec = kind if contract is None else f"{kind}:{contract}"
        self.label = kind if contract is None else f"{kind}:{short(contract)}"
        self._block: int | None = None

    def pin(self, snapshot: str) -> None:
        self._block = int(snapshot)

    async def snapshot(self, community_id: int) -> str | None:
        """Latest block minus the confirmations; checks the contract answers there."""
        try:
            latest = await self.chain.latest_block()
            block = max(0, latest - self.deps.wallets.policy.confirmations)
            if self.contract is not None and not await self.chain.has_code(self.contract):
                raise BadArguments(
                    f"{self.contract} has no contract code on this chain.", usage=WEIGHT_USAGE
                )
            if self.kind == "erc20" and self.contract is not None:
                await self.chain.erc20_decimals(self.contract, block)
        except ChainUnavailable:
            raise TryAgain(
                "Couldn't reach the chain to record the snapshot block; nothing was created. "
                "Please try again in a minute."
            ) from None
        except ChainCallFailed:
            raise BadArguments(
                f"{self.contract} does not answer like an ERC-20 token (decimals()).",
                usage=WEIGHT_USAGE,
            ) from None
        self._block = block
        return str(block)

    async def value(self, address: str, block: int) -> float:
        """This address's power at `block` (raises ChainUnavailable / ChainCallFailed)."""
        if self.kind == "native":
            return await self.chain.native_balance(address, block) / 10**18
        assert self.contract is not None
        if self.kind == "erc721":
            return float(await self.chain.erc721_balance(self.contract, address, block))
        decimals = await self.chain.erc20_decimals(self.contract, block)
        return await self.chain.erc20_balance(self.contract, address, block) / 10**decimals

    async def eligible_power(self, community_id: int) -> float | None:
        """Every linked wallet's power at the snapshot (known only when just taken)."""
        if self._block is None:
            return None
        links = await self.deps.storage.wallets.active_in_community(community_id)
        block = self._block
        try:
            values = await asyncio.gather(*(self.value(link.address, block) for link in links))
        except ChainUnavailable:
            raise TryAgain(OUTAGE.replace("nothing was recorded", "nothing was created")) from None
        except ChainCallFailed:
            return None
        return float(sum(values))

    async def weigh(self, member: MemberRecord, proposal: ProposalRecord) -> Weight:
        if proposal.snapshot is None or not proposal.snapshot.isdigit():
            raise NotEligible(f"Proposal #{proposal.number} has no snapshot block recorded.")
        block = int(proposal.snapshot)
        link = await self.deps.storage.wallets.active(member.id)
        if link is None:
            raise NotEligible(
                f"Proposal #{proposal.number} is weighted by {self.label}: link your wallet "
                "first with /link <address>."
            )
        try:
            power = await self.value(link.address, block)
        except ChainUnavailable:
            raise TryAgain(OUTAGE) from None
        except ChainCallFailed:
            raise TryAgain(
                f"The token contract did not answer for block {block}; nothing was recorded."
            ) from None
        return Weight(power, {self.label: power, "block": block})


def chain_strategy(kind: str) -> Callable[[Deps], StrategyFactory]:
    """The `weight=` factory for one chain kind (erc20, erc721, native)."""

    def builder(deps: Deps) -> StrategyFactory:
        def build(text: str) -> ChainStrategy:
            _, _, arg = text.partition(":")
            contract: str | None = None
            if kind == "native":
                if arg:
                    raise BadArguments("weight=native takes no contract.", usage=WEIGHT_USAGE)
            else:
                try:
                    contract = checksum(arg)
                except ValueError:
                    raise BadArguments(
                        f"{kind}: needs the token contract address, like {kind}:0x…, "
                        f'not "{arg[:44]}".',
                        usage=WEIGHT_USAGE,
                    ) from None
            chain = deps.wallets.chain
            if chain is None:
                raise BadArguments(NO_RPC.format(spec=text[:60]), usage=WEIGHT_USAGE)
            return ChainStrategy(deps, chain, kind, contract)

        return build

    return builder
