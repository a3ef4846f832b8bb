/** Certificate, CertificateRequest and CertificateVerify (TLS 1.3 forms, RFC 8446 §4.4.2, §4.3.2, §4.4.3). */
import { Reader } from '../codec/reader.js';
import { limitExceeded } from '../errors.js';
import { MAX_CHAIN_LENGTH } from '../limits.js';
import { frameHandshake } from './handshake.js';
import { readExtensions, writeExtensions, type RawExtension } from './extensions.js';
import { HandshakeType } from './registry.js';

export interface CertificateEntry {
  readonly certData: Uint8Array;
  readonly extensions: readonly RawExtension[];
}

export interface Certificate13 {
  readonly certificateRequestContext: Uint8Array;
  readonly certificateList: readonly CertificateEntry[];
}

export function decodeCertificate13(body: Uint8Array): Certificate13 {
  const r = new Reader(body, 'Certificate');
  const certificateRequestContext = r.vec8('certificate_request_context').rest().slice();
  const list = r.vec24('certificate_list');
  r.expectEnd();
  const certificateList = list.list((e) => ({
    certData: e.vec24('cert_data', { min: 1 }).rest().slice(),
    extensions: readExtensions(e),
  }), Number.MAX_SAFE_INTEGER);
  if (certificateList.length > MAX_CHAIN_LENGTH) throw limitExceeded('ChainTooLong');
  return { certificateRequestContext, certificateList };
}

export function encodeCertificate13(c: Certificate13): Uint8Array {
  return frameHandshake(HandshakeType.Certificate, (w) => {
    w.vec8((w) => w.bytes(c.certificateRequestContext));
    w.vec24((w) => {
      for (const e of c.certificateList) {
        w.vec24((w) => w.bytes(e.certData));
        writeExtensions(w, e.extensions);
      }
    });
  }, 4096);
}

export interface CertificateRequest13 {
  readonly certificateRequestContext: Uint8Array;
  readonly extensions: readonly RawExtension[];
}

export function decodeCertificateRequest13(body: Uint8Array): CertificateRequest13 {
  const r = new Reader(body, 'CertificateRequest');
  const certificateRequestContext = r.vec8('certificate_request_context').rest().slice();
  const extensions = readExtensions(r);
  r.expectEnd();
  return { certificateRequestContext, extensions };
}

export function encodeCertificateRequest13(c: CertificateRequest13): Uint8Array {
  return frameHandshake(HandshakeType.CertificateRequest, (w) => {
    w.vec8((w) => w.bytes(c.certificateRequestContext));
    writeExtensions(w, c.extensions);
  });
}

export interface CertificateVerify {
  readonly algorithm: number;
  readonly signature: Uint8Array;
}

export function decodeCertificateVerify(body: Uint8Array): CertificateVerify {
  const r = new Reader(body, 'CertificateVerify');
  const algorithm = r.u16('algorithm');
  const signature = r.vec16('signature', { min: 1 }).rest().slice();
  r.expectEnd();
  return { algorithm, signature };
}

export function encodeCertificateVerify(cv: CertificateVerify): Uint8Array {
  return frameHandshake(HandshakeType.CertificateVerify, (w) => {
    w.u16(cv.algorithm).vec16((w) => w.bytes(cv.signature));
  });
}
