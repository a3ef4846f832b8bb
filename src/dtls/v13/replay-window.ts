/**
 * The DTLS anti-replay window (RFC 9147 §4.5.1, RFC 4303 §3.4.3): per epoch, the highest sequence number deprotected
 * and a bitmap of the `size` before it. Checked before deprotection, updated only after the record authenticates.
 * Memory is fixed: one bit per window slot.
 */

/** Window size: records more than this far behind the highest are dropped as too old. */
export const REPLAY_WINDOW = 64;

export class ReplayWindow {
  /** Highest sequence number accepted, -1 before the first. */
  #highest = -1;
  readonly #bits: Uint8Array;
  readonly #size: number;

  constructor(size = REPLAY_WINDOW) {
    this.#size = size;
    this.#bits = new Uint8Array(Math.ceil(size / 8));
  }

  /** One plus the highest accepted sequence number: what §4.2.2 reconstructs against. */
  get expected(): number {
    return this.#highest + 1;
  }

  #slot(seq: number): [number, number] {
    const i = seq % this.#size;
    return [i >>> 3, 1 << (i & 7)];
  }

  /** False when `seq` was already accepted or is behind the window. */
  isFresh(seq: number): boolean {
    if (seq > this.#highest) return true;
    if (this.#highest - seq >= this.#size) return false;
    const [byte, bit] = this.#slot(seq);
    return ((this.#bits[byte] as number) & bit) === 0;
  }

  /** Record `seq` as accepted (after it authenticated). */
  accept(seq: number): void {
    if (seq > this.#highest) {
      // Clear the slots the window slides over (at most the whole window).
      const from = Math.max(this.#highest + 1, seq - this.#size + 1);
      for (let s = from; s <= seq; s++) {
        const [byte, bit] = this.#slot(s);
        this.#bits[byte] = (this.#bits[byte] as number) & ~bit;
      }
      this.#highest = seq;
    }
    const [byte, bit] = this.#slot(seq);
    this.#bits[byte] = (this.#bits[byte] as number) | bit;
  }
}
