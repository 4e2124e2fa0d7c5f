"""A small JSON-RPC endpoint on loopback that forwards to an in-process eth-tester chain,
so `Web3Chain.from_url` is exercised through AsyncHTTPProvider and real HTTP."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from eth_tester.exceptions import TransactionFailed
from web3 import Web3
from web3.providers.eth_tester import EthereumTesterProvider

from tests.harness.fakes.loopback import serve_loopback
from tests.wallets.chain import node_error


class RpcServer:
    def __init__(self, tester: Any) -> None:
        self.w3 = Web3(EthereumTesterProvider(tester))
        self.requests = 0
        self.fail = False  # answer 503 to everything (an outage)
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def _handle(self, request: web.Request) -> web.Response:
        self.requests += 1
        if self.fail:
            return web.Response(status=503, text="unavailable")
        body = await request.json()
        calls = body if isinstance(body, list) else [body]
        answers = [self._answer(call) for call in calls]
        return web.json_response(answers if isinstance(body, list) else answers[0])

    def _answer(self, call: dict[str, Any]) -> dict[str, Any]:
        """The methods govbot's chain port uses, answered from eth-tester via web3."""
        method, params = call["method"], call.get("params", [])
        reply: dict[str, Any] = {"jsonrpc": "2.0", "id": call.get("id")}

        def block(value: str) -> int | str:
            return int(value, 16) if value.startswith("0x") else value

        try:
            if method == "eth_blockNumber":
                reply["result"] = hex(self.w3.eth.block_number)
            elif method == "eth_chainId":
                reply["result"] = hex(self.w3.eth.chain_id)
            elif method == "eth_getBalance":
                reply["result"] = hex(self.w3.eth.get_balance(params[0], block(params[1])))
            elif method == "eth_getCode":
                reply["result"] = (
                    "0x" + bytes(self.w3.eth.get_code(params[0], block(params[1]))).hex()
                )
            elif method == "eth_call":
                tx = {
                    "to": params[0]["to"],
                    "data": params[0].get("data") or params[0].get("input"),
                }
                raw = self.w3.eth.call(tx, block(params[1]))  # type: ignore[arg-type]
                reply["result"] = "0x" + bytes(raw).hex()
            else:
                reply["error"] = {"code": -32601, "message": f"method not found: {method}"}
        except TransactionFailed as error:  # a revert, with its data, as geth answers
            reply["error"] = node_error(error)
        except Exception as error:  # a revert: JSON-RPC error 3 / -32000, as nodes answer
            reply["error"] = {"code": -32000, "message": f"execution reverted: {error}"}
        return reply

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/", self._handle)
        self._runner, port = await serve_loopback(app)
        self.url = f"http://127.0.0.1:{port}/"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
