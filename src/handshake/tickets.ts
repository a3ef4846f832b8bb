/**
 * Session tickets (RFC 8446 §4.6.1). The server's ticket is its session state sealed with AES-256-GCM under the
 * current ticket key: key_id (16) ‖ nonce (12) ‖ ciphertext ‖ tag, with key_id as the AAD. The client's stored
 * session is the same state plus the ticket, kept in the clear on the client side.
 */
import { EMPTY, fromUtf8 } from '../codec/bytes.js';
import { Reader } from '../codec/reader.js';
import { Writer, encode } from '../codec/writer.js';
import type { Aead, CryptoProvider } from '../crypto/provider.js';
import type { TicketKeyStore } from '../vocabulary/config.js';
import type { SessionState } from '../vocabulary/session.js';

export type { SessionState } from '../vocabulary/session.js';

function writeState(w: Writer, s: SessionState): void {
  w.u8(1).u16(s.version).u16(s.suite);
  w.vec8Bytes(s.secret);
  w.u32(Math.floor(s.issuedAt / 0x100000000)).u32(s.issuedAt >>> 0);
  w.u32(s.lifetimeSeconds).u32(s.ageAdd);
  w.vec8Bytes(s.alpn ?? EMPTY);
  w.u8(s.alpn === null ? 0 : 1);
  w.vec16Utf8(s.serverName);
  w.vec24((w) => { for (const c of s.peerChain) w.vec24Bytes(c); });
  w.u8(s.extendedMasterSecret ? 1 : 0);
}

function readState(r: Reader): SessionState {
  if (r.u8('format') !== 1) throw new RangeError('unknown session format');
  const version = r.u16('version');
  const suite = r.u16('suite');
  const secret = r.vec8Bytes('secret').slice();
  const hi = r.u32('issued_hi');
  const lo = r.u32('issued_lo');
  const lifetimeSeconds = r.u32('lifetime');
  const ageAdd = r.u32('age_add');
  const alpnBytes = r.vec8Bytes('alpn');
  const hasAlpn = r.u8('has_alpn') === 1;
  const serverName = fromUtf8(r.vec16Bytes('server_name'));
  const peerChain = r.vec24('peer_chain').list((e) => e.vec24Bytes('cert').slice(), 10);
  const extendedMasterSecret = r.u8('ems') === 1;
  return {
    version,
    suite,
    secret,
    issuedAt: hi * 0x100000000 + lo,
    lifetimeSeconds,
    ageAdd,
    alpn: hasAlpn ? alpnBytes.slice() : null,
    serverName,
    peerChain,
    extendedMasterSecret,
  };
}

const ticketAeads = new WeakMap<Uint8Array, Aead>();
/** One AEAD (one KeyObject) per ticket key, not one per ticket. */
function ticketAead(p: CryptoProvider, key: Uint8Array): Aead {
  let a = ticketAeads.get(key);
  if (a === undefined) {
    a = p.aead('aes-256-gcm', key);
    ticketAeads.set(key, a);
  }
  return a;
}

/** Server: seal session state into a ticket. */
export function sealTicket(p: CryptoProvider, keys: TicketKeyStore, s: SessionState): Uint8Array {
  const { id, key } = keys.current();
  const nonce = p.randomBytes(12);
  const aead = ticketAead(p, key);
  // The state (it holds the resumption secret) is sealed straight from a pooled scratch buffer, which is then wiped.
  const w = Writer.borrow();
  try {
    writeState(w, s);
    const plain = w.view();
    const out = new Uint8Array(16 + 12 + plain.length + aead.tagLen);
    out.set(id, 0);
    out.set(nonce, 16);
    aead.sealInto(nonce, id, plain, out, 28);
    return out;
  } finally {
    w.release();
  }
}

/** Server: open a ticket; undefined when it is not ours, from a forgotten key, or damaged (then: full handshake). */
export function openTicket(p: CryptoProvider, keys: TicketKeyStore, ticket: Uint8Array): SessionState | undefined {
  if (ticket.length < 16 + 12 + 16) return undefined;
  const key = keys.find(ticket.subarray(0, 16));
  if (key === undefined) return undefined;
  const plain = ticketAead(p, key).open(ticket.subarray(16, 28), ticket.subarray(0, 16), ticket.subarray(28));
  if (plain === null) return undefined;
  try {
    const r = new Reader(plain, 'ticket');
    const s = readState(r);
    r.expectEnd();
    return s;
  } catch {
    return undefined;
  }
}

/** Client: a stored session (state + the ticket to present). */
export interface ClientSession {
  readonly state: SessionState;
  readonly ticket: Uint8Array;
  readonly receivedAt: number;
}

/** Serialise a client session (state, ticket, receive time): the `data` of a NewTicket event's SessionTicket. */
export function encodeClientSession(s: ClientSession): Uint8Array {
  return encode((w) => {
    writeState(w, s.state);
    w.vec16Bytes(s.ticket);
    w.u32(Math.floor(s.receivedAt / 0x100000000)).u32(s.receivedAt >>> 0);
  });
}

/** Parse a stored client session; returns undefined (never throws) for malformed or truncated data. */
export function decodeClientSession(data: Uint8Array): ClientSession | undefined {
  try {
    const r = new Reader(data, 'session');
    const state = readState(r);
    const ticket = r.vec16Bytes('ticket', { min: 1 }).slice();
    const hi = r.u32('received_hi');
    const lo = r.u32('received_lo');
    r.expectEnd();
    return { state, ticket, receivedAt: hi * 0x100000000 + lo };
  } catch {
    return undefined;
  }
}
