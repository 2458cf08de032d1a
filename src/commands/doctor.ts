import { parseArgs } from "node:util";
import type { Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { ConfigError, loadConfig, modeOf, type Config } from "../config.js";
import { CHAIN_ID_OF, networkNamed } from "../assets.js";
import { readChallenge } from "../payer/challenge.js";
import { contractsUnread, policyFor, withContractFacts } from "../payer/rules.js";
import { decide, formatAmount } from "../payer/policy.js";
import { WalletReader } from "../payer/wallet.js";

/** A paid endpoint every plan has, asked for one challenge. */
const DEFAULT_PROBE = "/trading-signals?token_id=3375&limit=1";

/**
 * `token-metrics-x402-mcp doctor`: a dry run to trust before spending. Checks the configuration,
 * the RPC (its chain id is the network's), the balances and the Permit2 allowance, then asks the
 * API for one payment challenge without paying and says what it offers and whether the policy
 * would pay it. Never signs anything. Returns the exit code: 0 when all is well, 1 otherwise.
 */
export async function runDoctor(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  let probe: string;
  try {
    probe = parseArgs({ args: [...argv], options: { endpoint: { type: "string" } }, strict: true, allowPositionals: false }).values.endpoint ?? DEFAULT_PROBE;
  } catch (error) {
    process.stderr.write(`doctor: ${(error as Error).message}. Usage: token-metrics-x402-mcp doctor [--endpoint /path?query]\n`);
    return 2;
  }
  let problems = 0;
  const line = (ok: boolean, text: string) => {
    if (!ok) problems++;
    process.stdout.write(`${ok ? "ok  " : "FAIL"} ${text}\n`);
  };
  const note = (text: string) => process.stdout.write(`     ${text}\n`);

  let config: Config;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    line(false, `configuration: ${error.message}`);
    return 1;
  }
  const mode = modeOf(config);
  if (mode === "api-key") {
    line(true, "configuration: API-key mode (your Token Metrics plan pays; no wallet is used, nothing to check on chain)");
    return 0;
  }
  if (mode === "unconfigured") {
    line(false, "configuration: no TOKEN_METRICS_PRIVATE_KEY (x402) nor TOKEN_METRICS_API_KEY: only free tools can run");
    return 1;
  }
  // x402 mode: the private key is set.
  const owner = privateKeyToAccount(config.privateKey!.reveal() as Hex).address;
  line(
    true,
    `configuration: x402 on ${config.network}, wallet ${owner}, assets ${config.assets.join(",")}, at most ${JSON.stringify(config.maxPerCall)} per call, daily budget ${JSON.stringify(config.dailyBudget)}`,
  );

  const wallet = new WalletReader(config.rpcUrl.reveal());
  const policy = policyFor(config);
  const chainId = await wallet.chainId().catch(() => undefined);
  line(
    chainId === CHAIN_ID_OF[config.network],
    chainId === undefined ? "RPC: TOKEN_METRICS_RPC_URL does not answer" : `RPC: chain id ${chainId} (${config.network} is ${CHAIN_ID_OF[config.network]})`,
  );
  if (chainId !== undefined) {
    const allowed = policy.knownAssets.filter((asset) => policy.allowedAssets.includes(asset.symbol));
    const balances = await wallet.balances(owner, allowed).catch(() => undefined);
    line(balances !== undefined, balances ? `balances: ${balances.map((b) => `${b.balance} ${b.asset}`).join(", ")}` : "balances: could not be read");
    for (const asset of allowed.filter((known) => known.symbol === "TMAI")) {
      const allowance = await wallet.permit2Allowance(asset.address, owner).catch(() => undefined);
      const text = allowance === undefined ? "could not be read" : formatAmount(allowance, asset);
      line(
        allowance !== undefined && allowance > 0n,
        `TMAI Permit2 allowance: ${text}${allowance === 0n ? ' (run "token-metrics-x402-mcp approve-permit2 --asset tmai --amount <n>" before paying TMAI through Permit2)' : ""}`,
      );
    }
  }

  // One unpaid request: the challenge is read, never answered.
  const url = `${config.apiBaseUrl}${probe.startsWith("/") ? probe : `/${probe}`}`;
  const preferred = policy.allowedAssets[0]?.toLowerCase() ?? "usdc";
  const response = await fetch(url, {
    headers: { accept: "application/json", "x-coinbase-402": "true", "x-payment-token": preferred },
    redirect: "manual",
  }).catch(() => undefined);
  if (!response) {
    line(false, `API: ${config.apiBaseUrl} does not answer`);
    return 1;
  }
  if (response.status !== 402) {
    await response.body?.cancel();
    line(false, `API: ${url} answered HTTP ${response.status}, not a 402 payment challenge`);
    return 1;
  }
  const challenge = await readChallenge(response).catch((error: Error) => error);
  if (challenge instanceof Error) {
    line(false, `API challenge: ${challenge.message}`);
    return 1;
  }
  line(
    true,
    `API challenge: x402 v${challenge.x402Version}, ${challenge.offers.length} offer(s)${challenge.error ? ` (the server says: ${challenge.error})` : ""}`,
  );
  const judged = await withContractFacts(policy, wallet).catch(() => contractsUnread(policy));
  let payable = 0;
  for (const offer of challenge.offers) {
    const asset = judged.knownAssets.find((known) => known.address.toLowerCase() === offer.asset.toLowerCase());
    const price = asset && /^\d+$/.test(offer.amount) ? formatAmount(BigInt(offer.amount), asset) : `${offer.amount} base units of ${offer.asset}`;
    note(
      `offer: ${price} to ${offer.payTo} on ${offer.network}${networkNamed(offer.network) ? ` (${networkNamed(offer.network)})` : ""}, ${offer.method}, valid ${offer.maxTimeoutSeconds} s`,
    );
    const decision = decide([offer], judged);
    if (decision.pay) payable++;
    note(decision.pay ? "  the policy would pay it" : `  the policy would refuse it: ${decision.reason}`);
  }
  line(payable > 0, payable > 0 ? "policy: at least one offer would be paid" : "policy: no offer would be paid");
  process.stdout.write(problems === 0 ? "All checks passed; nothing was signed or paid.\n" : `${problems} problem(s); nothing was signed or paid.\n`);
  return problems === 0 ? 0 : 1;
}
