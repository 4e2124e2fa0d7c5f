// SPDX-License-Identifier: MIT
// Pays a reward epoch: each (account, amount) leaf of an OpenZeppelin StandardMerkleTree
// (as `govbot rewards export --format merkle` writes it) can be claimed once.
pragma solidity ^0.8.20;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

interface IERC20Transfer {
    function transfer(address to, uint256 value) external returns (bool);
}

contract MerkleDistributor {
    address public immutable token;
    bytes32 public immutable merkleRoot;
    mapping(address => bool) public claimed;

    event Claimed(address indexed account, uint256 amount);

    constructor(address token_, bytes32 merkleRoot_) {
        token = token_;
        merkleRoot = merkleRoot_;
    }

    function claim(address account, uint256 amount, bytes32[] calldata proof) external {
        require(!claimed[account], "already claimed");
        // The standard leaf: hashed twice, so it can never pass for an inner node.
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(account, amount))));
        require(MerkleProof.verifyCalldata(proof, merkleRoot, leaf), "invalid proof");
        claimed[account] = true;
        require(IERC20Transfer(token).transfer(account, amount), "transfer failed");
        emit Claimed(account, amount);
    }
}
