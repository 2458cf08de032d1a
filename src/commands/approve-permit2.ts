import { createInterface } from "node:readline/promises";
import { parseArgs } from "node:util";
import { createPublicClient, createWalletClient, defineChain, erc20Abi, formatUnits, http, parseUnits, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { ConfigError, loadConfig } from "../config.js";
import { CHAIN_ID_OF, knownAssets } from "../assets.js";
import { PERMIT2_ADDRESS } from "../payer/wallet.js";

const USAGE = "Usage: token-metrics-x402-mcp approve-permit2 --asset tmai --amount <tokens> [--yes]";

/**
 * The one-time approval that lets Permit2 move a plain ERC-20 (TMAI) for x402 payments. Never done
 * behind the user's back: it shows the transaction, asks (unless --yes), sends it (gas in ETH),
 * prints the hash and waits for it. Returns the exit code.
 */
export async function runApprovePermit2(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const fail = (message: string) => {
    process.stderr.write(`approve-permit2: ${message}\n`);
    return 2;
  };
  let values: { asset?: string; amount?: string; yes?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { asset: { type: "string" }, amount: { type: "string" }, yes: { type: "boolean" } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    return fail(`${(error as Error).message}. ${USAGE}`);
  }
  let config;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return fail(error.message);
    throw error;
  }
  if (!config.privateKey) return fail("TOKEN_METRICS_PRIVATE_KEY is not set: there is no wallet to approve from.");
  const asset = knownAssets(config.network, config.tmaiAddress).find((known) => known.symbol.toLowerCase() === values.asset?.toLowerCase());
  if (!asset) return fail(`--asset must name a token whose contract is known on ${config.network} (tmai needs TOKEN_METRICS_TMAI_ADDRESS). ${USAGE}`);
  if (!values.amount || !/^\d+(\.\d+)?$/.test(values.amount)) return fail(`--amount must be a number of ${asset.symbol}, e.g. 100. ${USAGE}`);

  const account = privateKeyToAccount(config.privateKey.reveal() as Hex);
  const chain = defineChain({
    id: CHAIN_ID_OF[config.network],
    name: config.network,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [config.rpcUrl.reveal()] } },
  });
  const transport = http(config.rpcUrl.reveal());
  const reader = createPublicClient({ chain, transport });
  const decimals = await reader.readContract({ address: asset.address, abi: erc20Abi, functionName: "decimals" });
  const amount = parseUnits(values.amount, decimals);
  const current = await reader.readContract({ address: asset.address, abi: erc20Abi, functionName: "allowance", args: [account.address, PERMIT2_ADDRESS] });
  process.stdout.write(
    [
      `This sends one transaction on ${config.network} from ${account.address} (gas paid in ETH):`,
      `  ${asset.symbol} ${asset.address}.approve(Permit2 ${PERMIT2_ADDRESS}, ${formatUnits(amount, decimals)} ${asset.symbol})`,
      `  today's allowance: ${formatUnits(current, decimals)} ${asset.symbol}. Permit2 then moves ${asset.symbol} only with a payment this server signs, within your limits.`,
      "",
    ].join("\n"),
  );
  if (!values.yes) {
    if (!process.stdin.isTTY) return fail("not confirmed: run it in a terminal to answer, or pass --yes.");
    const prompt = createInterface({ input: process.stdin, output: process.stdout });
    const answer = await prompt.question("Send it? [y/N] ");
    prompt.close();
    if (!/^y(es)?$/i.test(answer.trim())) return fail("not sent.");
  }
  const wallet = createWalletClient({ account, chain, transport });
  const hash = await wallet.writeContract({ address: asset.address, abi: erc20Abi, functionName: "approve", args: [PERMIT2_ADDRESS, amount] });
  process.stdout.write(`Sent: transaction ${hash}\n`);
  const receipt = await reader.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") return fail(`transaction ${hash} reverted.`);
  process.stdout.write(
    `Confirmed in block ${receipt.blockNumber}: Permit2 may move up to ${formatUnits(amount, decimals)} ${asset.symbol} for x402 payments.\n`,
  );
  return 0;
}
