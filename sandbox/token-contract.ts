/**
 * Compiles the sandbox's contracts (contracts/*.sol: the EIP-3009 token, the plain ERC-20, the x402
 * exact Permit2 proxy and a Multicall3 subset) with solc-js, in one solc run per process.
 * Compiling at run time keeps the Solidity source the single truth (no committed bytecode to drift).
 */
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAbi, type Abi, type Hex } from "viem";

export interface CompiledContract {
  abi: Abi;
  /** Creation bytecode (constructor args are appended by viem's deployContract). */
  bytecode: Hex;
  /** Runtime code: usable as is with anvil_setCode only for contracts without immutables. */
  deployedBytecode: Hex;
}

/** The contracts in sandbox/contracts, one per file of the same name. */
export type SandboxContractName = "Eip3009Token" | "SandboxErc20" | "X402ExactPermit2Proxy" | "Multicall3Subset";

/**
 * The functions TypeScript calls on the token, typed for viem's inference (a compiled ABI is only
 * `Abi` at compile time). A test checks each entry against the compiled ABI.
 */
export const tokenAbi = parseAbi([
  "function balanceOf(address owner) view returns (uint256)",
  "function mint(address to, uint256 amount)",
  "function authorizationState(address authorizer, bytes32 nonce) view returns (bool)",
]);

interface SolcOutput {
  errors?: { severity: string; formattedMessage: string }[];
  contracts?: Record<string, Record<string, { abi: Abi; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }>>;
}

type CompiledContracts = ReadonlyMap<string, CompiledContract>;

let compiled: Promise<CompiledContracts> | undefined;

/** The EIP-3009 token's ABI and bytecode. */
export function compileTokenContract(): Promise<CompiledContract> {
  return compileSandboxContract("Eip3009Token");
}

/**
 * One sandbox contract's ABI and bytecode; the first call compiles them all (~1 s, mostly loading
 * solc), later calls reuse the result.
 */
export async function compileSandboxContract(name: SandboxContractName): Promise<CompiledContract> {
  // A failed compile is not cached, so a fixed source can be retried in the same process.
  compiled ??= compile().catch((error: unknown) => {
    compiled = undefined;
    throw error;
  });
  const contract = (await compiled).get(name);
  if (!contract) throw new Error(`solc returned no ${name} contract`);
  return contract;
}

/** The contracts folder, the same whether this module runs from src/ (tsx) or dist/ (tsc output). */
function contractsDir(): string {
  return join(packageRoot(), "sandbox", "contracts");
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

async function compile(): Promise<CompiledContracts> {
  const dir = contractsDir();
  const files = (await readdir(dir)).filter((file) => file.endsWith(".sol")).sort();
  // Source unit names are the bare file names, so `import "./X.sol"` between them resolves without a callback.
  const sources = Object.fromEntries(await Promise.all(files.map(async (file) => [file, { content: await readFile(join(dir, file), "utf8") }] as const)));
  // Loaded lazily: solc-js is a large emscripten module that most importers of this file never need.
  const { default: solc } = await import("solc");
  const input = {
    language: "Solidity",
    sources,
    settings: {
      optimizer: { enabled: true, runs: 200 },
      // Pinned so the bytecode runs on any anvil hardfork from Cancun on, like Base today.
      evmVersion: "cancun",
      outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input)) as string) as SolcOutput;

  const errors = (output.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length > 0) {
    throw new Error(`Compiling the sandbox contracts failed:\n${errors.map((e) => e.formattedMessage).join("\n")}`);
  }
  const contracts = new Map<string, CompiledContract>();
  // Each file's own contract only: an interface declared in a file is not a deployable contract.
  for (const file of files) {
    const name = file.slice(0, -".sol".length);
    const contract = output.contracts?.[file]?.[name];
    if (!contract) continue;
    contracts.set(name, {
      abi: contract.abi,
      bytecode: `0x${contract.evm.bytecode.object}`,
      deployedBytecode: `0x${contract.evm.deployedBytecode.object}`,
    });
  }
  return contracts;
}
