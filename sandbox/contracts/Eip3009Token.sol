// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {SandboxErc20} from "./SandboxErc20.sol";

/// @title Eip3009Token — the sandbox ERC-20 plus EIP-3009 transferWithAuthorization.
/// @notice Speaks the subset of Circle's USDC (FiatTokenV2) interface that x402 facilitators use.
///         Not for production: no pausing, blacklisting, EIP-1271 wallets or cancelAuthorization.
/// @dev Copy-safe like its base: settings are immutables, and the EIP-712 domain separator is computed
///      at call time from address(this), so its runtime code alone works at another address.
contract Eip3009Token is SandboxErc20 {
    // --- EIP-3009 / EIP-712 ---------------------------------------------------------------

    event AuthorizationUsed(address indexed authorizer, bytes32 indexed nonce);

    bytes32 public constant TRANSFER_WITH_AUTHORIZATION_TYPEHASH = keccak256(
        "TransferWithAuthorization(address from,address to,uint256 value,uint256 validAfter,uint256 validBefore,bytes32 nonce)"
    );
    bytes32 private constant EIP712_DOMAIN_TYPEHASH = keccak256(
        "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
    );
    /// @dev Upper bound for s in a canonical signature (secp256k1n / 2), as in EIP-2.
    uint256 private constant MAX_S = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;

    mapping(address => mapping(bytes32 => bool)) private _usedAuthorizations;

    constructor(string memory name_, string memory symbol_, uint8 decimals_) SandboxErc20(name_, symbol_, decimals_) {}

    /// @notice EIP-712 domain version, "2" like USDC (x402 reads it when `extra.version` is absent).
    function version() public pure returns (string memory) {
        return "2";
    }

    // --- EIP-3009 ---------------------------------------------------------------------------

    /// @notice Computed per call (not cached) so it stays right after the code is copied elsewhere.
    function DOMAIN_SEPARATOR() public view returns (bytes32) {
        return keccak256(
            abi.encode(
                EIP712_DOMAIN_TYPEHASH,
                keccak256(bytes(name())),
                keccak256(bytes(version())),
                block.chainid,
                address(this)
            )
        );
    }

    function authorizationState(address authorizer, bytes32 nonce) external view returns (bool) {
        return _usedAuthorizations[authorizer][nonce];
    }

    /// @notice The (v, r, s) form: what x402's facilitator calls for 65-byte EOA signatures.
    function transferWithAuthorization(
        address from,
        address to,
        uint256 value,
        uint256 validAfter,
        uint256 validBefore,
        bytes32 nonce,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external {
        _transferWithAuthorization(from, to, value, validAfter, validBefore, nonce, v, r, s);
    }

    /// @notice The packed-signature form (USDC v2.2), which x402 uses for longer (smart wallet)
    ///         signatures; here only 65-byte r || s || v signatures are accepted.
    function transferWithAuthorization(
        address from,
        address to,
        uint256 value,
        uint256 validAfter,
        uint256 validBefore,
        bytes32 nonce,
        bytes calldata signature
    ) external {
        require(signature.length == 65, "invalid signature length");
        bytes32 r = bytes32(signature[0:32]);
        bytes32 s = bytes32(signature[32:64]);
        uint8 v = uint8(signature[64]);
        _transferWithAuthorization(from, to, value, validAfter, validBefore, nonce, v, r, s);
    }

    // --- internals --------------------------------------------------------------------------

    function _transferWithAuthorization(
        address from,
        address to,
        uint256 value,
        uint256 validAfter,
        uint256 validBefore,
        bytes32 nonce,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) private {
        require(block.timestamp > validAfter, "authorization is not yet valid");
        require(block.timestamp < validBefore, "authorization is expired");
        require(!_usedAuthorizations[from][nonce], "authorization is used");

        bytes32 structHash = keccak256(
            abi.encode(TRANSFER_WITH_AUTHORIZATION_TYPEHASH, from, to, value, validAfter, validBefore, nonce)
        );
        bytes32 digest = keccak256(abi.encodePacked("\x19\x01", DOMAIN_SEPARATOR(), structHash));
        require(_recover(digest, v, r, s) == from, "invalid signature");

        // Mark the nonce before moving funds (checks-effects-interactions; no external calls anyway).
        _usedAuthorizations[from][nonce] = true;
        emit AuthorizationUsed(from, nonce);
        _transfer(from, to, value);
    }

    /// @dev ecrecover returns address(0) on failure; rejecting it also stops "from = 0" forgeries.
    ///      High-s and v other than 27/28 are rejected so each authorization has one valid signature.
    function _recover(bytes32 digest, uint8 v, bytes32 r, bytes32 s) private pure returns (address signer) {
        require(uint256(s) <= MAX_S, "invalid signature 's' value");
        require(v == 27 || v == 28, "invalid signature 'v' value");
        signer = ecrecover(digest, v, r, s);
        require(signer != address(0), "invalid signature");
    }
}
