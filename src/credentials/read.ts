/** Reading credential DER (BER tolerated) with the strict reader, and turning its errors into CredentialErrors. */
import { TlsError } from '../errors.js';
import { DerReader } from '../x509/der.js';
import { berToDer } from './asn1.js';
import { CredentialError, credentialError } from './errors.js';

/** A reader over the contents of the one SEQUENCE that `input` must be (BER normalised first). */
export function readDer(input: Uint8Array, what: string): DerReader {
  const der = berToDer(input, what);
  const top = new DerReader(der, what, 1);
  const r = top.sequence('');
  top.end();
  return r;
}

/** Run `fn`, turning a DER reader error (a TlsError) into CredentialError 'BadEncoding' naming the field. */
export function withDecodeErrors<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof CredentialError) throw e;
    if (e instanceof TlsError) {
      const detail = e.message.replace(/^tls: [a-z_]+ \([A-Za-z.]+\): /, '');
      throw credentialError('BadEncoding', `${what}: not a valid structure (${detail})`, e);
    }
    throw e;
  }
}
