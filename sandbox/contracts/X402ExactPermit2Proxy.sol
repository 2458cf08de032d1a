// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @dev The part of Uniswap Permit2's SignatureTransfer interface this proxy calls.
interface ISignatureTransfer {
    struct TokenPermissions {
        address token;
        uint256 amount;
    }

    struct PermitTransferFrom {
        TokenPermissions permitted;
        uint256 nonce;
        uint256 deadline;
    }

    struct SignatureTransferDetails {
        address to;
        uint256 requestedAmount;
    }

    function permitWitnessTransferFrom(
        PermitTransferFrom memory permit,
        SignatureTransferDetails calldata transferDetails,
        address owner,
        bytes32 witness,
        string calldata witnessTypeString,
        bytes calldata signature
    ) external;
}

/// @title X402ExactPermit2Proxy — a minimal stand-in for x402's exact Permit2 proxy, for the local sandbox.
/// @notice Written by us against the interface @x402/evm 2.27 calls (x402ExactPermit2ProxyABI: PERMIT2(),
///         WITNESS_TYPEHASH(), WITNESS_TYPE_STRING(), settle(permit, owner, witness, signature)) and the
///         EIP-712 types its clients sign (PermitWitnessTransferFrom with Witness(address to,uint256 validAfter)).
///         The payer's signature names this contract as Permit2 spender and binds the payee (witness.to),
///         so whoever submits the settlement cannot redirect the funds or change the amount.
///         Not implemented: settleWithPermit (the EIP-2612 gas-sponsoring path; sandbox TMAI has no permit).
/// @dev Holds no storage and no immutables: PERMIT2 is a constant, so the runtime code placed at the
///      canonical proxy address with anvil_setCode works as is.
contract X402ExactPermit2Proxy {
    /// @notice Uniswap Permit2, at the same address on every chain.
    ISignatureTransfer public constant PERMIT2 = ISignatureTransfer(0x000000000022D473030F116dDEE9F6B43aC78BA3);

    /// @notice Appended by Permit2 to "PermitWitnessTransferFrom(TokenPermissions permitted,address spender,
    ///         uint256 nonce,uint256 deadline," to form the signed type; referenced types sorted by name.
    string public constant WITNESS_TYPE_STRING =
        "Witness witness)TokenPermissions(address token,uint256 amount)Witness(address to,uint256 validAfter)";

    bytes32 public constant WITNESS_TYPEHASH = keccak256("Witness(address to,uint256 validAfter)");

    struct Witness {
        address to;
        uint256 validAfter;
    }

    event Settled();

    error InvalidOwner();
    error InvalidDestination();
    error PaymentTooEarly();

    /// @notice Moves exactly the permitted amount from owner to witness.to; Permit2 checks the signature,
    ///         the deadline and the (unordered) nonce, and reverts on any mismatch.
    function settle(
        ISignatureTransfer.PermitTransferFrom calldata permit,
        address owner,
        Witness calldata witness,
        bytes calldata signature
    ) external {
        if (owner == address(0)) revert InvalidOwner();
        if (witness.to == address(0)) revert InvalidDestination();
        if (block.timestamp < witness.validAfter) revert PaymentTooEarly();

        PERMIT2.permitWitnessTransferFrom(
            permit,
            ISignatureTransfer.SignatureTransferDetails({to: witness.to, requestedAmount: permit.permitted.amount}),
            owner,
            keccak256(abi.encode(WITNESS_TYPEHASH, witness.to, witness.validAfter)),
            WITNESS_TYPE_STRING,
            signature
        );
        emit Settled();
    }
}
