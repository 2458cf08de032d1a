/**
 * What went wrong, by who can act on it: the user's settings ("configuration"), Token Metrics
 * ("upstream"), the network or its time limit, a payment the payer refused or could not complete,
 * a chain read, or this server ("internal").
 */
export type FailureKind = "configuration" | "upstream" | "network" | "timeout" | "payment" | "chain" | "internal";

/**
 * A failure the model should read: the message says what happened and what to do. Every layer
 * raises it (the API client, the payer, the spending reports); the tools' one error policy turns
 * it into the tool's error result, and anything else into "failed unexpectedly".
 */
export class ToolFailure extends Error {
  override name = "ToolFailure";

  /** The payer (payer/) raises its failures without naming a kind: each of them is about a payment. */
  constructor(
    message: string,
    readonly kind: FailureKind = "payment",
  ) {
    super(message);
  }
}

/** The text of anything thrown, for logs: library errors are Errors, but a throw can carry any value. */
export const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));
