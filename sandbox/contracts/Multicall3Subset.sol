// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title Multicall3Subset — the one Multicall3 function @x402/evm's facilitator calls, for the local sandbox.
/// @notice When a Permit2 payment fails simulation, @x402/evm 2.27 asks Multicall3 (canonical address
///         0xcA11bde05977b3631167028862bE2a173976CA11) for the proxy's PERMIT2(), the payer's balance and
///         its Permit2 allowance, to name the cause (permit2_allowance_required, ...). anvil has no
///         Multicall3, so without this every such failure reads permit2_simulation_failed.
///         Written by us against Multicall3's tryAggregate signature; stateless, so anvil_setCode-safe.
contract Multicall3Subset {
    struct Call {
        address target;
        bytes callData;
    }

    struct Result {
        bool success;
        bytes returnData;
    }

    function tryAggregate(bool requireSuccess, Call[] calldata calls) external payable returns (Result[] memory returnData) {
        returnData = new Result[](calls.length);
        for (uint256 i = 0; i < calls.length; i++) {
            (bool success, bytes memory data) = calls[i].target.call(calls[i].callData);
            if (requireSuccess) require(success, "Multicall3: call failed");
            returnData[i] = Result(success, data);
        }
    }
}
