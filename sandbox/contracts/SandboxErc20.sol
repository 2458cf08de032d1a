// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title SandboxErc20 — a plain ERC-20 (no EIP-3009, no EIP-2612 permit) with an owner-only mint, for the local sandbox.
/// @notice Stands in for a token like Token Metrics' published TMAI, which x402 can move only through
///         Permit2; it is also the base of Eip3009Token, so both share one ERC-20 implementation.
/// @dev Copy-safe: name, symbol, decimals and owner are immutables, i.e. part of the runtime code, so
///      the runtime code alone, placed at another address with anvil_setCode, is a working token there
///      (with empty balances and no storage to copy).
contract SandboxErc20 {
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

    function _transfer(address from, address to, uint256 value) internal {
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
