"""The payout files for real: every member claims from an on-chain Merkle distributor
(OpenZeppelin's MerkleProof, compiled with solc) funded with exactly the budget, and the
Safe batch checks against the Transaction Builder's format and decodes to the transfers."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from eth_abi import decode
from eth_account import Account
from eth_tester.exceptions import TransactionFailed
from eth_utils import to_checksum_address

from bot.app import Core
from handlers.rewards.export import ExportRefused, export, render
from handlers.rewards.payout_files import TRANSFER_SELECTOR, _serialise, batch_checksum
from tests.conftest import run_command
from tests.rewards.helpers import link, rows
from tests.rewards.js import need_js, reference_tree
from tests.wallets.chain import LocalChain

UNIT = 10**18
MEMBERS = ("alice", "bob", "carol", "dave")


async def _closed_epoch(core: Core) -> dict[str, Any]:
    """Epoch 1 closed with four linked members credited 25, 15, 10 and 5."""
    core.deps.rewards.policy = core.deps.rewards.policy.model_copy(
        update={"pools": {"contributors": 100}}
    )
    await run_command(core, "admin", "/epoch", admin=True)
    accounts = {name: Account.create() for name in MEMBERS}
    for name, account in accounts.items():
        await link(core, name, account)
    for name, points in zip(MEMBERS, (25, 15, 10, 5), strict=True):
        await run_command(core, "admin", f"/credit {name} {points} work", admin=True)
    await run_command(core, "admin", "/epoch close", admin=True)
    return accounts


def _claim(chain: LocalChain, distributor: Any, sender: str, *args: Any) -> None:
    chain.transact(distributor.functions.claim(*args), sender=sender)


async def test_every_member_claims_from_a_merkle_distributor(rcore: Core) -> None:
    core = rcore
    accounts = await _closed_epoch(core)
    text, _ = await export(
        core.storage, core.deps.rewards.policy, community_id=None, number=1, fmt="merkle", at=1.0
    )
    data = json.loads(text)
    assert int(data["total"]) == 1000 * UNIT, "everyone is linked: the file pays the budget"
    assert set(data["claims"]) == {a.address for a in accounts.values()}
    need_js()
    reference = reference_tree([(a, int(c["amount"])) for a, c in data["claims"].items()])
    assert data["root"] == reference["root"]
    by_address = dict(zip(data["claims"], reference["proofs"], strict=True))
    assert all(c["proof"] == by_address[a] for a, c in data["claims"].items())
    assert data["tree"]["format"] == "standard-v1"

    chain = LocalChain()
    token = chain.deploy("TestToken", "Reward", "RWD", 18)
    distributor = chain.deploy("MerkleDistributor", token.address, bytes.fromhex(data["root"][2:]))
    chain.transact(token.functions.mint(distributor.address, int(data["total"])))
    for name, account in accounts.items():
        sender = chain.unlocked(account)
        claim = data["claims"][account.address]
        proof = [bytes.fromhex(p[2:]) for p in claim["proof"]]
        _claim(chain, distributor, sender, account.address, int(claim["amount"]), proof)
        assert token.functions.balanceOf(account.address).call() == int(claim["amount"]), name
        with pytest.raises(TransactionFailed, match="already claimed"):
            _claim(chain, distributor, sender, account.address, int(claim["amount"]), proof)
    assert token.functions.balanceOf(distributor.address).call() == 0, "paid out to the unit"
    # a proof is good for its own leaf only
    alice, bob = accounts["alice"], accounts["bob"]
    fresh = chain.deploy("MerkleDistributor", token.address, bytes.fromhex(data["root"][2:]))
    chain.transact(token.functions.mint(fresh.address, int(data["total"])))
    alice_proof = [bytes.fromhex(p[2:]) for p in data["claims"][alice.address]["proof"]]
    bob_amount = int(data["claims"][bob.address]["amount"])
    with pytest.raises(TransactionFailed, match="invalid proof"):
        _claim(chain, fresh, chain.owner, bob.address, bob_amount, alice_proof)
    alice_amount = int(data["claims"][alice.address]["amount"])
    with pytest.raises(TransactionFailed, match="invalid proof"):
        _claim(chain, fresh, chain.owner, alice.address, alice_amount + 1, alice_proof)


async def test_the_safe_batch_and_the_csv(rcore: Core) -> None:
    core = rcore
    accounts = await _closed_epoch(core)
    chain = LocalChain()
    token = chain.deploy("TestToken", "Reward", "RWD", 18)
    policy = core.deps.rewards.policy.model_copy(update={"token": token.address})
    text, lines = await export(
        core.storage, policy, community_id=None, number=1, fmt="safe", at=1.0
    )
    batch = json.loads(text)
    assert set(batch) == {"version", "chainId", "createdAt", "meta", "transactions"}
    assert batch["version"] == "1.0" and batch["chainId"] == "1337"
    epoch = await core.storage.rewards.get(1, 1)
    assert epoch is not None and batch["createdAt"] == int((epoch.closed_at or 0) * 1000)
    meta = batch["meta"]
    assert set(meta) == {
        "name",
        "description",
        "txBuilderVersion",
        "createdFromSafeAddress",
        "createdFromOwnerAddress",
        "checksum",
    }
    assert meta["createdFromSafeAddress"] == policy.safe_address
    assert meta["checksum"] == batch_checksum(batch)
    changed = json.loads(text)
    changed["transactions"].reverse()
    assert batch_checksum(changed) != meta["checksum"], "the order is covered"
    renamed = json.loads(text)
    renamed["meta"]["name"] = "another name"
    assert batch_checksum(renamed) == meta["checksum"], "the name is not (as the app does)"

    transfers = {}
    for tx in batch["transactions"]:
        assert set(tx) == {"to", "value", "data", "contractMethod", "contractInputsValues"}
        assert tx["to"] == token.address and tx["value"] == "0"
        assert tx["contractMethod"]["name"] == "transfer"
        assert [i["type"] for i in tx["contractMethod"]["inputs"]] == ["address", "uint256"]
        data = bytes.fromhex(tx["data"][2:])
        assert data[:4] == TRANSFER_SELECTOR
        to, amount = decode(["address", "uint256"], data[4:])
        to = to_checksum_address(to)
        assert tx["contractInputsValues"] == {"to": to, "amount": str(amount)}
        transfers[to] = amount
    assert transfers == {address: amount for address, amount, _ in lines}
    assert sum(transfers.values()) == 1000 * UNIT
    assert set(transfers) == {a.address for a in accounts.values()}
    # the batch's calls, sent from a funded account, move exactly these amounts
    chain.transact(token.functions.mint(chain.owner, sum(transfers.values())))
    for tx in batch["transactions"]:
        chain.w3.eth.send_transaction({"from": chain.owner, "to": tx["to"], "data": tx["data"]})
    for address, amount in transfers.items():
        assert token.functions.balanceOf(address).call() == amount
    assert token.functions.balanceOf(chain.owner).call() == 0

    again, _ = await export(core.storage, policy, community_id=None, number=1, fmt="safe", at=2.0)
    assert again == text, "an export is reproducible byte for byte"
    table, _ = await export(core.storage, policy, community_id=None, number=1, fmt="csv", at=3.0)
    parsed = list(csv.DictReader(io.StringIO(table)))
    assert [tuple(r) for r in parsed[:1]] == [("address", "amount", "member")]
    assert {r["address"]: int(r["amount"]) for r in parsed} == transfers
    assert {r["member"] for r in parsed} == set(MEMBERS)
    exports = [
        e.payload async for e, _ in core.storage.audit.entries() if e.kind == "rewards.export"
    ]
    assert [p["format"] for p in exports] == ["safe", "safe", "csv"]


def test_the_checksum_serialisation_matches_the_transaction_builder_vector() -> None:
    """The Transaction Builder's own test vector (the serialisation its checksum hashes)."""
    from eth_utils import keccak

    batch = {
        "version": "1.0",
        "chainId": "4",
        "createdAt": 1646321521061,
        "meta": {
            "name": "test batch file",
            "txBuilderVersion": "1.4.0",
            "checksum": "",
            "createdFromSafeAddress": "0xDF8a1Ce35c9a6ACE153B4e0767942f1E2291a1Aa",
            "createdFromOwnerAddress": "0x49d4450977E2c95362C13D3a31a09311E0Ea26A6",
        },
        "transactions": [
            {
                "to": "0x49d4450977E2c95362C13D3a31a09311E0Ea26A6",
                "value": "0",
                "contractMethod": {
                    "inputs": [
                        {"internalType": "address", "name": "paramAddress", "type": "address"}
                    ],
                    "name": "testAddress",
                    "payable": False,
                },
                "contractInputsValues": {
                    "paramAddress": "0x49d4450977E2c95362C13D3a31a09311E0Ea26A6"
                },
            },
            {
                "to": "0x49d4450977E2c95362C13D3a31a09311E0Ea26A6",
                "value": "0",
                "contractMethod": {
                    "inputs": [{"internalType": "bool", "name": "paramBool", "type": "bool"}],
                    "name": "testBool",
                    "payable": False,
                },
                "contractInputsValues": {"paramAddress": "", "paramBool": "false"},
            },
            {
                "to": "0x49d4450977E2c95362C13D3a31a09311E0Ea26A6",
                "value": "2000000000000000000",
                "data": "0x42f45790" + "00" * 12 + "49d4450977e2c95362c13d3a31a09311e0ea26a6",
            },
        ],
    }
    digest = "0x" + keccak(_serialise(batch).encode()).hex()
    assert digest == "0x832ecdb6653751ed00b79dede73864163e46e71815b72e11e506d6399bedffc9"


async def test_exports_of_an_open_epoch_or_a_points_safe_batch_are_refused(rcore: Core) -> None:
    core = rcore
    await run_command(core, "admin", "/epoch", admin=True)
    before = await rows(core)
    policy = core.deps.rewards.policy
    with pytest.raises(ExportRefused, match="still open"):
        await export(core.storage, policy, community_id=None, number=1, fmt="csv", at=1.0)
    with pytest.raises(ExportRefused, match="no epoch 5"):
        await export(core.storage, policy, community_id=None, number=5, fmt="merkle", at=1.0)
    with pytest.raises(ExportRefused, match="unknown format"):
        await export(core.storage, policy, community_id=None, number=1, fmt="xlsx", at=1.0)
    assert await rows(core) == before
    await run_command(core, "admin", "/epoch close", admin=True)
    epoch = await core.storage.rewards.get(1, 1)
    assert epoch is not None
    points = policy.model_copy(update={"token": "points"})
    with pytest.raises(ExportRefused, match="ERC-20"):
        render("safe", [("0x" + "11" * 20, 5, "x")], points, epoch)
    with pytest.raises(ExportRefused, match="pays nobody"):
        render("merkle", [], policy, epoch)
