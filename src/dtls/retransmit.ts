/**
 * The retransmission timer of RFC 6347 §4.2.4 (and RFC 9147 §5.8), owned by nobody: the engine only keeps the
 * deadline, the caller asks `nextTimeout()` when to wake it and calls `handleTimeout(now)`. The timeout starts at
 * `initialMs` (RFC 6347: 1 s), doubles on each expiry up to 60 s, and goes back to the initial value once a flight
 * gets its answer.
 */

/** RFC 6347 §4.2.4.1: the timer's upper bound. */
export const MAX_TIMEOUT_MS = 60_000;

export class RetransmitTimer {
  readonly #initial: number;
  readonly #maxRetransmissions: number;
  #current: number;
  #deadline: number | null = null;
  #retransmissions = 0;

  constructor(initialMs: number, maxRetransmissions: number) {
    this.#initial = initialMs;
    this.#current = initialMs;
    this.#maxRetransmissions = maxRetransmissions;
  }

  /** Absolute time (ms) the timer fires, or null when it is not running. */
  get deadline(): number | null {
    return this.#deadline;
  }

  /** The current timeout value (ms). */
  get timeoutMs(): number {
    return this.#current;
  }

  /** Retransmissions of the current flight so far. */
  get retransmissions(): number {
    return this.#retransmissions;
  }

  /** A new flight was sent: run the timer at the initial value. */
  start(now: number): void {
    this.#current = this.#initial;
    this.#retransmissions = 0;
    this.#deadline = now + this.#current;
  }

  /** The flight was answered (or needs no answer). */
  stop(): void {
    this.#deadline = null;
    this.#current = this.#initial;
    this.#retransmissions = 0;
  }

  /** Whether it has fired by `now`. */
  expired(now: number): boolean {
    return this.#deadline !== null && now >= this.#deadline;
  }

  /**
   * The timer fired and the flight is sent again: double the timeout (capped). Returns false when the flight has
   * been retransmitted `maxRetransmissions` times already (the handshake has timed out).
   */
  backOff(now: number): boolean {
    if (this.#retransmissions >= this.#maxRetransmissions) return false;
    this.#retransmissions++;
    this.#current = Math.min(MAX_TIMEOUT_MS, this.#current * 2);
    this.#deadline = now + this.#current;
    return true;
  }
}
