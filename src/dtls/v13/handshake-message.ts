/**
 * DTLSHandshake (RFC 9147 §5.2) as DTLS 1.3 uses it: a TLS 1.3 handshake message with message_seq, fragment_offset
 * and fragment_length added on the wire, and taken off again for the transcript (§5.2: unlike DTLS 1.2, the
 * transcript hashes the TLS 1.3 form).
 */
import { Reader } from '../../codec/reader.js';
import { encode } from '../../codec/writer.js';
import { decodeError } from '../../errors.js';

/** Bytes of a DTLSHandshake header. */
export const DTLS_HANDSHAKE_HEADER = 12;

/** One DTLSHandshake fragment as read from a record. */
export interface HandshakeFragment {
  readonly msgType: number;
  /** Length of the whole message body. */
  readonly length: number;
  readonly messageSeq: number;
  readonly offset: number;
  /** The fragment's bytes (a view into the record). */
  readonly fragment: Uint8Array;
}

/** Every DTLSHandshake fragment of a handshake record's content (decode_error on a malformed one). */
export function decodeHandshakeFragments(content: Uint8Array): HandshakeFragment[] {
  const r = new Reader(content, 'DTLSHandshake');
  return r.list((x) => {
    const msgType = x.u8('msg_type');
    const length = x.u24('length');
    const messageSeq = x.u16('message_seq');
    const offset = x.u24('fragment_offset');
    const fragment = x.bytes(x.u24('fragment_length'), 'fragment');
    if (offset + fragment.length > length) throw decodeError('DTLSHandshake.fragment_offset', `fragment ${offset}+${fragment.length} past length ${length}`);
    return { msgType, length, messageSeq, offset, fragment };
  });
}

/** One DTLSHandshake fragment: `body[offset, offset + fragmentLength)` of message `messageSeq`. */
export function encodeHandshakeFragment(msgType: number, messageSeq: number, body: Uint8Array, offset: number, fragmentLength: number): Uint8Array {
  return encode((w) => {
    w.u8(msgType).u24(body.length).u16(messageSeq).u24(offset).u24(fragmentLength);
    w.bytes(body.subarray(offset, offset + fragmentLength));
  });
}

/**
 * A whole message as fragments of at most `maxFragment` body bytes each (an empty body is one empty fragment).
 */
export function fragmentMessage(msgType: number, messageSeq: number, body: Uint8Array, maxFragment: number): Uint8Array[] {
  if (maxFragment < 1) throw new RangeError('maxFragment must be positive');
  const out: Uint8Array[] = [];
  let at = 0;
  do {
    const n = Math.min(maxFragment, body.length - at);
    out.push(encodeHandshakeFragment(msgType, messageSeq, body, at, n));
    at += n;
  } while (at < body.length);
  return out;
}

/** The TLS 1.3 Handshake form of a message (msg_type, uint24 length, body): what the DTLS 1.3 transcript hashes. */
export function transcriptForm(msgType: number, body: Uint8Array): Uint8Array {
  return encode((w) => {
    w.u8(msgType).vec24((w) => w.bytes(body));
  });
}

/**
 * A message from its TLS 1.3 form (as the TLS 1.3 machine writes it) to a DTLSHandshake with `messageSeq`,
 * unfragmented: the inverse of {@link transcriptForm}.
 */
export function fromTlsForm(tls: Uint8Array): { msgType: number; body: Uint8Array } {
  const r = new Reader(tls, 'Handshake');
  const msgType = r.u8('msg_type');
  const body = r.vec24('body').rest();
  r.expectEnd();
  return { msgType, body };
}
