import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Address } from "viem";
import { z } from "zod";
import { parseTokenList, type ClientToken } from "./auth/tokens.js";
import { TOOLSET_NAMES, type Toolset } from "./catalog/toolsets.js";
import { ASSET_DECIMALS, ASSET_SYMBOLS, DEFAULT_RPC_URL, NETWORKS, type AssetSymbol, type Network } from "./assets.js";
import { Secret } from "./secret.js";

/** An amount per asset, as a decimal string in the asset's own units ("0.05" USDC). */
export type AmountPerAsset = Partial<Record<AssetSymbol, string>>;

export interface Config {
  apiBaseUrl: string;
  apiKey?: Secret;
  privateKey?: Secret;
  network: Network;
  /** May embed a provider key (e.g. …/v2/<key>), so it is held as a secret. */
  rpcUrl: Secret;
  toolsets: readonly Toolset[];
  ledgerPath: string;
  /** Overrides every endpoint's own cache TTL when set. */
  cacheTtlSeconds?: number;
  timeoutMs: number;
  /** Assets the user allows, most preferred first. */
  assets: readonly AssetSymbol[];
  maxPerCall: AmountPerAsset;
  /** When set, only these payees are ever paid. */
  payees?: readonly Address[];
  tmaiAddress?: Address;
  sessionBudget: AmountPerAsset;
  dailyBudget: AmountPerAsset;
  confirmAbove: AmountPerAsset;
  /** Below this wallet balance, per asset, the server warns once (TOKEN_METRICS_LOW_BALANCE). */
  lowBalance: AmountPerAsset;
  /** How long a person may take to approve a payment (ms); not counted in `timeoutMs`. */
  approvalTimeoutMs: number;
  /** Daily budgets of authenticated clients, by client name. */
  clientBudgets: Readonly<Record<string, AmountPerAsset>>;
  /** Paid calls in a row without data that stop payments, and for how long (ms). */
  breaker: { failures: number; cooldownMs: number };
  /** Serve Streamable HTTP instead of stdio (`--http`). */
  http?: HttpConfig;
}

export interface HttpConfig {
  port: number;
  /** 127.0.0.1 unless told otherwise: a wallet-backed server must not be reachable by default. */
  host: string;
  /** Host header values accepted (DNS-rebinding protection). */
  allowedHosts: readonly string[];
  /** Who may call. Both empty only on loopback: then anyone on this machine can, as with stdio. */
  auth: HttpAuth;
  /** The /mcp URL clients use, when it differs from what they send in Host (a TLS proxy in front). */
  publicUrl?: string;
}

export interface HttpAuth {
  /** Static bearer tokens (TOKEN_METRICS_HTTP_TOKENS), held as hashes. */
  tokens: readonly ClientToken[];
  /** JWT access tokens from an identity provider (TOKEN_METRICS_HTTP_JWKS_URL). */
  oauth?: OAuthConfig;
}

export interface OAuthConfig {
  jwksUrl: string;
  issuer: string;
  audience: string;
  /** The claim naming the client (the ledger and budgets use the name). */
  clientClaim: string;
}

/**
 * How calls are paid for. "api-key": the Token Metrics plan pays, no wallet is used. "x402": the
 * wallet pays per call. "unconfigured": neither, so only free endpoints answer.
 */
export type Mode = "api-key" | "x402" | "unconfigured";

/**
 * The one rule for the mode; services.ts applies it once per process. It lives with the settings
 * because the API client (below services.ts) and the doctor command (which builds no services)
 * need it too. An API key wins when both are set: it is already paid for, so no wallet money is spent.
 */
export const modeOf = (config: Config): Mode => (config.apiKey ? "api-key" : config.privateKey ? "x402" : "unconfigured");

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Private keys are numbers in [1, n). */
const SECP256K1_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** Payments follow the API: plain http only to this machine. */
const isSecureOrLocal = (url: string) => {
  if (!URL.canParse(url)) return true; // reported by the URL check itself
  const { protocol, hostname } = new URL(url);
  return protocol === "https:" || ["127.0.0.1", "localhost", "[::1]"].includes(hostname);
};

