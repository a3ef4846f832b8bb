/**
 * node:tls `getTLSTicket()`: the ticket bytes a client received from the server, as the server sealed them, taken
 * out of our stored session (src/handshake/tickets.ts). A TLS 1.2 session stores session_id ‖ RFC 5077 ticket
 * (src/tls12/common.ts encodeSessionRef); a TLS 1.3 one the NewSessionTicket's `ticket` (RFC 8446 §4.6.1).
 */
import { EMPTY } from '../codec/bytes.js';
import { decodeClientSession, encodeClientSession } from '../handshake/tickets.js';
import type { ConnectionInfo } from '../vocabulary/connection-info.js';
import { ProtocolVersion } from '../wire/registry.js';

/**
 * node:tls `getSession()` on a TLS 1.3 connection before the server's first NewSessionTicket: a session that
 * describes the connection (version, suite, ALPN, name, the server's chain) but holds no ticket and no secret, so
 * passing it back as `session` resumes nothing (our client's decoding refuses a session without a ticket, and the
 * handshake is a full one), as OpenSSL's pre-ticket session cannot be resumed either.
 */
export function unresumableSession(info: ConnectionInfo, now: number): Buffer {
  const state = {
    version: ProtocolVersion.TLS13,
    suite: info.cipherSuite,
    secret: EMPTY,
    issuedAt: now,
    lifetimeSeconds: 0,
    ageAdd: 0,
    alpn: info.alpn,
    serverName: info.serverName ?? '',
    peerChain: info.peerCertificates,
    extendedMasterSecret: false,
  };
  return Buffer.from(encodeClientSession({ state, ticket: EMPTY, receivedAt: now }));
}

/**
 * Whether `stored` is the session `offered` kept as it was: a TLS 1.2 resumption without a new ticket, which the
 * engine stores again for its own cache (src/tls12/client.ts storeSession). node:tls reports no new session then.
 */
export function isSameSession12(stored: Uint8Array, offered: Uint8Array): boolean {
  const a = decodeClientSession(stored);
  const b = decodeClientSession(offered);
  if (a === undefined || b === undefined || a.state.version !== ProtocolVersion.TLS12) return false;
  return Buffer.from(a.ticket).equals(b.ticket) && Buffer.from(a.state.secret).equals(b.state.secret);
}

/** The raw ticket inside a stored client session; undefined when there is none (a TLS 1.2 session ID only). */
export function rawTicketOf(session: Uint8Array): Buffer | undefined {
  const s = decodeClientSession(session);
  if (s === undefined) return undefined;
  let ticket = s.ticket;
  if (s.state.version === ProtocolVersion.TLS12) {
    const idLen = ticket[0] ?? 0;
    ticket = ticket.subarray(1 + idLen);
  }
  return ticket.length === 0 ? undefined : Buffer.from(ticket);
}
