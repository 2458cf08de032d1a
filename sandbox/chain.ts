/**
 * A throwaway local "Base Sepolia": anvil (chain id 84532) with the sandbox EIP-3009 token deployed
 * as USDC at its canonical Base Sepolia address, TMAI (an EIP-3009 token, or a plain ERC-20 paid
 * through Permit2, which is then installed too), and a payer funded with both.
 * Presenting as base-sepolia matters: x402 v1 knows networks only by name, and "base-sepolia"
 * means chain id 84532 and that USDC address.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import {
  createPublicClient,
  createTestClient,
  createWalletClient,
  defineChain,
  getAddress,
  http,
  publicActions,
  type Address,
  type Chain,
  type Hash,
  type Hex,
  type NonceManager,
  type PublicClient,
  type Transport,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { getTransactionCount } from "viem/actions";
import { createNonceManager } from "viem/nonce";
import { getDefaultAsset } from "x402/shared";
import { installPermit2 } from "./permit2.js";
import { compileSandboxContract, tokenAbi, type CompiledContract, type SandboxContractName } from "./token-contract.js";

export const LOCAL_CHAIN_ID = 84532;

/** How x402's `exact` scheme moves a token (`extra.assetTransferMethod` in a v2 offer). */
export type AssetTransferMethod = "eip3009" | "permit2";

/** A token as x402-express prices it (`price: { amount, asset }`), plus its symbol. */
export interface SandboxToken {
  address: Address;
  symbol: string;
  decimals: number;
  /**
   * The EIP-712 domain a v1 offer names. For a plain ERC-20 (`transferMethod: "permit2"`) nothing
   * on chain checks it: a v1 offer for such a token can be signed but never settles, as in reality.
   */
  eip712: { name: string; version: string };
  transferMethod: AssetTransferMethod;
}

export interface LocalChain {
  rpcUrl: string;
  chainId: number;
  /** viem chain definition pointing at this anvil. */
  chain: Chain;
  usdc: Address;
  tmai: Address;
  tokens: { usdc: SandboxToken; tmai: SandboxToken };
  /** anvil account 0: submits settlements and pays their gas. */
  facilitatorPrivateKey: Hex;
  /** anvil account 1: holds the tokens that pay for API calls. */
  payerPrivateKey: Hex;
  payerAddress: Address;
  /** anvil account 2: the API's revenue address. */
  payTo: Address;
  publicClient: PublicClient<Transport, Chain>;
  balanceOf(asset: Address, owner: Address): Promise<bigint>;
  /** Mints `amount` base units; resolves once the mint is mined. */
  mint(asset: Address, to: Address, amount: bigint): Promise<Hash>;
  /** True once an EIP-3009 authorization with this nonce was used (settled). */
  authorizationState(asset: Address, authorizer: Address, nonce: Hex): Promise<boolean>;
  /** Kills anvil; safe to call more than once. */
  stop(): Promise<void>;
}

/**
 * What TMAI is on the sandbox chain: "eip3009" (the sandbox's EIP-3009 token, payable by x402 v1) or
 * "erc20" (a plain ERC-20 like Token Metrics' published TMAI source, payable only through Permit2;
 * Permit2, x402's exact Permit2 proxy and Multicall3 are installed with it, see permit2.ts).
 */
export type TmaiTokenKind = "eip3009" | "erc20";

export interface StartChainOptions {
  /** Mine a block every N seconds like a real chain (Base: 2). Default: mine each transaction at once. */
  blockTimeSeconds?: number;
  /** The chain's clock relative to this machine's, in seconds (e.g. -30: a server clock 30 s fast). */
  clockOffsetSeconds?: number;
  /** Default "eip3009". */
  tmai?: TmaiTokenKind;
}

// anvil's well-known dev keys (mnemonic "test test ... junk"); public test keys, never real money.
const DEV_KEYS = [
  "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
  "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
  "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
  "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
] as const satisfies readonly Hex[];
const [FACILITATOR_KEY, PAYER_KEY, PAY_TO_KEY, OWNER_KEY] = DEV_KEYS;

/** Tokens minted to the payer at start, in whole tokens. */
const PAYER_FUNDING = { usdc: 1000n, tmai: 10_000n };

const TMAI_BY_KIND: Record<TmaiTokenKind, { contract: SandboxContractName; token: Omit<SandboxToken, "address"> }> = {
  eip3009: {
    contract: "Eip3009Token",
    token: { symbol: "TMAI", decimals: 18, eip712: { name: "Token Metrics AI", version: "2" }, transferMethod: "eip3009" },
  },
  erc20: {
    contract: "SandboxErc20",
    token: { symbol: "TMAI", decimals: 18, eip712: { name: "Token Metrics AI", version: "1" }, transferMethod: "permit2" },
  },
};

