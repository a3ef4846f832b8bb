/** EncryptedExtensions, Finished, NewSessionTicket, KeyUpdate, EndOfEarlyData (RFC 8446 §4). */
import { Reader } from '../codec/reader.js';
import type { Writer } from '../codec/writer.js';
import { misbehaved } from '../errors.js';
import { frameHandshake } from './handshake.js';
import { readExtensions, writeExtensions, type RawExtension } from './extensions.js';
import { HandshakeType } from './registry.js';

/** Decode EncryptedExtensions (RFC 8446 §4.3.1); the caller checks which extensions are allowed. */
export function decodeEncryptedExtensions(body: Uint8Array): RawExtension[] {
  const r = new Reader(body, 'EncryptedExtensions');
  const exts = readExtensions(r);
  r.expectEnd();
  return exts;
}

/** Encode a framed EncryptedExtensions (RFC 8446 §4.3.1). */
export function encodeEncryptedExtensions(exts: readonly RawExtension[]): Uint8Array {
  return frameHandshake(HandshakeType.EncryptedExtensions, (w) => writeExtensions(w, exts));
}

/** Encode a framed TLS 1.3 Finished (RFC 8446 §4.4.4). */
export function encodeFinished(verifyData: Uint8Array): Uint8Array {
  return frameHandshake(HandshakeType.Finished, (w) => w.bytes(verifyData));
}

/** NewSessionTicket, TLS 1.3 form (RFC 8446 §4.6.1). */
export interface NewSessionTicket13 {
  readonly ticketLifetime: number;
  readonly ticketAgeAdd: number;
  readonly ticketNonce: Uint8Array;
  readonly ticket: Uint8Array;
  readonly extensions: readonly RawExtension[];
}

/**
 * Decode a TLS 1.3 NewSessionTicket (RFC 8446 §4.6.1); an empty ticket is decode_error, a lifetime over 7 days
 * illegal_parameter. Nonce and ticket are views into `body` (a handshake message's own copy of its bytes).
 */
export function decodeNewSessionTicket13(body: Uint8Array): NewSessionTicket13 {
  const r = new Reader(body, 'NewSessionTicket');
  const ticketLifetime = r.u32('ticket_lifetime');
  const ticketAgeAdd = r.u32('ticket_age_add');
  const ticketNonce = r.vec8Bytes('ticket_nonce');
  const ticket = r.vec16Bytes('ticket', { min: 1 });
  const extensions = readExtensions(r);
  r.expectEnd();
  // RFC 8446 §4.6.1: servers MUST NOT use any value greater than 604800 seconds (7 days).
  if (ticketLifetime > 604800) throw misbehaved('TicketAgeInvalid', { detail: 'ticket_lifetime over 7 days' });
  return { ticketLifetime, ticketAgeAdd, ticketNonce, ticket, extensions };
}

/** Encode a framed TLS 1.3 NewSessionTicket (RFC 8446 §4.6.1). */
export function encodeNewSessionTicket13(t: NewSessionTicket13): Uint8Array {
  return frameHandshake(HandshakeType.NewSessionTicket, (w) => writeNewSessionTicket13Body(w, t));
}

/** Write a TLS 1.3 NewSessionTicket's body (no handshake header). */
export function writeNewSessionTicket13Body(w: Writer, t: NewSessionTicket13): void {
  w.u32(t.ticketLifetime).u32(t.ticketAgeAdd);
  w.vec8Bytes(t.ticketNonce);
  w.vec16Bytes(t.ticket);
  writeExtensions(w, t.extensions);
}

/** KeyUpdateRequest (RFC 8446 §4.6.3). */
export const KeyUpdateRequest = { update_not_requested: 0, update_requested: 1 } as const;

/** Decode KeyUpdate (RFC 8446 §4.6.3): true when an update is requested; a value other than 0 or 1 is illegal_parameter. */
export function decodeKeyUpdate(body: Uint8Array): boolean {
  const r = new Reader(body, 'KeyUpdate');
  const v = r.u8('request_update');
  r.expectEnd();
  if (v > 1) throw misbehaved('InvalidKeyUpdate');
  return v === 1;
}

/** Encode a framed KeyUpdate (RFC 8446 §4.6.3). */
export function encodeKeyUpdate(requestUpdate: boolean): Uint8Array {
  return frameHandshake(HandshakeType.KeyUpdate, (w) => w.u8(requestUpdate ? 1 : 0));
}
