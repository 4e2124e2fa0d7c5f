"""Our StandardMerkleTree against @openzeppelin/merkle-tree itself: root, tree, proofs."""

from __future__ import annotations

import random

import pytest
from eth_account import Account

from handlers.rewards.merkle import MerkleTree, verify
from tests.rewards.js import need_js, reference_tree


def _leaves(n: int, rng: random.Random) -> list[tuple[str, int]]:
    return [
        (Account.from_key(rng.randbytes(32)).address, rng.choice([1, rng.randrange(2**256)]))
        for _ in range(n)
    ]


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 8, 33, 200])
def test_root_dump_and_proofs_match_openzeppelin(n: int) -> None:
    need_js()
    values = _leaves(n, random.Random(n))
    ours = MerkleTree.of(values)
    theirs = reference_tree(values)
    assert theirs["verified"], "the reference verifies its own proofs"
    assert ours.root == theirs["root"]
    assert ours.dump() == theirs["dump"], "StandardMerkleTree.load() reads our dump"
    assert [ours.proof(i) for i in range(n)] == theirs["proofs"]


def test_verify_accepts_the_leaf_and_refuses_anything_else() -> None:
    values = _leaves(6, random.Random(1))
    tree = MerkleTree.of(values)
    for i, (address, amount) in enumerate(values):
        assert verify(tree.root, address, amount, tree.proof(i))
        assert not verify(tree.root, address, amount + 1, tree.proof(i))
        other = values[(i + 1) % len(values)]
        assert not verify(tree.root, other[0], other[1], tree.proof(i))


def test_an_empty_tree_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one leaf"):
        MerkleTree.of([])
