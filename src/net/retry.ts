/** Waits between attempts on 429/5xx: exponential, as Token Metrics' guide recommends. */
export const RETRY_DELAYS_MS: readonly number[] = [1_000, 2_000, 4_000];

/** A Retry-After longer than this is not waited for: the call fails and says how long to wait. */
const MAX_RETRY_AFTER_MS = 30_000;

export const isRetryableStatus = (status: number) => status === 429 || status >= 500;

/** Delay before the next attempt, honouring Retry-After (seconds or HTTP date); undefined = give up. */
export function nextDelayMs(response: Response, attempt: number): number | undefined {
  const fallback = RETRY_DELAYS_MS[attempt];
  if (fallback === undefined) return undefined;
  const header = response.headers.get("retry-after");
  if (header === null) return fallback;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now();
  if (Number.isNaN(ms)) return fallback;
  return ms > MAX_RETRY_AFTER_MS ? undefined : Math.max(0, ms);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Sends until the answer is neither 429 nor 5xx, or the retries run out, or `mayRetry` says no.
 * `send` is called again as is, so a caller that must not pay twice passes a send that re-uses
 * its payment header.
 */
export async function sendWithRetries(
  send: () => Promise<Response>,
  signal?: AbortSignal,
  mayRetry: (response: Response) => boolean = () => true,
): Promise<{ response: Response; attempts: number }> {
  for (let attempt = 0; ; attempt++) {
    const response = await send();
    const delay = isRetryableStatus(response.status) && mayRetry(response) ? nextDelayMs(response, attempt) : undefined;
    if (delay === undefined) return { response, attempts: attempt + 1 };
    await response.body?.cancel();
    await sleep(delay, signal);
  }
}
