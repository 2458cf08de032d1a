import { gradesEndpoints } from "./grades.js";
import { indicesEndpoints } from "./indices.js";
import { marketEndpoints } from "./market.js";
import { USD_PRICE_BY_PATH } from "./prices.js";
import { researchEndpoints } from "./research.js";
import { signalsEndpoints } from "./signals.js";
import { tokensEndpoints } from "./tokens.js";
import type { Toolset } from "./toolsets.js";
import type { Endpoint } from "./types.js";

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

/** The expected x402 price in USD, or undefined when unknown. The 402 challenge is what counts. */
export function expectedPriceUsd(endpoint: Endpoint): number | undefined {
  return USD_PRICE_BY_PATH[endpoint.path];
}

export type { Endpoint } from "./types.js";
