"""A real EVM in-process for wallet tests: eth-tester on py-evm, our Solidity contracts.

`LocalChain` deploys the test ERC-20, ERC-721 and EIP-1271 wallet from the committed
artifacts (tests/contracts/artifacts.json; rebuild with tests/contracts/build.sh) and
hands out a `Web3Chain` over AsyncEthereumTesterProvider, the same class production
uses over AsyncHTTPProvider. Reverted calls are answered as a geth node answers them
(`node_error`): web3's eth-tester provider raises eth-tester's own exception instead,
which production code never sees.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

from eth_abi import encode
from eth_account import Account
from eth_tester import EthereumTester, PyEVMBackend
from eth_tester.exceptions import TransactionFailed
from web3 import AsyncWeb3, Web3
from web3.providers.eth_tester import AsyncEthereumTesterProvider, EthereumTesterProvider

from bot.integrations.chain import Web3Chain

ARTIFACTS = Path(__file__).resolve().parent.parent / "contracts" / "artifacts.json"
SAFE_ARTIFACTS = ARTIFACTS.with_name("safe-artifacts.json")
ERROR_STRING = bytes.fromhex("08c379a0")  # Error(string)


def artifacts() -> dict[str, Any]:
    return {
        **json.loads(ARTIFACTS.read_text())["contracts"],
        **json.loads(SAFE_ARTIFACTS.read_text())["contracts"],
    }


def node_error(error: TransactionFailed) -> dict[str, Any]:
    """The JSON-RPC error geth answers for a reverted eth_call: code 3 with the revert data,
    or -32000 "execution reverted" with none.

    eth-tester keeps only a decoded Error(string) reason or the repr of other revert
    bytes, so the data is rebuilt from that.
    """
    text = str(error.args[0] if error.args else "").removeprefix("execution reverted: ")
    if text[:2] in ("b'", 'b"'):
        data = ast.literal_eval(text)
    else:
        data = ERROR_STRING + encode(["string"], [text])
    if not data:
        return {"code": -32000, "message": "execution reverted"}
    message = "execution reverted" + (f": {text}" if data[:4] == ERROR_STRING else "")
    return {"code": 3, "message": message, "data": "0x" + data.hex()}


class NodeLikeTesterProvider(AsyncEthereumTesterProvider):
    """AsyncEthereumTesterProvider whose reverts come back as a node's JSON-RPC errors."""

    async def make_request(self, method: Any, params: Any) -> Any:
        try:
            return await super().make_request(method, params)
        except TransactionFailed as error:
            self._current_request_id += 1
            return {
                "jsonrpc": "2.0",
                "id": repr(self._current_request_id),
                "error": node_error(error),
            }


class LocalChain:
    def __init__(self) -> None:
        self.tester = EthereumTester(PyEVMBackend())
        self.w3 = Web3(EthereumTesterProvider(self.tester))
        self.owner = self.w3.eth.accounts[0]
        self._artifacts = artifacts()

    def deploy(self, name: str, *args: Any) -> Any:
        spec = self._artifacts[name]
        factory = self.w3.eth.contract(abi=spec["abi"], bytecode=spec["bytecode"])
        tx = factory.constructor(*args).transact({"from": self.owner})
        address = self.w3.eth.get_transaction_receipt(tx)["contractAddress"]
        return self.w3.eth.contract(address=address, abi=spec["abi"])

    def transact(self, call: Any, sender: str | None = None) -> None:
        call.transact({"from": sender or self.owner})

    def fund(self, address: str, wei: int) -> None:
        self.w3.eth.send_transaction({"from": self.owner, "to": address, "value": wei})

    def unlocked(self, account: Any) -> str:
        """Make a LocalAccount usable as a tester sender (imported key, some ETH for gas)."""
        self.tester.add_account(account.key.hex())
        self.fund(account.address, 10**18)
        return str(account.address)

    def mine(self, blocks: int = 1) -> None:
        self.tester.mine_blocks(blocks)

    @property
    def block(self) -> int:
        return int(self.w3.eth.block_number)

    def port(self, **kwargs: Any) -> Web3Chain:
        provider = NodeLikeTesterProvider()
        provider.ethereum_tester = self.tester  # share this chain (its init makes a new one)
        return Web3Chain(AsyncWeb3(provider), **kwargs)


def new_account() -> Any:
    return Account.create()