/** Spending per rolling 24 hours when the user sets nothing: an agent looping on a paid tool stops here. */
export const DEFAULT_DAILY_BUDGET: AmountPerAsset = { USDC: "2" };

export const DEFAULT_API_BASE_URL = "https://api.tokenmetrics.com/v2";
export const DEFAULT_LEDGER_PATH = join(homedir(), ".token-metrics-x402-mcp", "ledger.jsonl");

const csv = (value: string) =>
  value
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part.length > 0);

const amountList = z.string().transform((value, ctx) => {
  const amounts: AmountPerAsset = {};
  for (const item of csv(value)) {
    const match = /^(\d+(?:\.(\d+))?)\s+([A-Za-z]+)$/.exec(item);
    const symbol = match?.[3]?.toUpperCase();
    if (!match || !ASSET_SYMBOLS.includes(symbol as AssetSymbol)) {
      ctx.addIssue({ code: "custom", message: `"${item}" is not "<amount> <${ASSET_SYMBOLS.join("|")}>", e.g. "0.05 USDC"` });
      return z.NEVER;
    }
    const asset = symbol as AssetSymbol;
    if ((match[2]?.length ?? 0) > ASSET_DECIMALS[asset]) {
      ctx.addIssue({ code: "custom", message: `"${item}" has more decimals than ${asset} (${ASSET_DECIMALS[asset]})` });
      return z.NEVER;
    }
    amounts[asset] = match[1];
  }
  return amounts;
});

// Format only: viem (slow to load) is kept off the start-up path; the policy compares checksummed forms.
const address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "must be a 0x-prefixed 20-byte address")
  .transform((value) => value as Address);

/** A setting Claude Desktop asks for in the MCPB bundle (scripts/bundle/manifest.ts): its field there. */
export interface BundleField {
  /** The `user_config` key. */
  key: string;
  title: string;
  /** Masked in the form and kept in the OS keychain. */
  sensitive?: boolean;
}

/** What --help (and the bundle's form) says about a setting: its meaning and its default as a user writes it. */
interface SettingHelp {
  help: string;
  shownDefault: string;
  bundle?: BundleField;
}
const about = <T extends z.ZodType>(schema: T, help: string, shownDefault = "none", bundle?: BundleField) =>
  schema.meta({ help, shownDefault, bundle } satisfies SettingHelp);

/** Enum-like settings ignore case and surrounding spaces, like every other setting. */
const oneOf = <const T extends readonly [string, ...string[]]>(values: T) => z.string().trim().toLowerCase().pipe(z.enum(values));

/** The per-call maximum when none is set; sample configurations use it too, so every listed tool can run. */
export const DEFAULT_MAX_PER_CALL = "0.1 USDC";

