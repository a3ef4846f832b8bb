/**
 * DTLS 1.3 record headers (RFC 9147 §4) and the first-byte demultiplexing of §4.1: a datagram split into its
 * DTLSPlaintext records (the 13-byte header, epoch 0 in practice) and DTLSCiphertext records (the unified header).
 *
 * A record that cannot be parsed is not an error in DTLS (§4.5.2: invalid records are silently discarded): the split
 * keeps the records before it and reports why the rest of the datagram was dropped.
 */
import { Reader } from '../../codec/reader.js';
import { encode } from '../../codec/writer.js';
import { TlsError } from '../../errors.js';

/** DTLS 1.3's ProtocolVersion in supported_versions (RFC 9147 §5.3: {254, 252}). */
export const DTLS13_VERSION = 0xfefc;
/** legacy_record_version / legacy_version of DTLS 1.3 records and hellos ({254, 253}, DTLS 1.2's). */
export const DTLS13_LEGACY_VERSION = 0xfefd;
/** The ACK content type (RFC 9147 §7, IANA 26). */
export const ACK_CONTENT_TYPE = 26;

/** Content types a DTLSPlaintext record may carry in DTLS 1.3 (§4.1: alert, handshake, ack). */
const PLAINTEXT_TYPES: ReadonlySet<number> = new Set([21, 22, ACK_CONTENT_TYPE]);

/** DTLSPlaintext.length may not exceed 2^14 (RFC 8446 §5.1). */
export const MAX_PLAINTEXT_FRAGMENT = 1 << 14;
/** A protected record's length may not exceed 2^14 + 256 (RFC 8446 §5.2). */
export const MAX_CIPHERTEXT_LENGTH = (1 << 14) + 256;

const TWO32 = 0x100000000;

/** A DTLSPlaintext record. */
export interface PlaintextRecord {
  readonly kind: 'plaintext';
  readonly type: number;
  /** The low 16 bits of the sender's epoch. */
  readonly epoch: number;
  /** The 48-bit sequence number. */
  readonly seq: number;
  /** A view into the datagram. */
  readonly fragment: Uint8Array;
}

/** A DTLSCiphertext record as received: the sequence number bits are still encrypted. */
export interface CiphertextRecord {
  readonly kind: 'ciphertext';
  /** The unified header as on the wire (a view into the datagram; copy it before removing the record number mask). */
  readonly header: Uint8Array;
  /** The low two bits of the epoch. */
  readonly epochBits: number;
  /** The connection ID (empty when none). */
  readonly cid: Uint8Array;
  /** Bytes of sequence number on the wire: 1 (S = 0) or 2 (S = 1). */
  readonly seqLength: 1 | 2;
  /** Offset of the sequence number bytes in `header`. */
  readonly seqOffset: number;
  /** encrypted_record: AEAD ciphertext and tag (a view into the datagram). */
  readonly encrypted: Uint8Array;
}

/** One record of a datagram. */
export type DatagramRecord = PlaintextRecord | CiphertextRecord;

/** The records of a datagram and, when some bytes could not be parsed, why they were dropped. */
export interface SplitDatagram {
  readonly records: readonly DatagramRecord[];
  readonly dropped: string | null;
}

/** The fields of a unified header to write; the sequence number is written in the clear (it is the AEAD's AD so). */
export interface UnifiedHeaderFields {
  readonly epoch: number;
  readonly seq: number;
  /** 1 or 2 bytes of sequence number (2 by default: room for 2^15 records in flight). */
  readonly seqLength?: 1 | 2;
  /** The encrypted_record length, or null to omit it (the record then takes the rest of the datagram). */
  readonly length: number | null;
  /** The connection ID; absent or empty for none. */
  readonly cid?: Uint8Array;
}

/** Write a unified header (Figure 3), before record number encryption. */
export function encodeUnifiedHeader(h: UnifiedHeaderFields): Uint8Array {
  const seqLength = h.seqLength ?? 2;
  const cid = h.cid ?? new Uint8Array(0);
  const first = 0x20 | (cid.length > 0 ? 0x10 : 0) | (seqLength === 2 ? 0x08 : 0) | (h.length !== null ? 0x04 : 0) | (h.epoch & 0x03);
  return encode((w) => {
    w.u8(first);
    w.bytes(cid);
    if (seqLength === 2) w.u16(h.seq & 0xffff);
    else w.u8(h.seq & 0xff);
    if (h.length !== null) w.u16(h.length);
  });
}

/** Write a DTLSPlaintext header (13 bytes) for `length` bytes of fragment. */
export function encodePlaintextHeader(type: number, epoch: number, seq: number, length: number, version = DTLS13_LEGACY_VERSION): Uint8Array {
  return encode((w) => {
    w.u8(type);
    w.u16(version);
    w.u16(epoch & 0xffff);
    w.u16(Math.floor(seq / TWO32) & 0xffff);
    w.u32(seq >>> 0);
    w.u16(length);
  });
}

/**
 * Split a datagram into records (§4.1). `cidLength` is the length of the connection ID we asked the peer to use (0:
 * none, and a record with the C bit set is dropped with the rest of the datagram, as its header cannot be parsed).
 */
export function splitDatagram(datagram: Uint8Array, cidLength = 0): SplitDatagram {
  const records: DatagramRecord[] = [];
  const r = new Reader(datagram, 'DTLSRecord');
  try {
    while (r.remaining > 0) {
      const start = r.offset;
      const first = r.u8('type');
      if (PLAINTEXT_TYPES.has(first)) {
        r.u16('legacy_record_version');
        const epoch = r.u16('epoch');
        const seq = r.u16('sequence_number') * TWO32 + r.u32('sequence_number');
        const fragment = r.vec16('fragment', { max: MAX_PLAINTEXT_FRAGMENT }).rest();
        records.push({ kind: 'plaintext', type: first, epoch, seq, fragment });
        continue;
      }
      if ((first & 0xe0) !== 0x20) return { records, dropped: `first byte ${first} is neither a DTLS 1.3 plaintext type nor a unified header` };
      if ((first & 0x10) !== 0 && cidLength === 0) return { records, dropped: 'connection ID present but none negotiated' };
      const cid = (first & 0x10) !== 0 ? r.bytes(cidLength, 'connection_id') : new Uint8Array(0);
      const seqLength = (first & 0x08) !== 0 ? 2 : 1;
      const seqOffset = r.offset - start;
      r.skip(seqLength, 'sequence_number');
      let encrypted: Uint8Array;
      let header: Uint8Array;
      if ((first & 0x04) !== 0) {
        const body = r.vec16('encrypted_record', { max: MAX_CIPHERTEXT_LENGTH });
        header = datagram.subarray(start, body.offset);
        encrypted = body.rest();
      } else {
        header = datagram.subarray(start, r.offset);
        encrypted = r.rest();
        if (encrypted.length > MAX_CIPHERTEXT_LENGTH) return { records, dropped: 'record longer than 2^14 + 256' };
      }
      records.push({ kind: 'ciphertext', header, epochBits: first & 0x03, cid, seqLength, seqOffset, encrypted });
    }
  } catch (e) {
    if (e instanceof TlsError) return { records, dropped: e.message };
    throw e;
  }
  return { records, dropped: null };
}
