/**
 * KeyUpdate in DTLS 1.3 (RFC 9147 §8): a KeyUpdate must be acknowledged, and its sender keeps sending under the old
 * epoch, and sends no other KeyUpdate, until the ACK arrives; the receiver moves its receive epoch up at once and
 * keeps the old keys until a record under the new ones deprotects. A sender never lets its epoch pass 2^48 - 1, and
 * ignores update_requested rather than exceed it.
 */

/** Highest epoch a sender may use (§8). */
export const MAX_SEND_EPOCH = 2 ** 48 - 1;

/** Our side of KeyUpdates for one connection. */
export class KeyUpdateState {
  /** message_seq of our KeyUpdate awaiting its ACK, or null. */
  #pending: number | null = null;
  #sendEpoch: number;

  constructor(sendEpoch: number) {
    this.#sendEpoch = sendEpoch;
  }

  /** Whether a KeyUpdate may be sent now (none outstanding, epoch limit not reached). */
  get canSend(): boolean {
    return this.#pending === null && this.#sendEpoch < MAX_SEND_EPOCH;
  }

  /** The outstanding KeyUpdate's message_seq, or null. */
  get pending(): number | null {
    return this.#pending;
  }

  /** We sent a KeyUpdate as message `messageSeq` (under the current epoch). */
  sent(messageSeq: number): void {
    if (!this.canSend) throw new RangeError('a KeyUpdate is already outstanding or the epoch limit is reached');
    this.#pending = messageSeq;
  }

  /**
   * The outstanding KeyUpdate was acknowledged: returns the epoch to send under from now on (its keys from the next
   * application traffic secret), or null when nothing was outstanding.
   */
  acknowledged(): number | null {
    if (this.#pending === null) return null;
    this.#pending = null;
    this.#sendEpoch += 1;
    return this.#sendEpoch;
  }

  /**
   * The peer sent a KeyUpdate: whether to answer with our own (update_requested, none outstanding, under the limit).
   * A request while ours is outstanding is satisfied by ours (the two may have crossed: §7.1's note).
   */
  shouldAnswer(updateRequested: boolean): boolean {
    return updateRequested && this.canSend;
  }
}
