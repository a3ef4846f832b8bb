/**
 * The anti-replay window of one read epoch (RFC 6347 §4.1.2.6, RFC 4303 §3.4.3): the highest sequence number seen
 * and a fixed-size bitmap of the ones below it. Memory and work per record are constant, whatever the peer sends.
 */

/** Window size in records (RFC 4303 requires at least 32; 64 is its recommended default). */
export const REPLAY_WINDOW = 64;

export class ReplayWindow {
  /** Highest sequence number accepted so far, -1 before the first. */
  #top = -1;
  /** Bit i set: record (top - i) was accepted; bits 0..REPLAY_WINDOW-1 held in two 32-bit words. */
  #lo = 0;
  #hi = 0;

  /** One plus the highest sequence number accepted (0 before the first): what DTLS 1.3 reconstructs against. */
  get expected(): number {
    return this.#top + 1;
  }

  /** Whether a record with `seq` may be new (checked before decrypting; `accept` only after it authenticated). */
  mayBeNew(seq: number): boolean {
    if (seq > this.#top) return true;
    const d = this.#top - seq;
    if (d >= REPLAY_WINDOW) return false;
    return !this.#bit(d);
  }

  /** Mark `seq` as received (after its record authenticated). */
  accept(seq: number): void {
    if (seq > this.#top) {
      const shift = this.#top < 0 ? REPLAY_WINDOW : seq - this.#top;
      this.#shift(shift);
      this.#top = seq;
      this.#lo |= 1;
      return;
    }
    const d = this.#top - seq;
    if (d < REPLAY_WINDOW) this.#set(d);
  }

  #bit(d: number): boolean {
    return d < 32 ? (this.#lo & (1 << d)) !== 0 : (this.#hi & (1 << (d - 32))) !== 0;
  }

  #set(d: number): void {
    if (d < 32) this.#lo |= 1 << d;
    else this.#hi |= 1 << (d - 32);
  }

  #shift(n: number): void {
    if (n >= 64) {
      this.#lo = 0;
      this.#hi = 0;
    } else if (n >= 32) {
      this.#hi = n === 32 ? this.#lo : this.#lo << (n - 32);
      this.#lo = 0;
    } else if (n > 0) {
      this.#hi = (this.#hi << n) | (this.#lo >>> (32 - n));
      this.#lo = this.#lo << n;
    }
  }
}
