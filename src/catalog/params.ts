import { z } from "zod";

/** Reusable parameter schemas with the API's real names and formats; shared by every catalog entry. */

/**
 * A comma-separated list of `item`. No flags and no Unicode property escapes: clients compile the
 * JSON Schema `pattern` with their own engine (a JavaScript RegExp without `u`, Python's `re`, Go's
 * RE2), and those read `\p{L}` literally or reject it, so only classes every engine agrees on are used.
 */
const csvOf = (item: string, max = 50) => new RegExp(`^${item}(,${item}){0,${max - 1}}$`);

export const tokenId = z
  .union([
    z.number().int().positive().max(1e9),
    z.string().max(600).regex(csvOf("\\d{1,9}"), "must be a TOKEN_ID or comma-separated TOKEN_IDs, e.g. 3375,3306"),
  ])
  .describe("Token Metrics TOKEN_ID, or several comma-separated (BTC = 3375, ETH = 3306). Find ids with get_tokens.");

export const symbol = z
  .string()
  .max(300)
  .regex(csvOf("[A-Za-z0-9$._-]{1,20}"), "must be ticker symbols like BTC or BTC,ETH")
  .describe("Ticker symbol(s), comma-separated, e.g. BTC,ETH. Several tokens can share a ticker: prefer token_id when known.");

export const tokenName = z
  .string()
  .max(600)
  // Names are free text in any script (Shiba Inu, Pepe 2.0, Fetch.ai, 币安人生): anything but the separator and control characters.
  .regex(csvOf("[^,\\x00-\\x1f\\x7f]{1,60}"), "must be token names like Bitcoin or Bitcoin,Ethereum")
  .describe("Token name(s), comma-separated, e.g. Bitcoin,Ethereum.");

const slugList = (what: string, example: string) =>
  z
    .string()
    .max(300)
    // Underscores too: exchange ids such as bybit_spot.
    .regex(csvOf("[A-Za-z0-9_-]{1,40}"), `must be ${what} slugs like ${example}`)
    .describe(`${what} slug(s), comma-separated, e.g. ${example}.`);

export const category = slugList("Category", "layer-1,defi");
export const exchange = slugList("Exchange", "binance,coinbase");

export const blockchainAddress = z
  .string()
  .max(120)
  .regex(/^[a-z0-9-]{1,40}:[A-Za-z0-9]{20,90}$/, "must be <chain>:<address>, e.g. binance-smart-chain:0x57185189118c7e786cafd5c71f35b16012fa95ad")
  .describe("Contract address as <chain>:<address>, e.g. binance-smart-chain:0x5718…95ad.");

const isoDate = (label: string) =>
  z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, "must be a date as YYYY-MM-DD")
    .refine(
      (value) => !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) && new Date(`${value}T00:00:00Z`).toISOString().startsWith(value),
      "must be a real calendar date",
    )
    .describe(`${label} (YYYY-MM-DD, inclusive). Leave empty for the latest data.`);

export const startDate = isoDate("Start date");
export const endDate = isoDate("End date");

export const dateRange = { startDate, endDate };

/**
 * A number that also accepts its decimal text ("3", "0.5"), as models often send numbers. The
 * JSON Schema shows both forms, and the text passes the same bounds, so nothing looser gets in.
 */
export const numeric = (schema: z.ZodNumber) =>
  z.union([
    schema,
    z
      .string()
      .regex(schema.isInt ? /^\d{1,16}$/ : /^\d{1,16}(\.\d{1,18})?$/, "must be a number")
      .transform(Number)
      .pipe(schema),
  ]);

export const signal = z
  .union([z.literal([1, 0, -1]), z.enum(["1", "0", "-1"]).transform(Number)])
  .describe("Only tokens whose current signal is 1 (bullish), -1 (bearish) or 0 (no signal).");

const minimumUsd = (what: string) => numeric(z.number().min(0).max(1e15)).describe(`Minimum ${what} in USD.`);
export const marketFilters = { marketcap: minimumUsd("market cap"), volume: minimumUsd("24h volume"), fdv: minimumUsd("fully diluted valuation") };

export const grade = (what: string) => numeric(z.number().min(0).max(100)).describe(`Minimum ${what} (0-100).`);

export const limit = numeric(z.number().int().min(1).max(100)).describe("Rows per page (1-100).");
export const page = numeric(z.number().int().min(1).max(10_000)).describe("Page number, starting at 1.");
export const topK = numeric(z.number().int().min(1).max(100)).describe("How many top tokens (1-100).");

export const fields = z
  .array(z.string().regex(/^[A-Za-z0-9_]{1,64}$/, "must be a field name such as TOKEN_SYMBOL"))
  .min(1)
  .max(50)
  .describe("Keep only these fields of each row (names as in the data, e.g. TOKEN_SYMBOL, DATE). Smaller answers for the model.");

/** The filters shared by the "screener" endpoints (signals, grades, quant metrics). */
export const screenerFilters = { token_id: tokenId, symbol, category, exchange, ...marketFilters };
