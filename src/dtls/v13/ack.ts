/**
 * The ACK message (RFC 9147 §7): its codec, what a receiver acknowledges (§7.1) and what a sender still has to
 * retransmit once ACKs arrive (§7.2).
 */
import { Reader } from '../../codec/reader.js';
import { encode } from '../../codec/writer.js';
import { decodeError } from '../../errors.js';

/** An epoch and sequence number (RFC 9147 §4, 2 × uint64). */
export interface RecordNumber {
  readonly epoch: number;
  readonly seq: number;
}

const TWO32 = 0x100000000;
/** Bytes of one RecordNumber on the wire. */
const RECORD_NUMBER_BYTES = 16;

function compare(a: RecordNumber, b: RecordNumber): number {
  return a.epoch - b.epoch || a.seq - b.seq;
}

function key(r: RecordNumber): string {
  return `${r.epoch}/${r.seq}`;
}

/**
 * Encode an ACK: the record numbers in numerically increasing order (sorted here), at most as many as `max` (the
 * most recent first when more are given: §7.1 favours records not yet acknowledged).
 */
export function encodeAck(records: readonly RecordNumber[], max = 0xffff / RECORD_NUMBER_BYTES): Uint8Array {
  const sorted = [...records].sort(compare);
  const kept = sorted.length > max ? sorted.slice(sorted.length - max) : sorted;
  return encode((w) =>
    w.vec16((w) => {
      for (const r of kept) {
        w.u32(Math.floor(r.epoch / TWO32)).u32(r.epoch >>> 0);
        w.u32(Math.floor(r.seq / TWO32)).u32(r.seq >>> 0);
      }
    }),
  );
}

/**
 * Decode an ACK. A length that is not a multiple of 16 or bytes after the list are decode_error. Values past 2^53
 * lose precision here but match no record we sent (our epochs and sequence numbers stay below 2^48).
 */
export function decodeAck(body: Uint8Array): RecordNumber[] {
  const r = new Reader(body, 'ACK');
  const list = r.vec16('record_numbers');
  if (list.remaining % RECORD_NUMBER_BYTES !== 0) throw decodeError('ACK.record_numbers', `length ${list.remaining} is not a multiple of 16`);
  const out = list.list((x) => ({
    epoch: x.u32('epoch') * TWO32 + x.u32('epoch'),
    seq: x.u32('sequence_number') * TWO32 + x.u32('sequence_number'),
  }));
  r.expectEnd();
  return out;
}

/**
 * The receiver's side (§7.1): the records of the current incoming flight that carried handshake data we processed or
 * buffered. Cleared when the next flight starts (during the handshake ACKs cover only the current flight). Bounded:
 * beyond `max` records the oldest are forgotten (the peer then retransmits them, which is safe).
 */
export class AckList {
  readonly #records = new Map<string, RecordNumber>();
  readonly #max: number;

  constructor(max = 256) {
    this.#max = max;
  }

  /** A record whose handshake content was processed or buffered (never one discarded as not the next expected). */
  add(r: RecordNumber): void {
    const k = key(r);
    if (this.#records.has(k)) return;
    this.#records.set(k, r);
    if (this.#records.size > this.#max) {
      const oldest = this.#records.keys().next().value;
      if (oldest !== undefined) this.#records.delete(oldest);
    }
  }

  /** The record numbers to acknowledge, increasing. */
  get records(): RecordNumber[] {
    return [...this.#records.values()].sort(compare);
  }

  get size(): number {
    return this.#records.size;
  }

  /** Start a new flight. */
  clear(): void {
    this.#records.clear();
  }
}

/** Bytes covered by merged, disjoint ranges. */
function covered(ranges: ReadonlyArray<readonly [number, number]>): number {
  let n = 0;
  for (const [s, e] of ranges) n += e - s;
  return n;
}

/** A fragment of a handshake message, as the sender put it in a record. */
export interface SentFragment {
  readonly messageSeq: number;
  readonly offset: number;
  readonly length: number;
}

/**
 * The sender's side (§7.2): which fragments of the outstanding flight went into which record, so an ACK removes
 * them from the retransmission and a partial ACK leaves exactly what is missing. A record is acknowledged once it
 * appears in any ACK.
 */
export class SentFlight {
  readonly #byRecord = new Map<string, readonly SentFragment[]>();
  /** Per message: its length and the acknowledged byte ranges [start, end), merged. */
  readonly #messages = new Map<number, { length: number; acked: Array<[number, number]> }>();

  /** A message of the flight, before any of it is sent. */
  addMessage(messageSeq: number, length: number): void {
    if (!this.#messages.has(messageSeq)) this.#messages.set(messageSeq, { length, acked: [] });
  }

  /** A record was sent carrying these fragments (a retransmission is a new record with the same fragments). */
  recordSent(r: RecordNumber, fragments: readonly SentFragment[]): void {
    this.#byRecord.set(key(r), fragments);
  }

  /** Apply an ACK; returns true when it acknowledged something new. Unknown record numbers are ignored. */
  ack(records: readonly RecordNumber[]): boolean {
    let changed = false;
    for (const r of records) {
      const fragments = this.#byRecord.get(key(r));
      if (fragments === undefined) continue;
      this.#byRecord.delete(key(r));
      for (const f of fragments) changed = this.#markAcked(f) || changed;
    }
    return changed;
  }

  #markAcked(f: SentFragment): boolean {
    const m = this.#messages.get(f.messageSeq);
    if (m === undefined) return false;
    const before = covered(m.acked);
    const ranges = [...m.acked, [f.offset, f.offset + f.length] as [number, number]].sort((a, b) => a[0] - b[0]);
    const merged: Array<[number, number]> = [];
    for (const [s, e] of ranges) {
      const last = merged.at(-1);
      if (last !== undefined && s <= last[1]) last[1] = Math.max(last[1], e);
      else merged.push([s, e]);
    }
    m.acked = merged;
    return covered(merged) !== before;
  }

  /** The parts of each message not yet acknowledged, to retransmit (empty when the flight is fully acknowledged). */
  unacknowledged(): SentFragment[] {
    const out: SentFragment[] = [];
    for (const [messageSeq, m] of [...this.#messages.entries()].sort((a, b) => a[0] - b[0])) {
      let at = 0;
      for (const [s, e] of m.acked) {
        if (s > at) out.push({ messageSeq, offset: at, length: s - at });
        at = Math.max(at, e);
      }
      if (at < m.length || (m.length === 0 && m.acked.length === 0)) out.push({ messageSeq, offset: at, length: m.length - at });
    }
    return out;
  }

  /** True once every message of the flight is acknowledged (retransmission is then cancelled: §7.2). */
  get complete(): boolean {
    return this.unacknowledged().length === 0;
  }
}
