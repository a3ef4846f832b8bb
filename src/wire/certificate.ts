/** Certificate, CertificateRequest and CertificateVerify (TLS 1.3 forms, RFC 8446 §4.4.2, §4.3.2, §4.4.3). */
import { Reader } from '../codec/reader.js';
import type { Writer } from '../codec/writer.js';
import { limitExceeded } from '../errors.js';
import { MAX_CHAIN_LENGTH } from '../limits.js';
import { frameHandshake } from './handshake.js';
import { readExtensions, writeExtensions, type RawExtension } from './extensions.js';
import { HandshakeType } from './registry.js';

/** One CertificateEntry: DER cert_data and its extensions (RFC 8446 §4.4.2). */
export interface CertificateEntry {
  readonly certData: Uint8Array;
  readonly extensions: readonly RawExtension[];
}

/** Certificate, TLS 1.3 form (RFC 8446 §4.4.2). */
export interface Certificate13 {
  readonly certificateRequestContext: Uint8Array;
  readonly certificateList: readonly CertificateEntry[];
}

/**
 * Decode a TLS 1.3 Certificate (RFC 8446 §4.4.2); rejects an empty cert_data (decode_error) and a chain longer than
 * MAX_CHAIN_LENGTH (bad_certificate).
 */
export function decodeCertificate13(body: Uint8Array): Certificate13 {
  const r = new Reader(body, 'Certificate');
  const certificateRequestContext = r.vec8Bytes('certificate_request_context').slice();
  const list = r.vec24('certificate_list');
  r.expectEnd();
  const certificateList = list.list((e) => ({
    certData: e.vec24Bytes('cert_data', { min: 1 }).slice(),
    extensions: readExtensions(e),
  }), Number.MAX_SAFE_INTEGER);
  if (certificateList.length > MAX_CHAIN_LENGTH) throw limitExceeded('ChainTooLong');
  return { certificateRequestContext, certificateList };
}

/** Encode a framed TLS 1.3 Certificate (RFC 8446 §4.4.2). */
export function encodeCertificate13(c: Certificate13): Uint8Array {
  return frameHandshake(HandshakeType.Certificate, (w) => writeCertificate13Body(w, c));
}

/** Write a TLS 1.3 Certificate's body (no handshake header). */
export function writeCertificate13Body(w: Writer, c: Certificate13): void {
  w.vec8Bytes(c.certificateRequestContext);
  w.vec24((w) => {
    for (const e of c.certificateList) {
      w.vec24Bytes(e.certData);
      writeExtensions(w, e.extensions);
    }
  });
}

/** CertificateRequest, TLS 1.3 form (RFC 8446 §4.3.2). */
export interface CertificateRequest13 {
  readonly certificateRequestContext: Uint8Array;
  readonly extensions: readonly RawExtension[];
}

/** Decode a TLS 1.3 CertificateRequest (RFC 8446 §4.3.2); extensions are checked by the caller. */
export function decodeCertificateRequest13(body: Uint8Array): CertificateRequest13 {
  const r = new Reader(body, 'CertificateRequest');
  const certificateRequestContext = r.vec8Bytes('certificate_request_context').slice();
  const extensions = readExtensions(r);
  r.expectEnd();
  return { certificateRequestContext, extensions };
}

/** Encode a framed TLS 1.3 CertificateRequest (RFC 8446 §4.3.2). */
export function encodeCertificateRequest13(c: CertificateRequest13): Uint8Array {
  return frameHandshake(HandshakeType.CertificateRequest, (w) => {
    w.vec8Bytes(c.certificateRequestContext);
    writeExtensions(w, c.extensions);
  });
}

/** CertificateVerify: signature scheme and signature (RFC 8446 §4.4.3). */
export interface CertificateVerify {
  readonly algorithm: number;
  readonly signature: Uint8Array;
}

/**
 * Decode a CertificateVerify (RFC 8446 §4.4.3); an empty signature is decode_error. The signature is a view into
 * `body` (every caller verifies it at once; a copy over 64 bytes is an off-heap allocation per handshake).
 */
export function decodeCertificateVerify(body: Uint8Array): CertificateVerify {
  const r = new Reader(body, 'CertificateVerify');
  const algorithm = r.u16('algorithm');
  const signature = r.vec16Bytes('signature', { min: 1 });
  r.expectEnd();
  return { algorithm, signature };
}

/** Encode a framed CertificateVerify (RFC 8446 §4.4.3). */
export function encodeCertificateVerify(cv: CertificateVerify): Uint8Array {
  return frameHandshake(HandshakeType.CertificateVerify, (w) => writeCertificateVerifyBody(w, cv));
}

/** Write a CertificateVerify's body (no handshake header). */
export function writeCertificateVerifyBody(w: Writer, cv: CertificateVerify): void {
  w.u16(cv.algorithm).vec16Bytes(cv.signature);
}
