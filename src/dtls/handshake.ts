/**
 * DTLS handshake message framing (RFC 6347 §4.2.2, RFC 9147 §5.2, the same 12-byte header in both): msg_type,
 * length, message_seq, fragment_offset, fragment_length. Messages are cut into fragments that fit a path MTU, and
 * fragments that arrive in any order, overlapping or duplicated, are put back together with bounded memory.
 */
import { Reader } from '../codec/reader.js';
import { Writer } from '../codec/writer.js';
import { MAX_HANDSHAKE_MESSAGE } from '../limits.js';

/** Bytes in a DTLS handshake header. */
export const DTLS_HANDSHAKE_HEADER = 12;

/** One handshake fragment as carried in a record. */
export interface HandshakeFragment {
  readonly msgType: number;
  /** The whole message's body length. */
  readonly length: number;
  readonly messageSeq: number;
  readonly fragmentOffset: number;
  /** The fragment's bytes (fragment_length of them). */
  readonly body: Uint8Array;
}

/** A whole handshake message. */
export interface DtlsHandshakeMessage {
  readonly msgType: number;
  readonly messageSeq: number;
  readonly body: Uint8Array;
}

/**
 * The fragments of one handshake record, or undefined when the record does not frame exactly (a fragment running
 * past the record or the message, or trailing bytes): RFC 6347 §4.1.2.7 lets such a record be discarded.
 */
export function decodeFragments(record: Uint8Array): HandshakeFragment[] | undefined {
  const out: HandshakeFragment[] = [];
  const r = new Reader(record, 'DTLSHandshake');
  try {
    while (r.remaining > 0) {
      const msgType = r.u8('msg_type');
      const length = r.u24('length');
      const messageSeq = r.u16('message_seq');
      const fragmentOffset = r.u24('fragment_offset');
      const fragmentLength = r.u24('fragment_length');
      if (fragmentOffset + fragmentLength > length) return undefined;
      const body = r.bytes(fragmentLength, 'fragment');
      out.push({ msgType, length, messageSeq, fragmentOffset, body });
    }
  } catch {
    return undefined;
  }
  return out;
}

/** Header ‖ fragment. */
export function encodeFragment(msgType: number, length: number, messageSeq: number, offset: number, body: Uint8Array): Uint8Array {
  return Writer.encode((w) => {
    w.u8(msgType).u24(length).u16(messageSeq).u24(offset).u24(body.length);
    w.bytes(body);
  });
}

/**
 * The message as the transcript hashes it (RFC 6347 §4.2.6): the DTLS header as if the message were sent in one
 * fragment (fragment_offset 0, fragment_length = length), then the body.
 */
export function encodeMessage(msgType: number, messageSeq: number, body: Uint8Array): Uint8Array {
  return encodeFragment(msgType, body.length, messageSeq, 0, body);
}

/** Cut a message into fragments whose header ‖ body is at most `maxFragment` bytes (at least one body byte each). */
export function fragmentMessage(msgType: number, messageSeq: number, body: Uint8Array, maxFragment: number): Uint8Array[] {
  const room = Math.max(1, maxFragment - DTLS_HANDSHAKE_HEADER);
  if (body.length === 0) return [encodeFragment(msgType, 0, messageSeq, 0, body)];
  const out: Uint8Array[] = [];
  for (let off = 0; off < body.length; off += room) {
    out.push(encodeFragment(msgType, body.length, messageSeq, off, body.subarray(off, Math.min(body.length, off + room))));
  }
  return out;
}

/** How far ahead of the next expected message_seq fragments are kept (later ones are dropped; the peer resends). */
export const REASSEMBLY_AHEAD = 8;
/** Disjoint byte ranges tracked per message; a fragment that would need more is dropped (the peer resends). */
export const MAX_RANGES = 64;
/** Bytes buffered for messages not yet complete, over all of them. */
export const MAX_REASSEMBLY_BYTES = 4 * MAX_HANDSHAKE_MESSAGE;

interface Partial {
  readonly msgType: number;
  readonly body: Uint8Array;
  /** Sorted, disjoint, non-adjacent [start, end) ranges received so far. */
  ranges: [number, number][];
}

/** Reassembles messages in message_seq order from fragments in any order. */
export class Reassembler {
  #next: number;
  readonly #partial = new Map<number, Partial>();
  #buffered = 0;

  constructor(firstSeq = 0) {
    this.#next = firstSeq;
  }

  /** The next message_seq expected. */
  get nextSeq(): number {
    return this.#next;
  }

  /** Expect `seq` next (a server answering a ClientHello after a stateless HelloVerifyRequest). */
  expect(seq: number): void {
    this.#next = seq;
    this.#partial.clear();
    this.#buffered = 0;
  }

  /** Whether nothing is partly received. */
  get isEmpty(): boolean {
    return this.#partial.size === 0;
  }

  /**
   * Add a fragment. Returns 'old' for a message already delivered (a retransmission), 'dropped' for one outside
   * the window, inconsistent with earlier fragments or over a bound, else 'kept'.
   */
  push(f: HandshakeFragment, maxLength = MAX_HANDSHAKE_MESSAGE): 'old' | 'dropped' | 'kept' {
    if (f.messageSeq < this.#next) return 'old';
    if (f.messageSeq >= this.#next + REASSEMBLY_AHEAD || f.length > maxLength) return 'dropped';
    let p = this.#partial.get(f.messageSeq);
    if (p === undefined) {
      if (this.#buffered + f.length > MAX_REASSEMBLY_BYTES) return 'dropped';
      p = { msgType: f.msgType, body: new Uint8Array(f.length), ranges: [] };
      this.#partial.set(f.messageSeq, p);
      this.#buffered += f.length;
    } else if (p.msgType !== f.msgType || p.body.length !== f.length) {
      return 'dropped';
    }
    const start = f.fragmentOffset;
    const end = start + f.body.length;
    if (end === start && f.length > 0) return 'kept';
    const merged = addRange(p.ranges, start, end);
    if (merged === undefined) return 'dropped';
    p.body.set(f.body, start);
    p.ranges = merged;
    return 'kept';
  }

  /** The next whole message in order, if it has arrived. */
  take(): DtlsHandshakeMessage | undefined {
    const p = this.#partial.get(this.#next);
    if (p === undefined) return undefined;
    const first = p.ranges[0];
    const whole = p.body.length === 0 || (p.ranges.length === 1 && first !== undefined && first[0] === 0 && first[1] === p.body.length);
    if (!whole) return undefined;
    this.#partial.delete(this.#next);
    this.#buffered -= p.body.length;
    const m = { msgType: p.msgType, messageSeq: this.#next, body: p.body };
    this.#next++;
    return m;
  }
}

/** Insert [start, end) into sorted disjoint ranges, merging; undefined when that would exceed MAX_RANGES. */
function addRange(ranges: readonly [number, number][], start: number, end: number): [number, number][] | undefined {
  const out: [number, number][] = [];
  let s = start;
  let e = end;
  let placed = false;
  for (const [a, b] of ranges) {
    if (b < s) out.push([a, b]);
    else if (a > e) {
      if (!placed) {
        out.push([s, e]);
        placed = true;
      }
      out.push([a, b]);
    } else {
      s = Math.min(s, a);
      e = Math.max(e, b);
    }
  }
  if (!placed) out.push([s, e]);
  return out.length > MAX_RANGES ? undefined : out;
}