/** Every setting, once: its parsing, its meaning and default (for --help), in the order --help lists them. */
const envSchema = z.object({
  TOKEN_METRICS_PRIVATE_KEY: about(
    z
      .string()
      .trim()
      .regex(/^(0x)?[0-9a-fA-F]{64}$/, "must be a 32-byte hex private key (64 hex digits, 0x optional)")
      .transform((key) => (key.startsWith("0x") ? key : `0x${key}`))
      .refine((key) => BigInt(key) > 0n && BigInt(key) < SECP256K1_ORDER, "is not a valid secp256k1 private key")
      .optional(),
    "Wallet that pays per call with x402 (0x + 64 hex). Needs USDC/TMAI, no ETH.",
    "none",
    { key: "private_key", title: "Wallet private key (x402)", sensitive: true },
  ),
  TOKEN_METRICS_API_KEY: about(
    z
      .string()
      .trim()
      .regex(/^[\x21-\x7e]+$/, "must be printable characters without spaces")
      .optional(),
    "Token Metrics API key; wins over the wallet when both are set (no money spent).",
    "none",
    { key: "api_key", title: "Token Metrics API key", sensitive: true },
  ),
  TOKEN_METRICS_NETWORK: about(oneOf(NETWORKS).default("base-sepolia"), `${NETWORKS.join(" (testnet) or ")} (real money).`, "base-sepolia", {
    key: "network",
    title: "Network",
  }),
  TOKEN_METRICS_ASSETS: about(
    z
      .string()
      .transform((value, ctx) => {
        const symbols = csv(value.toUpperCase());
        const unknown = symbols.filter((symbol) => !ASSET_SYMBOLS.includes(symbol as AssetSymbol));
        if (unknown.length > 0 || symbols.length === 0) {
          ctx.addIssue({ code: "custom", message: `unknown asset "${unknown.join(",")}"; choose from ${ASSET_SYMBOLS.join(", ")}` });
          return z.NEVER;
        }
        return [...new Set(symbols)] as AssetSymbol[];
      })
      .default(["USDC"]),
    "Assets you allow, preferred first, e.g. tmai,usdc.",
    "usdc",
    { key: "assets", title: "Assets" },
  ),
  TOKEN_METRICS_MAX_PER_CALL: about(
    amountList.prefault(DEFAULT_MAX_PER_CALL),
    'Per-call maximum per asset, e.g. "0.1 USDC, 0.5 TMAI". An asset without a limit is never paid.',
    DEFAULT_MAX_PER_CALL,
    { key: "max_per_call", title: "Maximum per call" },
  ),
  TOKEN_METRICS_PAYEES: about(
    z
      .string()
      .transform((value, ctx) => {
        const parsed = csv(value).map((item) => address.safeParse(item));
        if (parsed.some((result) => !result.success)) {
          ctx.addIssue({ code: "custom", message: "must be a comma-separated list of 0x addresses" });
          return z.NEVER;
        }
        return parsed.map((result) => result.data as Address);
      })
      .optional(),
    "Comma-separated payee addresses; when set, nobody else is paid.",
    "any",
  ),
  TOKEN_METRICS_TMAI_ADDRESS: about(
    address.optional(),
    "TMAI's contract on the network; TMAI is refused until set (and allowed in TOKEN_METRICS_ASSETS).",
    "none",
    { key: "tmai_address", title: "TMAI contract address" },
  ),
  TOKEN_METRICS_SESSION_BUDGET: about(amountList.default({}), 'Spending limit per server process, e.g. "1 USDC".', "none", {
    key: "session_budget",
    title: "Session budget",
  }),
  TOKEN_METRICS_DAILY_BUDGET: about(
    amountList.default(DEFAULT_DAILY_BUDGET),
    'Spending limit per rolling 24 hours, shared by all processes using the same ledger; every asset that can be paid needs one, e.g. "2 USDC, 100 TMAI".',
    "2 USDC",
    { key: "daily_budget", title: "Daily budget" },
  ),
  TOKEN_METRICS_CONFIRM_ABOVE: about(amountList.default({}), "Ask the user before paying more than this per call.", "none", {
    key: "confirm_above",
    title: "Ask before paying more than",
  }),
  TOKEN_METRICS_LOW_BALANCE: about(
    amountList.default({}),
    'Warn (log, tool results, get_wallet_status) when the wallet holds less than this, e.g. "5 USDC, 200 TMAI"; read after payments.',
    "none",
    { key: "low_balance", title: "Warn when the wallet holds less than" },
  ),
  TOKEN_METRICS_APPROVAL_TIMEOUT_MS: about(
    z.coerce.number().int().min(5_000).max(3_600_000).default(300_000),
    "How long a person may take to approve a payment; not counted in TOKEN_METRICS_TIMEOUT_MS.",
    "300000",
  ),
  TOKEN_METRICS_CLIENT_BUDGETS: about(
    z
      .string()
      .transform((value, ctx) => {
        const budgets: Record<string, AmountPerAsset> = {};
        for (const item of csv(value)) {
          const match = /^([A-Za-z0-9._@-]+):(.+)$/.exec(item);
          const amount = match ? amountList.safeParse(match[2]!) : undefined;
          if (!match || !amount?.success) {
            ctx.addIssue({ code: "custom", message: `"${item}" is not "<client>:<amount> <asset>", e.g. "alice:1 USDC"` });
            return z.NEVER;
          }
          budgets[match[1]!] = { ...budgets[match[1]!], ...amount.data };
        }
        return budgets;
      })
      .default({}),
    'Rolling 24-hour budgets per authenticated HTTP client, e.g. "alice:1 USDC, ci-bot:0.2 USDC".',
  ),
  TOKEN_METRICS_BREAKER_FAILURES: about(
    z.coerce.number().int().min(1).max(1_000).default(3),
    "Paid calls in a row without data after which payments stop for a cool-down.",
    "3",
  ),
  TOKEN_METRICS_BREAKER_COOLDOWN_S: about(z.coerce.number().int().min(1).max(86_400).default(300), "Seconds the circuit breaker stops payments.", "300"),
  TOKEN_METRICS_LEDGER: about(
    z.string().min(1).default(DEFAULT_LEDGER_PATH),
    "Append-only payment ledger: a JSONL file, or a postgres:// URL shared by replicas on several hosts.",
    "~/.token-metrics-x402-mcp/ledger.jsonl",
  ),
  TOKEN_METRICS_API_BASE_URL: about(
    z
      .url({ protocol: /^https?$/ })
      .refine(isSecureOrLocal, "must be https (plain http only for 127.0.0.1/localhost)")
      .default(DEFAULT_API_BASE_URL),
    "The Token Metrics API (the sandbox prints its own).",
    DEFAULT_API_BASE_URL,
  ),
  TOKEN_METRICS_RPC_URL: about(z.url({ protocol: /^https?$/ }).optional(), "RPC for balances and reconciliation.", Object.values(DEFAULT_RPC_URL).join(" / ")),
  TOKEN_METRICS_TOOLSETS: about(
    z
      .string()
      .transform((value, ctx) => {
        const names = csv(value.toLowerCase());
        if (names.includes("all")) return TOOLSET_NAMES;
        const unknown = names.filter((name) => !TOOLSET_NAMES.includes(name as Toolset));
        if (unknown.length > 0 || names.length === 0) {
          ctx.addIssue({ code: "custom", message: `unknown toolset "${unknown.join(",")}"; choose from ${TOOLSET_NAMES.join(", ")} or all` });
          return z.NEVER;
        }
        return names as Toolset[];
      })
      .default(TOOLSET_NAMES),
    `Tool groups to register: all, or some of ${TOOLSET_NAMES.join(",")}.`,
    "all",
    { key: "toolsets", title: "Toolsets" },
  ),
  TOKEN_METRICS_CACHE_TTL: about(
    z.coerce.number().int().min(0).max(86_400).optional(),
    "Seconds an identical call may be answered from cache (no request, no payment).",
    "per endpoint",
  ),
  TOKEN_METRICS_TIMEOUT_MS: about(
    z.coerce.number().int().min(1_000).max(300_000).default(30_000),
    "Time limit per call for the network exchange, retries included (not a person's approval).",
    "30000",
  ),
  TOKEN_METRICS_HTTP: about(oneOf(["true", "false", "1", "0"]).optional(), "1 or true: serve Streamable HTTP instead of stdio.", "off"),
  TOKEN_METRICS_HTTP_PORT: about(z.coerce.number().int().min(0).max(65_535).default(3402), "HTTP port; 0 picks a free one.", "3402"),
  TOKEN_METRICS_HTTP_HOST: about(z.string().min(1).default("127.0.0.1"), "Address the HTTP server listens on.", "127.0.0.1"),
  TOKEN_METRICS_ALLOWED_HOSTS: about(
    z.string().transform(csv).optional(),
    "Host header values the HTTP server accepts (DNS-rebinding protection).",
    "127.0.0.1,localhost,[::1]",
  ),
  TOKEN_METRICS_HTTP_TOKENS: about(
    z.string().transform(tokenList).optional(),
    "HTTP clients as name:token pairs (tokens of 16+ characters); requests need Authorization: Bearer <token>.",
  ),
  TOKEN_METRICS_HTTP_TOKENS_FILE: about(
    z
      .string()
      .transform((path, ctx) => {
        try {
          return tokenList(readFileSync(path, "utf8"), ctx, ` (in ${path})`);
        } catch (error) {
          ctx.addIssue({ code: "custom", message: `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? "unreadable"})` });
          return z.NEVER;
        }
      })
      .optional(),
    "A file holding the same list, one pair per line (# comments).",
  ),
  TOKEN_METRICS_HTTP_JWKS_URL: about(
    z
      .url({ protocol: /^https?$/ })
      .refine(isSecureOrLocal, "must be https (plain http only for 127.0.0.1/localhost)")
      .optional(),
    "OAuth: the identity provider's JWKS; needs the issuer and audience too.",
  ),
  // A URL: the metadata names it as the authorization server clients discover sign-in from.
  TOKEN_METRICS_HTTP_ISSUER: about(z.url({ protocol: /^https?$/ }).optional(), "OAuth: the iss access tokens must carry."),
  TOKEN_METRICS_HTTP_AUDIENCE: about(z.string().trim().min(1).optional(), "OAuth: the aud access tokens must carry."),
  TOKEN_METRICS_HTTP_CLIENT_CLAIM: about(z.string().trim().min(1).default("sub"), "OAuth: the claim that names the client.", "sub"),
  TOKEN_METRICS_HTTP_PUBLIC_URL: about(
    z.url({ protocol: /^https?$/ }).optional(),
    "The /mcp URL clients use, when a proxy sits in front (for the OAuth metadata).",
    "from the request",
  ),
});

