import type { z } from "zod";
import type { Toolset } from "./toolsets.js";

/** How an endpoint pages its rows. */
export type Pagination = "limit-page" | "top_k" | "none";

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
  /** Still served by the API but superseded. */
  legacy?: string;
  /** For POST endpoints: the JSON body built from the arguments. */
  body?: (args: Record<string, unknown>) => unknown;
}
