/**
 * TLS 1.2 handshake messages (RFC 5246 §7.4, RFC 8422 §5.4-5.7, RFC 5077 §3.3, RFC 6066 §8): pure decode/encode.
 * Decoding is strict: every length is checked and every vector must be used up.
 */
import { Reader } from '../codec/reader.js';
import { encode } from '../codec/writer.js';
import { decodeError, limitExceeded, misbehaved } from '../errors.js';
import { MAX_CHAIN_LENGTH } from '../limits.js';
import { frameHandshake } from '../wire/handshake.js';
import { HandshakeType } from '../wire/registry.js';

/** ECCurveType (RFC 8422 §5.4): only named_curve is allowed. */
export const ECCurveType = { named_curve: 3 } as const;

/** ClientCertificateType (RFC 5246 §7.4.4, RFC 8422 §5.5). */
export const ClientCertificateType = { rsa_sign: 1, ecdsa_sign: 64 } as const;

/** CertificateStatusType (RFC 6066 §8). */
export const CertificateStatusType = { ocsp: 1 } as const;

/** ServerKeyExchange for ECDHE suites: ServerECDHParams + a signature over randoms ‖ params. */
export interface ServerKeyExchange {
  readonly namedCurve: number;
  readonly publicKey: Uint8Array;
  readonly algorithm: number;
  readonly signature: Uint8Array;
}

/** The ServerECDHParams bytes (what the signature covers after the two randoms). */
export function encodeServerEcdhParams(namedCurve: number, publicKey: Uint8Array): Uint8Array {
  return encode((w) => w.u8(ECCurveType.named_curve).u16(namedCurve).vec8((w) => w.bytes(publicKey)));
}

/** Decode a ServerKeyExchange; `params` is the raw ServerECDHParams for the signature check. */
export function decodeServerKeyExchange(body: Uint8Array): ServerKeyExchange & { readonly params: Uint8Array } {
  const r = new Reader(body, 'ServerKeyExchange');
  const curveType = r.u8('curve_type');
  // RFC 8422 §5.4: explicit curves are deprecated; we only take named_curve.
  if (curveType !== ECCurveType.named_curve) throw misbehaved('InvalidServerKeyExchange', { detail: `curve_type ${curveType}` });
  const namedCurve = r.u16('namedcurve');
  const publicKey = r.vec8('public', { min: 1 }).rest().slice();
  const params = body.slice(0, 4 + publicKey.length);
  const algorithm = r.u16('signed_params.algorithm');
  const signature = r.vec16('signed_params.signature', { min: 1 }).rest().slice();
  r.expectEnd();
  return { namedCurve, publicKey, algorithm, signature, params };
}

/** Encode a framed ServerKeyExchange for ECDHE: ServerECDHParams ‖ signature algorithm ‖ signature (RFC 8422 §5.4). */
export function encodeServerKeyExchange(ske: ServerKeyExchange): Uint8Array {
  return frameHandshake(HandshakeType.ServerKeyExchange, (w) => {
    w.bytes(encodeServerEcdhParams(ske.namedCurve, ske.publicKey));
    w.u16(ske.algorithm).vec16((w) => w.bytes(ske.signature));
  });
}

/** ClientKeyExchange for ECDHE: ClientECDiffieHellmanPublic (RFC 8422 §5.7). */
export function decodeClientKeyExchange(body: Uint8Array): Uint8Array {
  const r = new Reader(body, 'ClientKeyExchange');
  const ecdhYc = r.vec8('ecdh_Yc', { min: 1 }).rest().slice();
  r.expectEnd();
  return ecdhYc;
}

/** Encode a framed ClientKeyExchange carrying our ECDHE public value (RFC 8422 §5.7). */
export function encodeClientKeyExchange(publicKey: Uint8Array): Uint8Array {
  return frameHandshake(HandshakeType.ClientKeyExchange, (w) => w.vec8((w) => w.bytes(publicKey)));
}

/** ServerHelloDone and HelloRequest have empty bodies. */
export function decodeEmpty(body: Uint8Array, name: string): void {
  if (body.length !== 0) throw decodeError(name, `${body.length} bytes in an empty message`);
}

/** Encode a framed, empty ServerHelloDone (RFC 5246 §7.4.5). */
export function encodeServerHelloDone(): Uint8Array {
  return frameHandshake(HandshakeType.ServerHelloDone, () => {});
}

/** Encode a framed, empty HelloRequest (RFC 5246 §7.4.1.1). */
export function encodeHelloRequest(): Uint8Array {
  return frameHandshake(HandshakeType.HelloRequest, () => {});
}

/** CertificateRequest, TLS 1.2 form (RFC 5246 §7.4.4). */
export interface CertificateRequest12 {
  readonly certificateTypes: readonly number[];
  readonly supportedSignatureAlgorithms: readonly number[];
  readonly certificateAuthorities: readonly Uint8Array[];
}

