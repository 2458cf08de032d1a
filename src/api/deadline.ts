/**
 * A call's time limit for the network, which stops counting while a person is asked to approve a
 * payment: the time they take to answer is not the API's time.
 */
export class Deadline {
  private readonly controller = new AbortController();
  readonly signal = this.controller.signal;
  private timer?: NodeJS.Timeout;
  private startedAt = 0;

  constructor(private remainingMs: number) {
    this.start();
  }

  /** Stops the clock; the returned function starts it again with the time that was left. */
  pause(): () => void {
    if (!this.timer) return () => undefined;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.remainingMs -= Date.now() - this.startedAt;
    return () => {
      if (!this.timer && !this.signal.aborted) this.start();
    };
  }

  /** Ends the clock when the call is over, so no timer outlives it. */
  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private start(): void {
    this.startedAt = Date.now();
    this.timer = setTimeout(() => this.controller.abort(new DOMException("The call ran out of time", "TimeoutError")), Math.max(0, this.remainingMs));
    this.timer.unref();
  }
}