/** A `name:token` list; problems never quote an entry, since entries hold tokens. */
function tokenList(text: string, ctx: z.RefinementCtx, where = ""): ClientToken[] {
  const { clients, problems } = parseTokenList(text);
  if (problems.length > 0) {
    ctx.addIssue({ code: "custom", message: `${problems.join("; ")}${where}` });
    return z.NEVER;
  }
  return clients;
}

const isLoopback = (host: string) => host === "localhost" || host === "::1" || /^127(\.\d{1,3}){3}$/.test(host);

/**
 * Access to the HTTP server, or a ConfigError naming the variables: reaching it means spending
 * from the wallet, so it does not listen beyond this machine without a way to tell clients apart.
 */
function httpAuth(e: z.infer<typeof envSchema>, host: string): HttpAuth {
  if (e.TOKEN_METRICS_HTTP_TOKENS && e.TOKEN_METRICS_HTTP_TOKENS_FILE) {
    throw new ConfigError("Invalid configuration: set TOKEN_METRICS_HTTP_TOKENS or TOKEN_METRICS_HTTP_TOKENS_FILE, not both");
  }
  const tokens = e.TOKEN_METRICS_HTTP_TOKENS ?? e.TOKEN_METRICS_HTTP_TOKENS_FILE ?? [];
  const { TOKEN_METRICS_HTTP_JWKS_URL: jwksUrl, TOKEN_METRICS_HTTP_ISSUER: issuer, TOKEN_METRICS_HTTP_AUDIENCE: audience } = e;
  if ((jwksUrl || issuer || audience) && !(jwksUrl && issuer && audience)) {
    throw new ConfigError("Invalid configuration: OAuth needs all of TOKEN_METRICS_HTTP_JWKS_URL, TOKEN_METRICS_HTTP_ISSUER and TOKEN_METRICS_HTTP_AUDIENCE");
  }
  const oauth = jwksUrl && issuer && audience ? { jwksUrl, issuer, audience, clientClaim: e.TOKEN_METRICS_HTTP_CLIENT_CLAIM } : undefined;
  if (tokens.length === 0 && !oauth && !isLoopback(host)) {
    throw new ConfigError(
      `Invalid configuration: TOKEN_METRICS_HTTP_HOST=${host} lets other machines reach the wallet, so it needs authentication: set TOKEN_METRICS_HTTP_TOKENS (or TOKEN_METRICS_HTTP_TOKENS_FILE) to name:token pairs, or TOKEN_METRICS_HTTP_JWKS_URL with TOKEN_METRICS_HTTP_ISSUER and TOKEN_METRICS_HTTP_AUDIENCE`,
    );
  }
  return { tokens, oauth };
}