/**
 * Decode a TLS 1.2 CertificateRequest (RFC 5246 §7.4.4); rejects empty type or algorithm lists, an odd-length
 * algorithm list and empty DNs (decode_error). The authorities list is bounded by its 16-bit length only: a server
 * listing its whole trust store (hundreds of names) is within the RFC, and the work is linear in those bytes.
 */
export function decodeCertificateRequest12(body: Uint8Array): CertificateRequest12 {
  const r = new Reader(body, 'CertificateRequest');
  const certificateTypes = r.vec8('certificate_types', { min: 1 }).list((e) => e.u8('certificate_type'));
  const sa = r.vec16('supported_signature_algorithms', { min: 2 });
  if (sa.remaining % 2 !== 0) throw decodeError('CertificateRequest.supported_signature_algorithms', 'odd length');
  const supportedSignatureAlgorithms = sa.list((e) => e.u16('algorithm'));
  const certificateAuthorities = r.vec16('certificate_authorities').list((e) => e.vec16('DistinguishedName', { min: 1 }).rest().slice());
  r.expectEnd();
  return { certificateTypes, supportedSignatureAlgorithms, certificateAuthorities };
}

/** Encode a framed TLS 1.2 CertificateRequest (RFC 5246 §7.4.4). */
export function encodeCertificateRequest12(cr: CertificateRequest12): Uint8Array {
  return frameHandshake(HandshakeType.CertificateRequest, (w) => {
    w.vec8((w) => { for (const t of cr.certificateTypes) w.u8(t); });
    w.vec16((w) => { for (const a of cr.supportedSignatureAlgorithms) w.u16(a); });
    w.vec16((w) => { for (const dn of cr.certificateAuthorities) w.vec16((w) => w.bytes(dn)); });
  });
}

/** Certificate, TLS 1.2 form (RFC 5246 §7.4.2): a list of DER certificates, leaf first. May be empty (client). */
export function decodeCertificate12(body: Uint8Array): Uint8Array[] {
  const r = new Reader(body, 'Certificate');
  const list = r.vec24('certificate_list');
  r.expectEnd();
  const chain = list.list((e) => e.vec24('ASN.1Cert', { min: 1 }).rest().slice(), MAX_CHAIN_LENGTH + 1);
  if (chain.length > MAX_CHAIN_LENGTH) throw limitExceeded('ChainTooLong');
  return chain;
}

/** Encode a framed TLS 1.2 Certificate from a DER chain, leaf first (RFC 5246 §7.4.2). */
export function encodeCertificate12(chain: readonly Uint8Array[]): Uint8Array {
  return frameHandshake(HandshakeType.Certificate, (w) => {
    w.vec24((w) => { for (const c of chain) w.vec24((w) => w.bytes(c)); });
  });
}

/** NewSessionTicket, TLS 1.2 form (RFC 5077 §3.3). */
export interface NewSessionTicket12 {
  readonly ticketLifetimeHint: number;
  readonly ticket: Uint8Array;
}

/** Decode a TLS 1.2 NewSessionTicket (RFC 5077 §3.3); the ticket may be empty. */
export function decodeNewSessionTicket12(body: Uint8Array): NewSessionTicket12 {
  const r = new Reader(body, 'NewSessionTicket');
  const ticketLifetimeHint = r.u32('ticket_lifetime_hint');
  const ticket = r.vec16('ticket').rest().slice();
  r.expectEnd();
  return { ticketLifetimeHint, ticket };
}

/** Encode a framed TLS 1.2 NewSessionTicket (RFC 5077 §3.3). */
export function encodeNewSessionTicket12(t: NewSessionTicket12): Uint8Array {
  return frameHandshake(HandshakeType.NewSessionTicket, (w) => w.u32(t.ticketLifetimeHint).vec16((w) => w.bytes(t.ticket)));
}

/** CertificateStatus (RFC 6066 §8): an OCSP response. */
export function decodeCertificateStatus(body: Uint8Array): Uint8Array {
  const r = new Reader(body, 'CertificateStatus');
  const type = r.u8('status_type');
  if (type !== CertificateStatusType.ocsp) throw misbehaved('InvalidCertificateStatus', { detail: `status_type ${type}` });
  const response = r.vec24('OCSPResponse', { min: 1 }).rest().slice();
  r.expectEnd();
  return response;
}

/** Encode a framed CertificateStatus carrying an OCSP response (RFC 6066 §8). */
export function encodeCertificateStatus(ocspResponse: Uint8Array): Uint8Array {
  return frameHandshake(HandshakeType.CertificateStatus, (w) => w.u8(CertificateStatusType.ocsp).vec24((w) => w.bytes(ocspResponse)));
}

/** Finished (RFC 5246 §7.4.9): verify_data of exactly 12 bytes for our suites. */
export function decodeFinished12(body: Uint8Array): Uint8Array {
  if (body.length !== 12) throw decodeError('Finished.verify_data', `length ${body.length}, expected 12`);
  return body.slice();
}

/** Encode a framed TLS 1.2 Finished (RFC 5246 §7.4.9). */
export function encodeFinished12(verifyData: Uint8Array): Uint8Array {
  return frameHandshake(HandshakeType.Finished, (w) => w.bytes(verifyData));
}
