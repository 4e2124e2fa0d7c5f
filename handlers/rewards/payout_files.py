"""The three payout files of a closed epoch: CSV, a Safe Transaction Builder batch, and an
OpenZeppelin StandardMerkleTree with every member's proof.

* CSV: `address,amount,member` — amount in the token's smallest unit, one line per
  address (accounts sharing a wallet are one line).
* Safe: the JSON the Safe{Wallet} Transaction Builder app imports — `version`,
  `chainId`, `createdAt` (ms), `meta` (name, description, txBuilderVersion,
  createdFromSafeAddress, createdFromOwnerAddress, checksum) and one ERC-20
  `transfer(address,uint256)` per line, with its ABI-encoded `data`, `contractMethod`
  and `contractInputsValues`. The checksum is the Transaction Builder's own: keccak256
  of its key-sorted serialisation of the batch without the checksum and with
  `meta.name` set to null.
* Merkle: `StandardMerkleTree.dump()` of the `(address, uint256)` leaves plus the root,
  the total and each address's amount and proof, for a Merkle distributor contract.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from eth_utils import keccak

from handlers.rewards.merkle import MerkleTree

TX_BUILDER_VERSION = "1.16.5"
TRANSFER_SELECTOR = keccak(b"transfer(address,uint256)")[:4]
TRANSFER_METHOD: dict[str, Any] = {
    "inputs": [
        {"internalType": "address", "name": "to", "type": "address"},
        {"internalType": "uint256", "name": "amount", "type": "uint256"},
    ],
    "name": "transfer",
    "payable": False,
}

Line = tuple[str, int, str]  # (address, amount in smallest units, member names)


def csv_file(lines: Sequence[Line]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["address", "amount", "member"])
    for address, amount, member in lines:
        writer.writerow([address, str(amount), member])
    return out.getvalue()


def transfer_data(to: str, amount: int) -> str:
    """ABI-encoded `transfer(to, amount)` calldata."""
    body = bytes(12) + bytes.fromhex(to[2:]) + amount.to_bytes(32, "big")
    return "0x" + (TRANSFER_SELECTOR + body).hex()


def _serialise(value: Any) -> str:
    """The Transaction Builder's checksum serialisation (keys sorted at every level)."""
    if isinstance(value, list):
        return "[" + ",".join(_serialise(v) for v in value) + "]"
    if isinstance(value, dict):
        keys = sorted(value)
        text = "{" + json.dumps(keys, separators=(",", ":"), ensure_ascii=False)
        for key in keys:
            text += _serialise(value[key]) + ","
        return text + "}"
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def batch_checksum(batch: dict[str, Any]) -> str:
    """keccak256 of the serialised batch with `meta.name` null and no checksum."""
    meta = {k: v for k, v in batch["meta"].items() if k != "checksum"}
    meta["name"] = None
    return "0x" + keccak(_serialise({**batch, "meta": meta}).encode()).hex()


def safe_batch(
    lines: Sequence[Line],
    *,
    token: str,
    chain_id: int,
    safe_address: str,
    name: str,
    description: str,
    created_at_ms: int,
) -> dict[str, Any]:
    """One ERC-20 transfer per line, as the Transaction Builder exports a batch."""
    batch: dict[str, Any] = {
        "version": "1.0",
        "chainId": str(chain_id),
        "createdAt": created_at_ms,
        "meta": {
            "name": name,
            "description": description,
            "txBuilderVersion": TX_BUILDER_VERSION,
            "createdFromSafeAddress": safe_address,
            "createdFromOwnerAddress": "",
        },
        "transactions": [
            {
                "to": token,
                "value": "0",
                "data": transfer_data(address, amount),
                "contractMethod": TRANSFER_METHOD,
                "contractInputsValues": {"to": address, "amount": str(amount)},
            }
            for address, amount, _ in lines
        ],
    }
    batch["meta"]["checksum"] = batch_checksum(batch)
    return batch


def merkle_file(lines: Sequence[Line]) -> dict[str, Any]:
    tree = MerkleTree.of([(address, amount) for address, amount, _ in lines])
    return {
        "root": tree.root,
        "total": str(sum(amount for _, amount, _ in lines)),
        "tree": tree.dump(),
        "claims": {
            address: {"amount": str(amount), "member": member, "proof": tree.proof(i)}
            for i, (address, amount, member) in enumerate(lines)
        },
    }
