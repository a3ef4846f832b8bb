/**
 * The DTLS 1.3 transcript rule (RFC 9147 §5.2): handshake messages are hashed in their TLS 1.3 form (msg_type,
 * uint24 length, body), without the message_seq, fragment_offset and fragment_length that DTLS 1.2 hashes. The
 * DTLSHandshake framing itself (header, fragments, reassembly) is shared with DTLS 1.2: src/dtls/handshake.ts.
 */
import { Reader } from '../../codec/reader.js';
import { encode } from '../../codec/writer.js';

/** The TLS 1.3 Handshake form of a message: what the DTLS 1.3 transcript hashes and the TLS 1.3 machine reads. */
export function transcriptForm(msgType: number, body: Uint8Array): Uint8Array {
  return encode((w) => {
    w.u8(msgType).vec24((w) => w.bytes(body));
  });
}

/** A message from its TLS 1.3 form (as the TLS 1.3 machine emits it) to its type and body: the inverse of {@link transcriptForm}. */
export function fromTlsForm(tls: Uint8Array): { msgType: number; body: Uint8Array } {
  const r = new Reader(tls, 'Handshake');
  const msgType = r.u8('msg_type');
  const body = r.vec24('body').rest();
  r.expectEnd();
  return { msgType, body };
}
