/**
 * The stateless cookie gate of a DTLS server front end (RFC 6347 §4.2.1): before it creates any state for a new
 * peer address, a server answers a ClientHello without a valid cookie with a HelloVerifyRequest computed from that
 * datagram alone, and drops whatever is not a ClientHello.
 */
import { ContentType, HandshakeType } from '../wire/registry.js';
import { decodeFragments, encodeMessage } from './handshake.js';
import { CookieSecret, decodeDtlsClientHello, encodeHelloVerifyRequest, HELLO_VERIFY_REQUEST } from './hello.js';
import { DTLS10, encodeRecordHeader, splitDatagram } from './record.js';

/** What to do with a datagram from an address that has no connection yet. */
export type GateVerdict =
  /** Send `reply` (a HelloVerifyRequest) and forget the datagram. */
  | { readonly kind: 'verify'; readonly reply: Uint8Array }
  /** A ClientHello with a valid cookie (or one fragmented, which the engine checks itself): create the connection. */
  | { readonly kind: 'accept' }
  /** Not the start of a handshake: drop it. */
  | { readonly kind: 'drop' };

/** Decide on a datagram from a new peer (`peer`: bytes naming its address, as given to the engine). */
export function helloGate(secret: CookieSecret, peer: Uint8Array, datagram: Uint8Array): GateVerdict {
  const first = splitDatagram(datagram)[0];
  if (first === undefined || first.type !== ContentType.Handshake || first.epoch !== 0) return { kind: 'drop' };
  const f = decodeFragments(first.body)?.[0];
  if (f === undefined || f.msgType !== HandshakeType.ClientHello) return { kind: 'drop' };
  if (f.fragmentOffset !== 0 || f.body.length !== f.length) return { kind: 'accept' };
  let cookie: Uint8Array;
  try {
    cookie = decodeDtlsClientHello(f.body).cookie;
  } catch {
    return { kind: 'drop' };
  }
  if (secret.check(peer, f.body, cookie)) return { kind: 'accept' };
  const message = encodeMessage(HELLO_VERIFY_REQUEST, f.messageSeq, encodeHelloVerifyRequest(secret.cookieFor(peer, f.body)));
  const reply = new Uint8Array(13 + message.length);
  reply.set(encodeRecordHeader(ContentType.Handshake, DTLS10, 0, first.seq, message.length));
  reply.set(message, 13);
  return { kind: 'verify', reply };
}
