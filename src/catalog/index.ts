import { gradesEndpoints } from "./grades.js";
import { indicesEndpoints } from "./indices.js";
import { marketEndpoints } from "./market.js";
import { researchEndpoints } from "./research.js";
import { signalsEndpoints } from "./signals.js";
import { tokensEndpoints } from "./tokens.js";
import type { Toolset } from "./toolsets.js";
import type { Endpoint, ExampleData } from "./types.js";

/** Every Token Metrics v2 endpoint this server exposes, one tool each. */
export const CATALOG: readonly Endpoint[] = [
  ...tokensEndpoints,
  ...gradesEndpoints,
  ...signalsEndpoints,
  ...marketEndpoints,
  ...researchEndpoints,
  ...indicesEndpoints,
];

export function endpointsIn(toolsets: readonly Toolset[]): Endpoint[] {
  return CATALOG.filter((endpoint) => toolsets.includes(endpoint.toolset));
}

/**
 * The entries' prices by API path, derived, for the API client: it knows only a request's path
 * when it answers an unpaid call with the price.
 */
export const USD_PRICE_BY_PATH: Readonly<Record<string, number>> = Object.fromEntries(CATALOG.map((endpoint) => [endpoint.path, endpoint.priceUsd]));

/** TMAI is 10% cheaper than USDC for the same call (Token Metrics' documented discount). */
export const TMAI_DISCOUNT = 0.1;

/** Every entry's example arguments by tool name, with live data filled in where an example needs it. */
export function exampleArgs(data: ExampleData): Record<string, Record<string, unknown>> {
  return Object.fromEntries(CATALOG.map(({ name, example }) => [name, typeof example === "function" ? example(data) : example]));
}

export type { Endpoint, ExampleData } from "./types.js";
