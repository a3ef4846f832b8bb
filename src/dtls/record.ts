/**
 * DTLS records (RFC 6347 §4.1): the 13-byte DTLSPlaintext/DTLSCiphertext header (type, version, epoch, 48-bit
 * sequence number, length) and the split of one datagram into records. The one reader of that header; DTLS 1.3's
 * unified header (RFC 9147 §4) has its own reader under v13/.
 */
import { Reader } from '../codec/reader.js';
import { Writer } from '../codec/writer.js';

/** DTLS 1.2 and 1.0 on the wire (RFC 6347 §4.1: the one's complement of the TLS version). */
export const DTLS12 = 0xfefd;
export const DTLS10 = 0xfeff;
/** Bytes in a DTLS 1.2 record header. */
export const DTLS_RECORD_HEADER = 13;
/** Largest sequence number in an epoch (RFC 6347 §4.1: uint48). */
export const MAX_RECORD_SEQ = 2 ** 48 - 1;

/** One record of a datagram, unprotected header fields plus its body (a view into the datagram). */
export interface DtlsRecord {
  readonly type: number;
  readonly version: number;
  readonly epoch: number;
  readonly seq: number;
  /** The 13 header bytes (a view). */
  readonly header: Uint8Array;
  /** The record body (a view). */
  readonly body: Uint8Array;
}

/**
 * The records of a datagram, in order. RFC 6347 §4.1.2.7: a record that does not parse is discarded, and since
 * nothing after it can be framed, so is the rest of the datagram; what parsed before it is kept.
 */
export function splitDatagram(datagram: Uint8Array): DtlsRecord[] {
  const out: DtlsRecord[] = [];
  let at = 0;
  while (datagram.length - at >= DTLS_RECORD_HEADER) {
    const r = new Reader(datagram.subarray(at, at + DTLS_RECORD_HEADER), 'DTLSRecord');
    const type = r.u8('type');
    const version = r.u16('version');
    const epoch = r.u16('epoch');
    const seq = r.u16('sequence_number') * 2 ** 32 + r.u32('sequence_number');
    const length = r.u16('length');
    const end = at + DTLS_RECORD_HEADER + length;
    if (end > datagram.length) break;
    out.push({ type, version, epoch, seq, header: datagram.subarray(at, at + DTLS_RECORD_HEADER), body: datagram.subarray(at + DTLS_RECORD_HEADER, end) });
    at = end;
  }
  return out;
}

/** Encode a record header. */
export function encodeRecordHeader(type: number, version: number, epoch: number, seq: number, length: number): Uint8Array {
  return Writer.encode((w) => {
    w.u8(type).u16(version).u16(epoch);
    w.u16(Math.floor(seq / 2 ** 32)).u32(seq >>> 0);
    w.u16(length);
  });
}

/** The 8-byte epoch ‖ sequence_number (RFC 6347 §4.1.2.1: the TLS seq_num of the MAC and AEAD input). */
export function epochSeq(epoch: number, seq: number): Uint8Array {
  return Writer.encode((w) => w.u16(epoch).u16(Math.floor(seq / 2 ** 32)).u32(seq >>> 0));
}
