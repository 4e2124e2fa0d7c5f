"""OpenZeppelin's StandardMerkleTree for `(address, uint256)` leaves, byte for byte.

The format `@openzeppelin/merkle-tree` dumps (`standard-v1`) and `MerkleProof.verify`
checks on chain:

* leaf = keccak256(keccak256(abi.encode(address, amount))) — hashed twice, so a leaf
  can never be read as an inner node (second pre-image resistance);
* leaves sorted by hash, laid out as a complete binary tree in one array: the root at
  0, the children of i at 2i+1 and 2i+2, leaf k at index len − 1 − k;
* an inner node = keccak256 of its two children in ascending byte order (so a proof
  needs no left/right flags);
* a proof = the siblings from the leaf up to (not including) the root.

tests/rewards/test_merkle_js.py checks root, tree and proofs against the npm package.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_utils import keccak

LEAF_ENCODING = ["address", "uint256"]


def leaf_hash(address: str, amount: int) -> bytes:
    """keccak256(bytes.concat(keccak256(abi.encode(address, uint256))))."""
    encoded = bytes(12) + bytes.fromhex(address[2:]) + amount.to_bytes(32, "big")
    return keccak(keccak(encoded))


def node_hash(a: bytes, b: bytes) -> bytes:
    return keccak(a + b if a <= b else b + a)


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


@dataclass(frozen=True)
class MerkleTree:
    """The tree array (hashes) and, per input value, where its leaf sits."""

    tree: list[bytes]
    values: list[tuple[str, int]]
    tree_index: list[int]

    @classmethod
    def of(cls, values: Sequence[tuple[str, int]]) -> MerkleTree:
        if not values:
            raise ValueError("a Merkle tree needs at least one leaf")
        hashed = sorted((leaf_hash(a, amount), i) for i, (a, amount) in enumerate(values))
        n = len(hashed)
        tree: list[bytes] = [b""] * (2 * n - 1)
        index = [0] * n
        for k, (digest, value_index) in enumerate(hashed):
            tree[len(tree) - 1 - k] = digest
            index[value_index] = len(tree) - 1 - k
        for i in range(len(tree) - 1 - n, -1, -1):
            tree[i] = node_hash(tree[2 * i + 1], tree[2 * i + 2])
        return cls(tree, list(values), index)

    @property
    def root(self) -> str:
        return _hex(self.tree[0])

    def proof(self, value_index: int) -> list[str]:
        i = self.tree_index[value_index]
        found = []
        while i > 0:
            sibling = i - 1 if i % 2 == 0 else i + 1
            found.append(_hex(self.tree[sibling]))
            i = (i - 1) // 2
        return found

    def dump(self) -> dict[str, Any]:
        """What `StandardMerkleTree.dump()` writes (loadable by `StandardMerkleTree.load`)."""
        return {
            "format": "standard-v1",
            "leafEncoding": LEAF_ENCODING,
            "tree": [_hex(h) for h in self.tree],
            "values": [
                {"value": [address, str(amount)], "treeIndex": self.tree_index[i]}
                for i, (address, amount) in enumerate(self.values)
            ],
        }


def verify(root: str, address: str, amount: int, proof: Sequence[str]) -> bool:
    """What `MerkleProof.verify(proof, root, leaf)` answers."""
    digest = leaf_hash(address, amount)
    for sibling in proof:
        digest = node_hash(digest, bytes.fromhex(sibling[2:]))
    return _hex(digest) == root.lower()
