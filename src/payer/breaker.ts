/**
 * Stops paying after `failures` paid calls in a row that brought back no data (the money settled
 * or may have, then the API failed), for `cooldownMs`: an agent retrying a broken endpoint pays a
 * few times, not fifty. Any paid call that returns data closes it again. Per server process.
 */
export class CircuitBreaker {
  private failuresInARow = 0;
  private openUntil = 0;

  constructor(
    private readonly failures: number,
    private readonly cooldownMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Why no payment may start now, or undefined. */
  refusal(): string | undefined {
    const left = this.openUntil - this.now();
    if (left <= 0) return undefined;
    return `the last ${this.failures} paid calls in a row returned no data, so payments are paused for ${Math.ceil(left / 1000)} s more (TOKEN_METRICS_BREAKER_FAILURES, TOKEN_METRICS_BREAKER_COOLDOWN_S); get_spending shows those payments`;
  }

  paidWithData(): void {
    this.failuresInARow = 0;
  }

  paidWithoutData(): void {
    if (++this.failuresInARow < this.failures) return;
    this.failuresInARow = 0;
    this.openUntil = this.now() + this.cooldownMs;
  }
}
