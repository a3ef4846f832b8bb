/**
 * Joins handshake messages across records and splits several per record (RFC 8446 §5.1). Messages may not be
 * interleaved with other content types: the caller checks `isEmpty` before accepting any other type and at every
 * key change.
 */
import { limitExceeded } from '../errors.js';
import { MAX_HANDSHAKE_MESSAGE } from '../limits.js';
import type { HandshakeMessage } from '../wire/handshake.js';

/** Reassembles handshake messages from record fragments; rejects a message over the size limit (unexpected_message). */
export class HandshakeJoiner {
  #buf: Uint8Array = new Uint8Array(0);

  /** True when no partial message is buffered. */
  get isEmpty(): boolean {
    return this.#buf.length === 0;
  }

  /** Add a record's fragment; returns the complete messages it finishes (fresh copies). */
  push(fragment: Uint8Array, maxMessage = MAX_HANDSHAKE_MESSAGE): HandshakeMessage[] {
    let data: Uint8Array;
    if (this.#buf.length === 0) data = fragment;
    else {
      data = new Uint8Array(this.#buf.length + fragment.length);
      data.set(this.#buf, 0);
      data.set(fragment, this.#buf.length);
    }
    const out: HandshakeMessage[] = [];
    let at = 0;
    while (data.length - at >= 4) {
      const len = ((data[at + 1] as number) << 16) | ((data[at + 2] as number) << 8) | (data[at + 3] as number);
      if (len > maxMessage) throw limitExceeded('HandshakeMessageTooLarge', { detail: `${len} bytes` });
      if (data.length - at < 4 + len) break;
      const raw = data.slice(at, at + 4 + len);
      out.push({ type: raw[0] as number, body: raw.subarray(4), raw });
      at += 4 + len;
    }
    this.#buf = at === data.length ? new Uint8Array(0) : data.slice(at);
    return out;
  }
}
