/** ClientHello (RFC 8446 §4.1.2; RFC 5246 §7.4.1.2). Keeps its raw bytes for the transcript and PSK binders. */
import { Reader } from '../codec/reader.js';
import type { Writer } from '../codec/writer.js';
import { misbehaved } from '../errors.js';
import { frameHandshake } from './handshake.js';
import { decodeAlpn, decodeServerName, decodeU16List, findExtension, readExtensions, writeExtensions, type RawExtension } from './extensions.js';
import { ExtensionType, HandshakeType } from './registry.js';

/** ClientHello fields (RFC 8446 §4.1.2); extensions stay raw. */
export interface ClientHello {
  readonly legacyVersion: number;
  readonly random: Uint8Array;
  readonly legacySessionId: Uint8Array;
  /** DTLS only (RFC 6347 §4.2.1, RFC 9147 §5.3): the cookie field after legacy_session_id; absent in TLS. */
  readonly legacyCookie?: Uint8Array;
  readonly cipherSuites: readonly number[];
  readonly legacyCompressionMethods: Uint8Array;
  readonly extensions: readonly RawExtension[];
}

/** Decode a ClientHello body; `datagram`: the DTLS form, with its cookie field. */
export function decodeClientHello(body: Uint8Array, datagram = false): ClientHello {
  const r = new Reader(body, 'ClientHello');
  const legacyVersion = r.u16('legacy_version');
  const random = r.bytes(32, 'random');
  const legacySessionId = r.vec8Bytes('legacy_session_id', { max: 32 });
  const legacyCookie = datagram ? r.vec8Bytes('legacy_cookie') : undefined;
  const cs = r.vec16('cipher_suites', { min: 2 });
  if (cs.remaining % 2 !== 0) cs.bytes(cs.remaining + 1, 'cipher_suites'); // odd length: decode_error
  const cipherSuites = cs.u16List('cipher_suite');
  const legacyCompressionMethods = r.vec8Bytes('legacy_compression_methods', { min: 1 });
  const extensions = r.remaining > 0 ? readExtensions(r, true) : [];
  r.expectEnd();
  // RFC 8446 §4.2.11: pre_shared_key MUST be the last extension.
  const pskAt = extensions.findIndex((e) => e.type === ExtensionType.pre_shared_key);
  if (pskAt >= 0 && pskAt !== extensions.length - 1) throw misbehaved('PskNotLastExtension');
  const hello = { legacyVersion, random, legacySessionId, cipherSuites, legacyCompressionMethods, extensions };
  return legacyCookie === undefined ? hello : { ...hello, legacyCookie };
}

/** Encode a full ClientHello handshake message (the DTLS form when `legacyCookie` is set). */
export function encodeClientHello(ch: ClientHello): Uint8Array {
  return encodeClientHelloWith(ch, (w) => writeExtensions(w, ch.extensions));
}

/**
 * Encode a full ClientHello whose extensions vector (length prefix included) `writeExtensionList` writes straight
 * into the message: a client building its own hello encodes each extension once, in one buffer.
 */
export function encodeClientHelloWith(ch: Omit<ClientHello, 'extensions'>, writeExtensionList: (w: Writer) => void): Uint8Array {
  return frameHandshake(HandshakeType.ClientHello, (w) => {
    w.u16(ch.legacyVersion).bytes(ch.random);
    w.vec8Bytes(ch.legacySessionId);
    const cookie = ch.legacyCookie;
    if (cookie !== undefined) w.vec8Bytes(cookie);
    w.vec16((w) => { for (const s of ch.cipherSuites) w.u16(s); });
    w.vec8Bytes(ch.legacyCompressionMethods);
    writeExtensionList(w);
  });
}

/** What every server reads of a ClientHello before it decides anything; undefined: the extension was absent. */
export interface ClientHelloBasics {
  /** server_name's host_name (lower case); undefined when absent or empty. */
  readonly serverName: string | undefined;
  readonly groups: readonly number[] | undefined;
  readonly signatureSchemes: readonly number[] | undefined;
  /** ALPN ids offered, bytes as on the wire. */
  readonly alpn: readonly Uint8Array[] | undefined;
}

/** A ClientHello decoded once: its fields and its basics, as both versions' servers and the hello stage read them. */
export interface DecodedClientHello {
  readonly hello: ClientHello;
  readonly basics: ClientHelloBasics;
}

/** Decode a ClientHello body and its basics (the one decoder for TLS 1.3, TLS 1.2 and the hello stage). */
export function decodeClientHelloWithBasics(body: Uint8Array, datagram = false): DecodedClientHello {
  const hello = decodeClientHello(body, datagram);
  return { hello, basics: decodeClientHelloBasics(hello) };
}

/** Decode server_name, supported_groups, signature_algorithms and ALPN of a ClientHello (each strictly). */
export function decodeClientHelloBasics(hello: ClientHello): ClientHelloBasics {
  const sn = findExtension(hello.extensions, ExtensionType.server_name);
  const groups = findExtension(hello.extensions, ExtensionType.supported_groups);
  const schemes = findExtension(hello.extensions, ExtensionType.signature_algorithms);
  const alpn = findExtension(hello.extensions, ExtensionType.application_layer_protocol_negotiation);
  return {
    serverName: sn !== undefined ? decodeServerName(sn) : undefined,
    groups: groups !== undefined ? decodeU16List(groups, 'supported_groups') : undefined,
    signatureSchemes: schemes !== undefined ? decodeU16List(schemes, 'signature_algorithms') : undefined,
    alpn: alpn !== undefined ? decodeAlpn(alpn) : undefined,
  };
}
