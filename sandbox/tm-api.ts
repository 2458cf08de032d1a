/**
 * The sandbox's Token Metrics look-alike: the real API's paths, envelope, auth rules and query
 * semantics over deterministic fixtures. x402 requests (`x-coinbase-402: true`) pass through an
 * optional payment gate, a plain express middleware (the sandbox plugs x402-express, or
 * @x402/express in v2 mode, in there), so the data handlers never know how a call was paid for.
 * Nothing is written to stdout.
 */
import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response } from "express";
import { STATUS_CODES, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { DATA_PATHS, DEFAULT_NOW, queryFixtures, tmaiAnswer, type Row } from "./fixtures/index.js";

export interface RecordedRequest {
  method: string;
  /** Full path as requested, e.g. "/v2/trading-signals". */
  path: string;
  /** Query parameters (repeated ones joined by commas); never an API key. */
  query: Record<string, string>;
  hasApiKey: boolean;
  /** `x-coinbase-402: true` was sent. */
  hasX402Header: boolean;
  /** An x402 payment was sent (`X-PAYMENT` in v1, `PAYMENT-SIGNATURE` in v2). */
  hasPaymentHeader: boolean;
  /** That header as sent (a signed authorization for the sandbox's own chain), for tests to decode. */
  payment?: string;
  /** The `x-payment-token` header (usdc | tmai), if sent. */
  paymentToken?: string;
  /** Status of the response; 0 until its headers are written. */
  status: number;
}

/**
 * One scripted answer replacing the normal handling of the next request, or `loseAnswer`: the
 * request is handled (a payment with it settles) and the connection closes instead of answering,
 * as when a network drops the response.
 */
export type Fault = StatusFault | { loseAnswer: true };

interface StatusFault {
  status: number;
  /** Sent as the Retry-After header. */
  retryAfterSeconds?: number;
  /** Wait this long before answering (to exercise client timeouts). */
  delayMs?: number;
  /** JSON body; a string is sent as text/html (as proxies do on 502). Default: {success:false, message}. */
  body?: unknown;
}

/** Shared between the app and whoever inspects it (tests, startTokenMetricsApi). */
export interface ApiRecorder {
  readonly requests: RecordedRequest[];
  readonly faults: Fault[];
}

export interface TokenMetricsAppOptions {
  /** Keys accepted in `x-api-key`. */
  apiKeys: readonly string[];
  /** Runs before the data handler for x402 requests; without it they get a 402 with no offers. */
  paymentGate?: RequestHandler;
  /** The fixtures' reference time (default 2026-11-20T00:00:00Z); fixed, so answers are stable. */
  now?: Date;
  recorder?: ApiRecorder;
}

export interface TokenMetricsApi {
  /** e.g. http://127.0.0.1:PORT/v2 */
  baseUrl: string;
  requests: RecordedRequest[];
  /** Queue answers for the next requests, in order. */
  injectFaults(faults: Fault[]): void;
  stop(): Promise<void>;
}

const NO_GATE_BODY = { x402Version: 1, error: "x402 payments are not enabled in this sandbox", accepts: [] };
/** Query keys that could carry a key by mistake; never recorded. */
const SECRET_QUERY_KEY = /^(x[-_])?api[-_]?key$/i;

/** Express 5 parses repeated parameters into arrays; the API treats them as one comma-separated list. */
function flatQuery(query: Request["query"]): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [key, value] of Object.entries(query)) {
    if (typeof value === "string") flat[key] = value;
    else if (Array.isArray(value)) flat[key] = value.filter((v): v is string => typeof v === "string").join(",");
  }
  return flat;
}

const isX402 = (req: Request): boolean => req.header("x-coinbase-402")?.trim().toLowerCase() === "true";

function sendRows(res: Response, rows: readonly Row[]): void {
  if (rows.length === 0) res.json({ success: false, message: "Data not found", length: 0, data: [] });
  else res.json({ success: true, message: "Data fetched successfully", length: rows.length, data: rows });
}

const fail = (res: Response, status: number, message: string): void => {
  res.status(status).json({ success: false, message });
};

function recordRequests(recorder: ApiRecorder): RequestHandler {
  return (req, res, next) => {
    const query = Object.fromEntries(Object.entries(flatQuery(req.query)).filter(([key]) => !SECRET_QUERY_KEY.test(key)));
    const record: RecordedRequest = {
      method: req.method,
      path: req.path,
      query,
      hasApiKey: Boolean(req.header("x-api-key")),
      hasX402Header: isX402(req),
      hasPaymentHeader: req.header("x-payment") !== undefined || req.header("payment-signature") !== undefined,
      payment: req.header("payment-signature") ?? req.header("x-payment"),
      paymentToken: req.header("x-payment-token"),
      status: 0,
    };
    recorder.requests.push(record);
    // Hook the moment headers go out (also when x402-express buffers and replays the response), so
    // the status is recorded before the client can see the answer.
    const writeHead = res.writeHead;
    res.writeHead = function (this: Response, statusCode: number, ...rest: unknown[]) {
      record.status = statusCode;
      return writeHead.apply(this, [statusCode, ...rest] as unknown as Parameters<typeof writeHead>);
    } as typeof res.writeHead;
    next();
  };
}

