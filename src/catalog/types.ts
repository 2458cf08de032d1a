import type { z } from "zod";
import type { Toolset } from "./toolsets.js";

/** How an endpoint pages its rows. */
export type Pagination = "limit-page" | "top_k" | "none";

/** What an example can take only from live data: index ids are whatever get_indices returns. */
export interface ExampleData {
  indexId: number;
}

/** One Token Metrics endpoint, exposed as one MCP tool. Adding an endpoint = adding an entry. */
export interface Endpoint {
  /** Tool name, snake_case. */
  name: string;
  title: string;
  /** What it returns, when to use it, the main parameters. The price is appended automatically. */
  description: string;
  toolset: Toolset;
  /** API path under the base URL, e.g. "/trading-signals". */
  path: string;
  method: "GET" | "POST";
  /** Endpoint-specific parameters, with the API's own names. Pagination and `fields` are added. */
  params: Record<string, z.ZodType>;
  pagination: Pagination;
  /** Rows asked for when the caller gives no limit (paged endpoints): small, agents choke on huge JSON. */
  defaultLimit?: number;
  /** At least one of these parameters must be given. */
  requireOneOf?: readonly string[];
  /** How long an identical call may be answered from cache. */
  cacheTtlSeconds: number;
  /**
   * Per-call x402 price in USD, 0 when free. Not official: taken from a third-party wrapper of the
   * Token Metrics x402 API (see shared/token-metrics-api.md §1.2) until real 402 challenges are
   * observed. Descriptions quote it and the sandbox charges it; the 402 challenge is what counts.
   */
  priceUsd: number;
  /**
   * Valid arguments against the sandbox's fixtures, for tests, the bench and docs; a function when
   * they need live data.
   */
  example: Record<string, unknown> | ((data: ExampleData) => Record<string, unknown>);
  /** Still served by the API but superseded. */
  legacy?: string;
  /** For POST endpoints: the JSON body built from the arguments. */
  body?: (args: Record<string, unknown>) => unknown;
}
