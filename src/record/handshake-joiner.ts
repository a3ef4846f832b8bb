/**
 * Joins handshake messages across records and splits several per record (RFC 8446 §5.1). Messages may not be
 * interleaved with other content types: the caller checks `isEmpty` before accepting any other type and at every
 * key change.
 */
import { limitExceeded } from '../errors.js';
import { MAX_HANDSHAKE_MESSAGE } from '../limits.js';
import type { HandshakeMessage } from '../wire/handshake.js';
import { EMPTY } from '../codec/bytes.js';

/** Reassembles handshake messages from record fragments; rejects a message over the size limit (unexpected_message). */
export class HandshakeJoiner {
  #buf: Uint8Array = EMPTY;

  /** True when no partial message is buffered. */
  get isEmpty(): boolean {
    return this.#buf.length === 0;
  }

  /**
   * Add a record's fragment; returns the complete messages it finishes. They are views into one copy of their
   * bytes, never into `fragment` (which the caller may reuse) unless `owned` says the fragment is ours to keep
   * (a decrypted record's fresh plaintext).
   */
  push(fragment: Uint8Array, maxMessage = MAX_HANDSHAKE_MESSAGE, owned = false): HandshakeMessage[] {
    const held = this.#buf;
    let data = fragment;
    if (held.length > 0) {
      data = new Uint8Array(held.length + fragment.length);
      data.set(held, 0);
      data.set(fragment, held.length);
    }
    // Where the complete messages end.
    let end = 0;
    while (data.length - end >= 4) {
      const len = ((data[end + 1] as number) << 16) | ((data[end + 2] as number) << 8) | (data[end + 3] as number);
      if (len > maxMessage) throw limitExceeded('HandshakeMessageTooLarge', { detail: `${len} bytes` });
      if (data.length - end < 4 + len) break;
      end += 4 + len;
    }
    this.#buf = end === data.length ? EMPTY : data.slice(end);
    const out: HandshakeMessage[] = [];
    if (end === 0) return out;
    const own = data === fragment && !owned ? fragment.slice(0, end) : data;
    for (let at = 0; at < end; ) {
      const len = ((own[at + 1] as number) << 16) | ((own[at + 2] as number) << 8) | (own[at + 3] as number);
      const raw = own.subarray(at, at + 4 + len);
      out.push({ type: own[at] as number, body: raw.subarray(4), raw });
      at += 4 + len;
    }
    return out;
  }
}