/**
 * A budget for a client nobody can authenticate as would never apply: a misspelt name must not
 * leave a client unlimited. With OAuth the names come from tokens not known in advance.
 */
function checkClientBudgets(e: z.infer<typeof envSchema>): void {
  const named = Object.keys(e.TOKEN_METRICS_CLIENT_BUDGETS);
  if (named.length === 0 || e.TOKEN_METRICS_HTTP_JWKS_URL) return;
  const known = new Set((e.TOKEN_METRICS_HTTP_TOKENS ?? e.TOKEN_METRICS_HTTP_TOKENS_FILE ?? []).map((client) => client.name));
  const unknown = named.filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new ConfigError(
      `Invalid configuration: TOKEN_METRICS_CLIENT_BUDGETS names ${unknown.join(", ")}, which no client can authenticate as: clients are the names in TOKEN_METRICS_HTTP_TOKENS (or TOKEN_METRICS_HTTP_TOKENS_FILE), or the subjects of OAuth tokens (TOKEN_METRICS_HTTP_JWKS_URL)`,
    );
  }
}

/** Command-line flags that set a variable (flags win over the environment). */
const FLAG_TO_ENV = {
  toolsets: "TOKEN_METRICS_TOOLSETS",
  network: "TOKEN_METRICS_NETWORK",
  ledger: "TOKEN_METRICS_LEDGER",
  "api-base-url": "TOKEN_METRICS_API_BASE_URL",
  "rpc-url": "TOKEN_METRICS_RPC_URL",
  assets: "TOKEN_METRICS_ASSETS",
  "max-per-call": "TOKEN_METRICS_MAX_PER_CALL",
  port: "TOKEN_METRICS_HTTP_PORT",
  host: "TOKEN_METRICS_HTTP_HOST",
} as const;

