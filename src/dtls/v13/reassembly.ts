/**
 * Handshake message reassembly for DTLS 1.3 (RFC 9147 §5.2, §5.5): fragments of the next expected message and of a
 * few after it are buffered, in any order and overlapping, until whole; messages come out in message_seq order.
 * Bounded: at most `maxAhead` messages past the next expected one are buffered, each at most `maxMessage` bytes,
 * and the work per fragment is linear in its length.
 */
import type { HandshakeFragment } from './handshake-message.js';

/** A whole handshake message. */
export interface ReassembledMessage {
  readonly msgType: number;
  readonly messageSeq: number;
  readonly body: Uint8Array;
}

/** What became of a fragment. */
export type FragmentFate = 'old' | 'buffered' | 'dropped';

interface Partial {
  readonly msgType: number;
  readonly body: Uint8Array;
  readonly have: Uint8Array;
  missing: number;
}

export class HandshakeReassembler {
  #next = 0;
  readonly #partial = new Map<number, Partial>();
  readonly #maxAhead: number;
  readonly #maxMessage: number;

  constructor(maxAhead = 8, maxMessage = 65536) {
    this.#maxAhead = maxAhead;
    this.#maxMessage = maxMessage;
  }

  /** next_receive_seq (§5.2). */
  get nextSeq(): number {
    return this.#next;
  }

  /** Start at `seq` (a stateless server continuing after its HelloRetryRequest). */
  startAt(seq: number): void {
    this.#next = seq;
    this.#partial.clear();
  }

  /** Whether fragments of messages after the next expected one wait (a sign of loss or reordering: §7.1). */
  get hasGap(): boolean {
    for (const [seq, p] of this.#partial) if (seq > this.#next || p.missing > 0) return true;
    return false;
  }

  /**
   * Add a fragment: 'old' for a message already delivered (a retransmission), 'buffered' when kept, 'dropped' when
   * beyond the window, too large, or inconsistent with earlier fragments of the same message.
   */
  add(f: HandshakeFragment): FragmentFate {
    if (f.messageSeq < this.#next) return 'old';
    if (f.messageSeq >= this.#next + this.#maxAhead || f.length > this.#maxMessage) return 'dropped';
    let p = this.#partial.get(f.messageSeq);
    if (p === undefined) {
      p = { msgType: f.msgType, body: new Uint8Array(f.length), have: new Uint8Array(f.length), missing: f.length };
      this.#partial.set(f.messageSeq, p);
    } else if (p.msgType !== f.msgType || p.body.length !== f.length) {
      return 'dropped';
    }
    const { body, have } = p;
    for (let i = 0; i < f.fragment.length; i++) {
      const at = f.offset + i;
      if (have[at] === 0) {
        have[at] = 1;
        body[at] = f.fragment[i] as number;
        p.missing--;
      }
    }
    return 'buffered';
  }

  /** The whole messages from next_receive_seq on, in order (each once). */
  take(): ReassembledMessage[] {
    const out: ReassembledMessage[] = [];
    for (;;) {
      const p = this.#partial.get(this.#next);
      if (p === undefined || p.missing > 0) return out;
      this.#partial.delete(this.#next);
      out.push({ msgType: p.msgType, messageSeq: this.#next, body: p.body });
      this.#next++;
    }
  }
}
