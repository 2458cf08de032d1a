// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title Eip3009Token — a minimal ERC-20 with EIP-3009 transferWithAuthorization, for the local sandbox.
/// @notice Speaks the subset of Circle's USDC (FiatTokenV2) interface that x402 facilitators use.
///         Not for production: no pausing, blacklisting, EIP-1271 wallets or cancelAuthorization.
/// @dev Copy-safe: name, symbol, decimals and owner are immutables, i.e. part of the runtime code,
///      and the EIP-712 domain separator is computed at call time from address(this). So the
///      runtime code alone, placed at another address with anvil_setCode, is a working token there
///      (with empty balances and no storage to copy).
contract Eip3009Token {
    // --- ERC-20 ---------------------------------------------------------------------------

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    uint8 public immutable decimals;
    address public immutable owner;
    // Strings cannot be immutable: each is packed in a bytes32 (bytes left-aligned, length in the last byte).
    bytes32 private immutable _packedName;
    bytes32 private immutable _packedSymbol;

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

    constructor(string memory name_, string memory symbol_, uint8 decimals_) {
        _packedName = _pack(name_);
        _packedSymbol = _pack(symbol_);
        decimals = decimals_;
        owner = msg.sender;
    }

    function name() public view returns (string memory) {
        return _unpack(_packedName);
    }

    function symbol() external view returns (string memory) {
        return _unpack(_packedSymbol);
    }

    /// @notice EIP-712 domain version, "2" like USDC (x402 reads it when `extra.version` is absent).
    function version() public pure returns (string memory) {
        return "2";
    }

    function mint(address to, uint256 amount) external {
        require(msg.sender == owner, "only owner");
        require(to != address(0), "mint to zero address");
        totalSupply += amount;
        balanceOf[to] += amount;
        emit Transfer(address(0), to, amount);
    }

    function transfer(address to, uint256 value) external returns (bool) {
        _transfer(msg.sender, to, value);
        return true;
    }

    function approve(address spender, uint256 value) external returns (bool) {
        allowance[msg.sender][spender] = value;
        emit Approval(msg.sender, spender, value);
        return true;
    }

    function transferFrom(address from, address to, uint256 value) external returns (bool) {
        uint256 allowed = allowance[from][msg.sender];
        if (allowed != type(uint256).max) {
            require(allowed >= value, "insufficient allowance");
            allowance[from][msg.sender] = allowed - value;
        }
        _transfer(from, to, value);
        return true;
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

    function _transfer(address from, address to, uint256 value) private {
        require(to != address(0), "transfer to zero address");
        uint256 fromBalance = balanceOf[from];
        require(fromBalance >= value, "transfer amount exceeds balance");
        unchecked {
            balanceOf[from] = fromBalance - value;
        }
        balanceOf[to] += value;
        emit Transfer(from, to, value);
    }

    function _pack(string memory value) private pure returns (bytes32) {
        bytes memory raw = bytes(value);
        require(raw.length < 32, "string longer than 31 bytes");
        return bytes32(raw) | bytes32(raw.length);
    }

    function _unpack(bytes32 packed) private pure returns (string memory) {
        uint256 length = uint256(packed) & 0xff;
        bytes memory raw = new bytes(length);
        for (uint256 i = 0; i < length; i++) {
            raw[i] = packed[i];
        }
        return string(raw);
    }
}