/** Flags without a value, with what --help says about them. */
export const SWITCHES = {
  http: { short: undefined, help: "Serve Streamable HTTP instead of stdio (same as TOKEN_METRICS_HTTP=1)." },
  help: { short: "h", help: "Print this help and exit." },
  version: { short: "v", help: "Print the version and exit." },
} as const;

/** A flag the server does not know, or a flag without its value: the process must not start. */
export class CommandLineError extends ConfigError {
  override name = "CommandLineError";
}

/**
 * One line per setting for --help and the bundle's form, from the schema above, so help, the
 * bundle and parsing cannot drift.
 */
export function describeSettings(): Array<{ variable: string; flag?: string } & SettingHelp> {
  const flagOf = new Map<string, string>(Object.entries(FLAG_TO_ENV).map(([flag, variable]) => [variable, flag]));
  return Object.entries(envSchema.shape).map(([variable, schema]) => {
    const { help, shownDefault, bundle } = schema.meta() as unknown as SettingHelp;
    return { variable, flag: flagOf.get(variable), shownDefault, help, bundle };
  });
}

/**
 * The only place that reads the environment. Empty variables count as unset (Claude Desktop
 * configs often carry "" placeholders). Throws ConfigError naming the variable at fault.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, argv: string[] = []): Config {
  const merged: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (key.startsWith("TOKEN_METRICS_") && value !== undefined && value.trim() !== "") merged[key] = value;
  }
  const { http, help: _help, version: _version, ...flags } = parseFlags(argv);
  if (http) merged.TOKEN_METRICS_HTTP = "true";
  for (const [flag, value] of Object.entries(flags)) {
    if (value !== undefined) merged[FLAG_TO_ENV[flag as keyof typeof FLAG_TO_ENV]] = value;
  }

  const parsed = envSchema.safeParse(merged);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration: ${problems.join("; ")}`);
  }
  const e = parsed.data;
  const unlimited = e.TOKEN_METRICS_ASSETS.filter((asset) => e.TOKEN_METRICS_MAX_PER_CALL[asset] === undefined);
  if (unlimited.length === e.TOKEN_METRICS_ASSETS.length) {
    throw new ConfigError(
      `Invalid configuration: TOKEN_METRICS_MAX_PER_CALL sets no limit for the allowed assets (${e.TOKEN_METRICS_ASSETS.join(", ")}); an asset without a limit is never paid. Example: "0.05 USDC".`,
    );
  }
  const unbudgeted = e.TOKEN_METRICS_ASSETS.filter(
    (asset) => e.TOKEN_METRICS_MAX_PER_CALL[asset] !== undefined && e.TOKEN_METRICS_DAILY_BUDGET[asset] === undefined,
  );
  if (unbudgeted.length > 0) {
    throw new ConfigError(
      `Invalid configuration: TOKEN_METRICS_DAILY_BUDGET sets no budget for ${unbudgeted.join(", ")}, which TOKEN_METRICS_ASSETS and TOKEN_METRICS_MAX_PER_CALL allow paying with; every asset that can be paid needs a daily budget. Example: "2 USDC, 100 TMAI".`,
    );
  }
  checkClientBudgets(e);
  return {
    apiBaseUrl: e.TOKEN_METRICS_API_BASE_URL.replace(/\/+$/, ""),
    apiKey: e.TOKEN_METRICS_API_KEY ? new Secret(e.TOKEN_METRICS_API_KEY) : undefined,
    privateKey: e.TOKEN_METRICS_PRIVATE_KEY ? new Secret(e.TOKEN_METRICS_PRIVATE_KEY) : undefined,
    network: e.TOKEN_METRICS_NETWORK,
    rpcUrl: new Secret(e.TOKEN_METRICS_RPC_URL ?? DEFAULT_RPC_URL[e.TOKEN_METRICS_NETWORK]),
    toolsets: e.TOKEN_METRICS_TOOLSETS,
    ledgerPath: e.TOKEN_METRICS_LEDGER,
    cacheTtlSeconds: e.TOKEN_METRICS_CACHE_TTL,
    timeoutMs: e.TOKEN_METRICS_TIMEOUT_MS,
    assets: e.TOKEN_METRICS_ASSETS,
    maxPerCall: e.TOKEN_METRICS_MAX_PER_CALL,
    payees: e.TOKEN_METRICS_PAYEES,
    tmaiAddress: e.TOKEN_METRICS_TMAI_ADDRESS,
    sessionBudget: e.TOKEN_METRICS_SESSION_BUDGET,
    dailyBudget: e.TOKEN_METRICS_DAILY_BUDGET,
    confirmAbove: e.TOKEN_METRICS_CONFIRM_ABOVE,
    lowBalance: e.TOKEN_METRICS_LOW_BALANCE,
    approvalTimeoutMs: e.TOKEN_METRICS_APPROVAL_TIMEOUT_MS,
    clientBudgets: e.TOKEN_METRICS_CLIENT_BUDGETS,
    breaker: { failures: e.TOKEN_METRICS_BREAKER_FAILURES, cooldownMs: e.TOKEN_METRICS_BREAKER_COOLDOWN_S * 1000 },
    http:
      e.TOKEN_METRICS_HTTP === "true" || e.TOKEN_METRICS_HTTP === "1"
        ? {
            port: e.TOKEN_METRICS_HTTP_PORT,
            host: e.TOKEN_METRICS_HTTP_HOST,
            allowedHosts: e.TOKEN_METRICS_ALLOWED_HOSTS ?? ["127.0.0.1", "localhost", "[::1]"],
            auth: httpAuth(e, e.TOKEN_METRICS_HTTP_HOST),
            publicUrl: e.TOKEN_METRICS_HTTP_PUBLIC_URL,
          }
        : undefined,
  };
}

/**
 * Valid settings that do nothing as given, said at start-up rather than silently ignored. TMAI
 * is not allowed just because its address is set: its per-call maximum is in TMAI units, which
 * only the user can choose.
 */
