/**
 * Loading --cert/--key/--ca files for the CLI, with one-line errors (UsageError, exit 2) for a missing or unreadable
 * file, a file with no certificate, an unusable key, and a key that does not match its certificate.
 */
import { readFileSync } from 'node:fs';
import { getDefaultProvider } from '../crypto/node-provider.js';
import { equalPublic } from '../codec/bytes.js';
import { parseCertificate } from '../x509/certificate.js';
import { pemToDer } from '../x509/pem.js';
import { parseCrl } from '../x509/crl.js';
import { UsageError } from './args.js';

/** Read a file as text, or throw a UsageError that says which option and why. */
export function readText(option: string, file: string): string {
  try {
    return readFileSync(file, 'latin1');
  } catch (err) {
    const code = (err as { code?: string }).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : String((err as Error).message);
    throw new UsageError(`cannot read ${option} '${file}': ${why}`);
  }
}

/** Certificates of a PEM (or DER) file, at least one, each parseable. */
export function readCertificates(option: string, file: string): Uint8Array[] {
  const text = readText(option, file);
  let ders: Uint8Array[];
  if (text.includes('-----BEGIN')) ders = pemToDer(text, 'CERTIFICATE');
  else ders = [new Uint8Array(Buffer.from(text, 'latin1'))];
  if (ders.length === 0) throw new UsageError(`${option} '${file}' holds no CERTIFICATE block`);
  for (const d of ders) {
    try {
      parseCertificate(d);
    } catch (err) {
      throw new UsageError(`${option} '${file}' is not a valid certificate: ${(err as Error).message}`);
    }
  }
  return ders;
}

/** CRLs of a PEM (`X509 CRL` blocks) or DER file (--crl), at least one, each usable (not delta, not indirect). */
export function readCrls(option: string, file: string): Uint8Array[] {
  const text = readText(option, file);
  const ders = text.includes('-----BEGIN') ? pemToDer(text, 'X509 CRL') : [new Uint8Array(Buffer.from(text, 'latin1'))];
  if (ders.length === 0) throw new UsageError(`${option} '${file}' holds no X509 CRL block`);
  for (const d of ders) {
    try {
      parseCrl(d);
    } catch (err) {
      throw new UsageError(`${option} '${file}': ${(err as Error).message}`);
    }
  }
  return ders;
}

/** The server/client credentials of --cert/--key: both or neither, readable, and the key must match the leaf. */
export function readCredentials(certFile: string, keyFile: string): { cert: Uint8Array[]; key: string | Uint8Array } {
  const chain = readCertificates('--cert', certFile);
  const text = readText('--key', keyFile);
  const key = text.includes('-----BEGIN') ? text : new Uint8Array(Buffer.from(text, 'latin1'));
  let spki: Uint8Array;
  try {
    spki = getDefaultProvider().loadSigningKey(key).spki;
  } catch (err) {
    throw new UsageError(`--key '${keyFile}' is not a usable private key: ${(err as Error).message.split('\n')[0] ?? ''}`);
  }
  const leaf = chain[0];
  if (leaf === undefined || !equalPublic(parseCertificate(leaf).spki, spki)) {
    throw new UsageError(`--key '${keyFile}' does not match the certificate in --cert '${certFile}'`);
  }
  return { cert: chain, key };
}
