import { inspect } from "node:util";

/** Every secret value held, so that text leaving the process can be scrubbed of them. */
const known = new Set<string>();
/** Shorter values would scrub ordinary words; no real key is this short. */
const MIN_REDACTED_LENGTH = 8;

/**
 * Text with every secret value replaced by [redacted]: the last line of defence for messages
 * built from third-party errors (viem quotes RPC URLs, fetch quotes header values).
 */
export function redact(text: string): string {
  let result = text;
  for (const value of known) result = result.split(value).join("[redacted]");
  return result;
}

/** Scrubs `value` from text leaving the process from now on, for secrets that arrive inside other text (a database URL's password). */
export function scrub(value: string): void {
  if (value.length >= MIN_REDACTED_LENGTH) known.add(value);
}

/**
 * Holds a secret (private key, API key) so that it cannot leak by accident: printing, string
 * interpolation, JSON.stringify and util.inspect all show "[redacted]". Only `reveal()` gives the value.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
    scrub(value);
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return "[redacted]";
  }

  toJSON(): string {
    return "[redacted]";
  }

  [inspect.custom](): string {
    return "[redacted]";
  }
}