export function configWarnings(config: Config): string[] {
  const warnings: string[] = [];
  if (config.tmaiAddress && !config.assets.includes("TMAI")) {
    warnings.push(
      'TOKEN_METRICS_TMAI_ADDRESS is set but TMAI is not allowed, so only USDC is paid: to pay with TMAI, set TOKEN_METRICS_ASSETS=tmai,usdc and a TMAI limit, in TMAI units, in TOKEN_METRICS_MAX_PER_CALL (e.g. "0.1 USDC, <n> TMAI").',
    );
  }
  return warnings;
}

/** Parses the command line strictly: unknown flags and positionals are a CommandLineError. */
export function parseFlags(argv: string[]): { help?: boolean; version?: boolean; http?: boolean } & Partial<Record<keyof typeof FLAG_TO_ENV, string>> {
  const options = {
    ...Object.fromEntries(Object.keys(FLAG_TO_ENV).map((flag) => [flag, { type: "string" as const }])),
    ...Object.fromEntries(Object.entries(SWITCHES).map(([flag, { short }]) => [flag, { type: "boolean" as const, ...(short ? { short } : {}) }])),
  };
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    const known = [...Object.keys(SWITCHES), ...Object.keys(FLAG_TO_ENV)].map((flag) => `--${flag}`).join(", ");
    throw new CommandLineError(`Invalid command line: ${(error as Error).message}. Flags: ${known}`);
  }
}