function serveFaults(recorder: ApiRecorder): RequestHandler {
  return (_req, res, next) => {
    const fault = recorder.faults.shift();
    if (!fault) return next();
    if ("loseAnswer" in fault) {
      // The moment headers would go out is after settlement (the x402 middleware settles first).
      res.writeHead = function (this: Response) {
        this.socket?.destroy();
        return this;
      } as typeof res.writeHead;
      return next();
    }
    const answer = (): void => {
      if (fault.retryAfterSeconds !== undefined) res.setHeader("Retry-After", String(fault.retryAfterSeconds));
      res.status(fault.status);
      if (typeof fault.body === "string") res.type("html").send(fault.body);
      else res.json(fault.body ?? { success: false, message: STATUS_CODES[fault.status] ?? "Error" });
    };
    if (!fault.delayMs) return answer();
    const timer = setTimeout(answer, fault.delayMs);
    res.on("close", () => clearTimeout(timer)); // the client gave up, or the server is stopping
  };
}

/** API key XOR x402, as the real API documents; x402 requests are marked for the gate. */
function authenticate(apiKeys: ReadonlySet<string>): RequestHandler {
  return (req, res, next) => {
    const apiKey = req.header("x-api-key");
    if (isX402(req)) {
      if (apiKey)
        return fail(
          res,
          400,
          "x-api-key and x-coinbase-402 are mutually exclusive: send x-api-key for API-key access, or only x-coinbase-402: true to pay per call with x402",
        );
      res.locals.x402 = true;
      return next();
    }
    if (!apiKey) return fail(res, 401, "Unauthorized: missing API key. Send the x-api-key header, or x-coinbase-402: true to pay per call with x402");
    if (!apiKeys.has(apiKey)) return fail(res, 401, "Unauthorized: invalid API key");
    next();
  };
}

function paymentGate(gate: RequestHandler | undefined): RequestHandler {
  return (req, res, next) => {
    if (!res.locals.x402) return next();
    if (!gate) {
      res.status(402).json(NO_GATE_BODY);
      return;
    }
    return gate(req, res, next);
  };
}

function tmai(now: Date): RequestHandler {
  return (req, res) => {
    const messages: unknown = (req.body as { messages?: unknown } | undefined)?.messages;
    const last: unknown = Array.isArray(messages) ? messages.at(-1) : undefined;
    const question = (last as { user?: unknown } | undefined)?.user;
    if (typeof question !== "string" || question.trim() === "") {
      return fail(res, 400, 'messages is required: send {"messages":[{"user":"<your question>"}]}');
    }
    res.json({ success: true, message: "Data fetched successfully", answer: tmaiAnswer(question, now) });
  };
}

const errors: ErrorRequestHandler = (error: { status?: number; message?: string }, _req, res, next) => {
  if (res.headersSent) return next(error);
  const status = error.status !== undefined && error.status >= 400 && error.status < 600 ? error.status : 500;
  fail(res, status, `${STATUS_CODES[status] ?? "Error"}: ${error.message ?? "unknown"}`);
};

export function createTokenMetricsApp(options: TokenMetricsAppOptions): express.Express {
  const now = options.now ?? DEFAULT_NOW;
  const recorder = options.recorder ?? { requests: [], faults: [] };
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.use(recordRequests(recorder), serveFaults(recorder), authenticate(new Set(options.apiKeys)), paymentGate(options.paymentGate));
  for (const path of DATA_PATHS) {
    app.get(`/v2${path}`, (req, res) => {
      const result = queryFixtures(path, flatQuery(req.query), now);
      if (result?.status === 200) sendRows(res, result.rows);
      else fail(res, 400, result?.message ?? "Bad request");
    });
  }
  app.post("/v2/tmai", express.json(), tmai(now));
  app.use((req, res) => fail(res, 404, `Not found: ${req.method} ${req.path}`));
  app.use(errors);
  return app;
}

/** Serves the look-alike on 127.0.0.1 (a free port unless one is given). */
export async function startTokenMetricsApi(options: TokenMetricsAppOptions & { port?: number }): Promise<TokenMetricsApi> {
  const recorder: ApiRecorder = options.recorder ?? { requests: [], faults: [] };
  const server = createServer(createTokenMetricsApp({ ...options, recorder }));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v2`,
    requests: recorder.requests,
    injectFaults: (faults) => {
      recorder.faults.push(...faults);
    },
    stop: () =>
      new Promise<void>((resolve, reject) => {
        if (!server.listening) return resolve();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections(); // keep-alive and delayed-fault connections would hold close() open
      }),
  };
}
