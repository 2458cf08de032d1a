import { inspect } from "node:util";

/**
 * Holds a secret (private key, API key) so that it cannot leak by accident: printing, string
 * interpolation, JSON.stringify and util.inspect all show "[redacted]". Only `reveal()` gives the value.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
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
