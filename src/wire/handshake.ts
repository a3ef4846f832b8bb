/** Handshake framing: msg_type (u8) + length (u24) + body. */
import { Writer } from '../codec/writer.js';
import { HandshakeType, nameOf } from './registry.js';

/** A complete handshake message as received: `raw` is header + body (what the transcript hashes). */
export interface HandshakeMessage {
  readonly type: number;
  readonly body: Uint8Array;
  readonly raw: Uint8Array;
}

/** Frame a body as a handshake message. */
export function frameHandshake(type: number, body: (w: Writer) => void): Uint8Array {
  return Writer.encode((w) => w.u8(type).vec24(body));
}

/** The name of a handshake type, or a hex fallback: for logs and traces only. */
export function handshakeName(type: number): string {
  return nameOf(HandshakeType, type);
}