/**
 * Transport settings survive an invalid configuration, so the client still reaches the server to
 * read the problem. HTTP access settings are among them: a server must never fall back to open.
 */
const TRANSPORT_VARIABLES = [
  "TOKEN_METRICS_HTTP",
  "TOKEN_METRICS_HTTP_PORT",
  "TOKEN_METRICS_HTTP_HOST",
  "TOKEN_METRICS_ALLOWED_HOSTS",
  "TOKEN_METRICS_HTTP_TOKENS",
  "TOKEN_METRICS_HTTP_TOKENS_FILE",
  "TOKEN_METRICS_HTTP_JWKS_URL",
  "TOKEN_METRICS_HTTP_ISSUER",
  "TOKEN_METRICS_HTTP_AUDIENCE",
  "TOKEN_METRICS_HTTP_CLIENT_CLAIM",
  "TOKEN_METRICS_HTTP_PUBLIC_URL",
];

/**
 * Defaults plus the transport the user asked for (env or flags), when those parts are valid.
 * When HTTP is asked for and its own settings are wrong it throws: a server others reach does
 * not start with its access settings guessed.
 */
export function fallbackConfig(env: NodeJS.ProcessEnv, argv: string[]): Config {
  const transport = Object.fromEntries(Object.entries(env).filter(([name]) => TRANSPORT_VARIABLES.includes(name)));
  try {
    return loadConfig(transport, argv);
  } catch (error) {
    if (argv.includes("--http") || ["true", "1"].includes(transport.TOKEN_METRICS_HTTP?.trim() ?? "")) throw error;
  }
  try {
    return loadConfig(transport, []);
  } catch {
    return loadConfig({});
  }
}
