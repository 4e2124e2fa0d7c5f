// SPDX-License-Identifier: MIT
// A stand-in for smart-contract wallets whose EIP-1271 signatures carry a trailing
// signature-type byte (Loopring's format: 65 bytes of ECDSA, then 0x02 for "the hash was
// signed as it is"). Plain 65-byte signatures are accepted too. Low-s only, like OwnerWallet.
pragma solidity ^0.8.20;

contract TypedOwnerWallet {
    bytes4 internal constant MAGIC = 0x1626ba7e;
    bytes4 internal constant INVALID = 0xffffffff;
    uint8 internal constant SIGNED_AS_IS = 2;
    uint256 internal constant HALF_N =
        0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;
    address public owner;

    constructor(address owner_) {
        owner = owner_;
    }

    function isValidSignature(bytes32 hash, bytes calldata signature)
        external
        view
        returns (bytes4)
    {
        if (signature.length == 66) {
            if (uint8(signature[65]) != SIGNED_AS_IS) return INVALID;
        } else if (signature.length != 65) {
            return INVALID;
        }
        bytes32 r = bytes32(signature[0:32]);
        bytes32 s = bytes32(signature[32:64]);
        uint8 v = uint8(signature[64]);
        if (v < 27) v += 27;
        if (uint256(s) > HALF_N) return INVALID;
        address signer = ecrecover(hash, v, r, s);
        return signer != address(0) && signer == owner ? MAGIC : INVALID;
    }
}
