/**
 * Joins handshake messages across records and splits several per record (RFC 8446 §5.1). Messages may not be
 * interleaved with other content types: the caller checks `isEmpty` before accepting any other type and at every
 * key change.
 *
 * Linear in the bytes received: the pieces of an incomplete message are kept as a list and joined once, when the
 * message is complete, so a message sent in 1-byte records costs one copy, not one per record.
 */
import { limitExceeded } from '../errors.js';
import { MAX_CLIENT_HELLO, MAX_HANDSHAKE_MESSAGE } from '../limits.js';
import type { HandshakeMessage } from '../wire/handshake.js';
import { HandshakeType } from '../wire/registry.js';

/** Largest message of `type` we accept: a ClientHello may be larger than any other message (OpenSSL's bound). */
export function maxMessageSize(type: number, max: number): number {
  return type === HandshakeType.ClientHello ? Math.max(max, MAX_CLIENT_HELLO) : max;
}

/** Reassembles handshake messages from record fragments; rejects a message over the size limit (unexpected_message). */
export class HandshakeJoiner {
  /** Pieces of the incomplete message (each ours: a copy or an owned fragment) and their total length. */
  #parts: Uint8Array[] = [];
  #held = 0;

  /** True when no partial message is buffered. */
  get isEmpty(): boolean {
    return this.#held === 0;
  }

  /**
   * Add a record's fragment; returns the complete messages it finishes. They are views into one copy of their
   * bytes, never into `fragment` (which the caller may reuse) unless `owned` says the fragment is ours to keep
   * (a decrypted record's fresh plaintext).
   */
  push(fragment: Uint8Array, maxMessage = MAX_HANDSHAKE_MESSAGE, owned = false): HandshakeMessage[] {
    if (this.#held === 0) return this.#split(fragment, maxMessage, owned);
    this.#parts.push(owned ? fragment : fragment.slice());
    this.#held += fragment.length;
    if (this.#held < 4) return [];
    const len = (this.#byteAt(1) << 16) | (this.#byteAt(2) << 8) | this.#byteAt(3);
    if (len > maxMessageSize(this.#byteAt(0), maxMessage)) throw limitExceeded('HandshakeMessageTooLarge', { detail: `${len} bytes` });
    if (this.#held < 4 + len) return [];
    const data = new Uint8Array(this.#held);
    let at = 0;
    for (const p of this.#parts) {
      data.set(p, at);
      at += p.length;
    }
    this.#parts = [];
    this.#held = 0;
    return this.#split(data, maxMessage, true);
  }

  /** Byte `i` (< 4) of the held pieces: at most four pieces are looked at. */
  #byteAt(i: number): number {
    for (const p of this.#parts) {
      if (i < p.length) return p[i] as number;
      i -= p.length;
    }
    return 0;
  }

  /** Split `data` (nothing held before it) into complete messages; keep the incomplete tail. */
  #split(data: Uint8Array, maxMessage: number, owned: boolean): HandshakeMessage[] {
    let end = 0;
    while (data.length - end >= 4) {
      const len = ((data[end + 1] as number) << 16) | ((data[end + 2] as number) << 8) | (data[end + 3] as number);
      if (len > maxMessageSize(data[end] as number, maxMessage)) throw limitExceeded('HandshakeMessageTooLarge', { detail: `${len} bytes` });
      if (data.length - end < 4 + len) break;
      end += 4 + len;
    }
    if (end < data.length) {
      const tail = owned ? data.subarray(end) : data.slice(end);
      this.#parts = [tail];
      this.#held = tail.length;
    }
    const out: HandshakeMessage[] = [];
    if (end === 0) return out;
    const own = owned ? data : data.slice(0, end);
    for (let at = 0; at < end; ) {
      const len = ((own[at + 1] as number) << 16) | ((own[at + 2] as number) << 8) | (own[at + 3] as number);
      const raw = own.subarray(at, at + 4 + len);
      out.push({ type: own[at] as number, body: raw.subarray(4), raw });
      at += 4 + len;
    }
    return out;
  }
}