/** A loaded machine (several test processes on two cores) has taken more than 15 s to start anvil. */
const STARTUP_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 2_000;
/** How often viem polls for receipts; 127.0.0.1 is cheap to ask. */
export const LOCAL_POLLING_INTERVAL_MS = 50;

/** A viem chain for a local node that claims `chainId`. */
export function defineLocalChain(rpcUrl: string, chainId: number = LOCAL_CHAIN_ID): Chain {
  return defineChain({
    id: chainId,
    name: `Local chain ${chainId} (anvil)`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
}

/**
 * The client of the account that settles payments (a facilitator's): reads, and transactions sent
 * concurrently, each estimated first and then given the next nonce (anvil holds one whose nonce
 * comes early until the ones before it arrive; estimating with such a nonce would be refused). A
 * send that fails after taking its nonce leaves it to an empty transaction to ourselves, so the ones
 * after it can still mine. viem's nonce manager, used before, could skip a nonce under a hundred
 * settlements at once; every later transaction then waited for the missing one until its receipt
 * wait timed out (180 s), which stalled two of eleven full `npm run bench` runs. (Sending one at a
 * time avoided that too, but made settlement the bottleneck of the bench's bursts.)
 */
export function settlementClient(rpcUrl: string, privateKey: Hex, chainId: number = LOCAL_CHAIN_ID) {
  const account = privateKeyToAccount(privateKey);
  const client = createWalletClient({
    account,
    chain: defineLocalChain(rpcUrl, chainId),
    transport: http(rpcUrl),
    pollingInterval: LOCAL_POLLING_INTERVAL_MS,
  }).extend(publicActions);
  /** The last nonce handed out: the node's count once, then counted here. */
  let last: Promise<number> | undefined;
  const nextNonce = () => {
    last = (last ?? client.getTransactionCount({ address: account.address, blockTag: "pending" }).then((count) => count - 1)).then((nonce) => nonce + 1);
    return last;
  };
  type Send<Args> = (args: Args & { gas: bigint; nonce: number }) => Promise<Hash>;
  const inNonceOrder =
    <Args extends { gas?: bigint }>(estimate: (args: Args) => Promise<bigint>, send: Send<Args>) =>
    async (args: Args): Promise<Hash> => {
      const gas = args.gas ?? (await estimate(args));
      const nonce = await nextNonce();
      try {
        return await send({ ...args, gas, nonce });
      } catch (error) {
        // Refused when the failed one reached the node after all; then there is no gap to fill.
        await client.sendTransaction({ to: account.address, value: 0n, gas: 21_000n, nonce }).catch(() => undefined);
        throw error;
      }
    };
  type Loose = (args: { gas?: bigint }) => Promise<never>;
  return {
    ...client,
    writeContract: inNonceOrder(client.estimateContractGas as Loose, client.writeContract as Loose) as typeof client.writeContract,
    sendTransaction: inNonceOrder(client.estimateGas as Loose, client.sendTransaction as Loose) as typeof client.sendTransaction,
  };
}

/**
 * A viem nonce manager private to one caller. viem's shared `nonceManager` remembers the last nonce
 * per (address, chain id) for the whole process, so after one anvil is replaced by a fresh one with
 * the same chain id it would hand out nonces that are too high and transactions would never mine.
 */
export function createLocalNonceManager(): NonceManager {
  return createNonceManager({
    source: {
      get: ({ address, client }) => getTransactionCount(client, { address, blockTag: "pending" }),
      set: () => {},
    },
  });
}

export async function startChain(options: StartChainOptions = {}): Promise<LocalChain> {
  const tmai = TMAI_BY_KIND[options.tmai ?? "eip3009"];
  // Compiling (~1.5 s, mostly loading solc) overlaps with anvil's start.
  const [started, compiled] = await Promise.allSettled([
    spawnAnvil(options.clockOffsetSeconds ?? 0),
    Promise.all([compileSandboxContract("Eip3009Token"), compileSandboxContract(tmai.contract)]),
  ]);
  if (started.status === "rejected") throw started.reason;
  const anvil = started.value;
  try {
    if (compiled.status === "rejected") throw compiled.reason;
    const [eip3009Contract, tmaiContract] = compiled.value;
    const chain = defineLocalChain(anvil.rpcUrl);
    const transport = http(anvil.rpcUrl);
    const publicClient = createPublicClient({ chain, transport, pollingInterval: LOCAL_POLLING_INTERVAL_MS });
    const testClient = createTestClient({ mode: "anvil", chain, transport });
    // A dedicated owner account (not the facilitator's) so mints never race settlements for nonces.
    const owner = createWalletClient({
      account: privateKeyToAccount(OWNER_KEY, { nonceManager: createLocalNonceManager() }),
      chain,
      transport,
    });

    const chainId = await publicClient.getChainId();
    if (chainId !== LOCAL_CHAIN_ID) throw new Error(`anvil reports chain id ${chainId}, expected ${LOCAL_CHAIN_ID}`);

    const mined = async (hash: Hash): Promise<Hash> => {
      const receipt = await publicClient.waitForTransactionReceipt({ hash });
      if (receipt.status !== "success") throw new Error(`Transaction ${hash} reverted`);
      return hash;
    };
    const deploy = async (contract: CompiledContract, token: Omit<SandboxToken, "address">): Promise<Address> => {
      const hash = await owner.deployContract({
        abi: contract.abi,
        bytecode: contract.bytecode,
        args: [token.eip712.name, token.symbol, token.decimals],
      });
      const receipt = await publicClient.waitForTransactionReceipt({ hash });
      if (receipt.status !== "success" || !receipt.contractAddress) throw new Error(`Deploying ${token.symbol} failed`);
      return receipt.contractAddress;
    };

    const usdcInfo = getDefaultAsset("base-sepolia");
    const usdcToken: SandboxToken = {
      address: getAddress(usdcInfo.address),
      symbol: "USDC",
      decimals: usdcInfo.decimals,
      eip712: usdcInfo.eip712,
      transferMethod: "eip3009",
    };
    // One after the other, so the owner's nonces 0 and 1 make TMAI's address the same on every run.
    const usdcTemplate = await deploy(eip3009Contract, usdcToken);
    const tmaiAddress = await deploy(tmaiContract, tmai.token);
    // Every setting of the token is in its runtime code (immutables), so copying the code is enough.
    const usdcCode = await publicClient.getCode({ address: usdcTemplate });
    if (!usdcCode) throw new Error("Deployed USDC has no code");
    await testClient.setCode({ address: usdcToken.address, bytecode: usdcCode });
    const tmaiToken: SandboxToken = { ...tmai.token, address: getAddress(tmaiAddress) };
    if (tmaiToken.transferMethod === "permit2") await installPermit2(testClient, publicClient);

    const mint = async (asset: Address, to: Address, amount: bigint): Promise<Hash> =>
      mined(await owner.writeContract({ address: asset, abi: tokenAbi, functionName: "mint", args: [to, amount] }));

    const payerAddress = privateKeyToAccount(PAYER_KEY).address;
    await Promise.all([
      mint(usdcToken.address, payerAddress, PAYER_FUNDING.usdc * 10n ** BigInt(usdcToken.decimals)),
      mint(tmaiToken.address, payerAddress, PAYER_FUNDING.tmai * 10n ** BigInt(tmaiToken.decimals)),
    ]);

    // Switched on only now, so the setup above does not wait for blocks.
    if (options.blockTimeSeconds !== undefined) {
      await testClient.setIntervalMining({ interval: options.blockTimeSeconds });
    }

    return {
      rpcUrl: anvil.rpcUrl,
      chainId: LOCAL_CHAIN_ID,
      chain,
      usdc: usdcToken.address,
      tmai: tmaiToken.address,
      tokens: { usdc: usdcToken, tmai: tmaiToken },
      facilitatorPrivateKey: FACILITATOR_KEY,
      payerPrivateKey: PAYER_KEY,
      payerAddress,
      payTo: privateKeyToAccount(PAY_TO_KEY).address,
      publicClient,
      balanceOf: (asset, holder) => publicClient.readContract({ address: asset, abi: tokenAbi, functionName: "balanceOf", args: [holder] }),
      mint,
      authorizationState: (asset, authorizer, nonce) =>
        publicClient.readContract({
          address: asset,
          abi: tokenAbi,
          functionName: "authorizationState",
          args: [authorizer, nonce],
        }),
      stop: anvil.stop,
    };
  } catch (error) {
    await anvil.stop();
    throw error;
  }
}

// --- the anvil process ----------------------------------------------------------------------

interface AnvilProcess {
  rpcUrl: string;
  stop(): Promise<void>;
}

/** Names the anvil binary to run instead of the npm package's, e.g. on a platform Foundry publishes no npm binary for. */
const ANVIL_BINARY_VARIABLE = "ANVIL_BINARY";

const ANVIL_HOW_TO =
  `The sandbox needs Foundry's anvil. npm ci installs it (the @foundry-rs/anvil development dependency ` +
  `carries the binary for linux and macOS on x64 and arm64, and Windows on x64); elsewhere install Foundry ` +
  `(https://getfoundry.sh) so that anvil is on PATH, or set ${ANVIL_BINARY_VARIABLE} to the binary's path.`;

/**
 * Which anvil to run: ANVIL_BINARY when set, else the binary of the platform package that
 * `@foundry-rs/anvil` lists as an optional dependency (npm installs the one matching this machine),
 * else `anvil` on PATH. The binary is run directly rather than through the wrapper's bin.mjs, so
 * stopping the sandbox signals anvil itself.
 */
function anvilCommand(): string {
  const configured = process.env[ANVIL_BINARY_VARIABLE];
  if (configured) return configured;
  const arch = ({ x64: "amd64", arm64: "arm64" } as Record<string, string>)[process.arch] ?? process.arch;
  try {
    // Resolved from the wrapper, where npm may nest its optional dependency.
    const wrapper = createRequire(createRequire(import.meta.url).resolve("@foundry-rs/anvil/package.json"));
    const packageJson = wrapper.resolve(`@foundry-rs/anvil-${process.platform}-${arch}/package.json`);
    return join(dirname(packageJson), "bin", process.platform === "win32" ? "anvil.exe" : "anvil");
  } catch {
    return "anvil";
  }
}

async function spawnAnvil(clockOffsetSeconds: number): Promise<AnvilProcess> {
  // anvil's blocks follow the machine's clock from the genesis timestamp on, so an offset there shifts them all.
  const clock = clockOffsetSeconds === 0 ? [] : ["--timestamp", String(Math.floor(Date.now() / 1000) + clockOffsetSeconds)];
  // Port 0: anvil binds a free port itself and prints it, so there is no pick-then-bind race.
  const command = anvilCommand();
  const child = spawn(command, ["--chain-id", String(LOCAL_CHAIN_ID), "--host", "127.0.0.1", "--port", "0", ...clock], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  // No pid: the spawn itself failed; "error" follows and there is nothing to track or kill.
  if (child.pid !== undefined) trackChild(child);

  // anvil logs every RPC call to stdout. It is always drained (a full pipe would block anvil)
  // and never forwarded: our stdout may be an MCP stdio transport.
  let output = "";
  const listening = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output = (output + chunk.toString("utf8")).slice(-4096);
      const match = /Listening on ([\d.]+):(\d+)/.exec(output);
      if (!match) return;
      for (const stream of [child.stdout, child.stderr]) stream?.off("data", onData).resume();
      resolve(`http://${match[1]}:${match[2]}`);
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("error", (error: NodeJS.ErrnoException) => reject(error.code === "ENOENT" ? new Error(`anvil not found (${command}). ${ANVIL_HOW_TO}`) : error));
    child.once("exit", (code, signal) => reject(new Error(`anvil exited before listening (code ${code}, signal ${signal}):\n${output}`)));
  });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopping ??= killChild(child));

  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`anvil did not start within ${STARTUP_TIMEOUT_MS} ms:\n${output}`)), STARTUP_TIMEOUT_MS);
  });
  try {
    return { rpcUrl: await Promise.race([listening, timeout]), stop };
  } catch (error) {
    await stop();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

async function killChild(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

// --- no anvil outlives this process ------------------------------------------------------------
// Handlers are installed only while an anvil runs: a SIGINT listener left behind would stop
// Ctrl-C from ending the host process.

const runningChildren = new Set<ChildProcess>();
const EXIT_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

function killAllNow(): void {
  for (const child of runningChildren) child.kill("SIGKILL");
}

function onExitSignal(signal: NodeJS.Signals): void {
  killAllNow();
  uninstallExitHandlers();
  // Keep the default behaviour (die by the signal) unless the host handles the signal itself.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function installExitHandlers(): void {
  process.on("exit", killAllNow);
  for (const signal of EXIT_SIGNALS) process.on(signal, onExitSignal);
}

function uninstallExitHandlers(): void {
  process.off("exit", killAllNow);
  for (const signal of EXIT_SIGNALS) process.off(signal, onExitSignal);
}

function trackChild(child: ChildProcess): void {
  if (runningChildren.size === 0) installExitHandlers();
  runningChildren.add(child);
  child.once("exit", () => {
    runningChildren.delete(child);
    if (runningChildren.size === 0) uninstallExitHandlers();
  });
}
