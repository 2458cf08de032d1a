/**
 * Compiles the sandbox's EIP-3009 token (contracts/Eip3009Token.sol) with solc-js, once per process.
 * Compiling at run time keeps the Solidity source the single truth (no committed bytecode to drift).
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAbi, type Abi, type Hex } from "viem";

export interface CompiledContract {
  abi: Abi;
  /** Creation bytecode (constructor args are appended by viem's deployContract). */
  bytecode: Hex;
}

/**
 * The functions TypeScript calls on the token, typed for viem's inference (a compiled ABI is only
 * `Abi` at compile time). A test checks each entry against the compiled ABI.
 */
export const tokenAbi = parseAbi([
  "function balanceOf(address owner) view returns (uint256)",
  "function mint(address to, uint256 amount)",
  "function authorizationState(address authorizer, bytes32 nonce) view returns (bool)",
]);

const SOURCE_NAME = "Eip3009Token.sol";
const CONTRACT_NAME = "Eip3009Token";

interface SolcOutput {
  errors?: { severity: string; formattedMessage: string }[];
  contracts?: Record<string, Record<string, { abi: Abi; evm: { bytecode: { object: string } } }>>;
}

let compiled: Promise<CompiledContract> | undefined;

/** The token's ABI and bytecode; the first call compiles (~1 s, mostly loading solc), later calls reuse it. */
export function compileTokenContract(): Promise<CompiledContract> {
  // A failed compile is not cached, so a fixed source can be retried in the same process.
  compiled ??= compile().catch((error: unknown) => {
    compiled = undefined;
    throw error;
  });
  return compiled;
}

/** Path of the .sol file, the same whether this module runs from src/ (tsx) or dist/ (tsc output). */
function tokenContractSourcePath(): string {
  return join(packageRoot(), "src", "sandbox", "contracts", SOURCE_NAME);
}

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`No package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
  return dir;
}

async function compile(): Promise<CompiledContract> {
  const content = await readFile(tokenContractSourcePath(), "utf8");
  // Loaded lazily: solc-js is a large emscripten module that most importers of this file never need.
  const { default: solc } = await import("solc");
  const input = {
    language: "Solidity",
    sources: { [SOURCE_NAME]: { content } },
    settings: {
      optimizer: { enabled: true, runs: 200 },
      // Pinned so the bytecode runs on any anvil hardfork from Cancun on, like Base today.
      evmVersion: "cancun",
      outputSelection: { [SOURCE_NAME]: { [CONTRACT_NAME]: ["abi", "evm.bytecode.object"] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input)) as string) as SolcOutput;

  const errors = (output.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length > 0) {
    throw new Error(`Compiling ${SOURCE_NAME} failed:\n${errors.map((e) => e.formattedMessage).join("\n")}`);
  }
  const contract = output.contracts?.[SOURCE_NAME]?.[CONTRACT_NAME];
  if (!contract) throw new Error(`solc returned no ${CONTRACT_NAME} contract`);
  return { abi: contract.abi, bytecode: `0x${contract.evm.bytecode.object}` };
}
