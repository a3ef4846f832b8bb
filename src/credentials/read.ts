/** Reading credential DER (BER tolerated) with the strict reader, and turning its errors into CredentialErrors. */
import { TlsError } from '../errors.js';
import { DerReader } from '../x509/der.js';
import { berToDer } from './asn1.js';
import { CredentialError, credentialError } from './errors.js';

/** A reader over the contents of the one SEQUENCE that `input` must be (BER normalised first). */
export function readDer(input: Uint8Array, what: string): DerReader {
  if (input.length > 0 && input[0] !== 0x30) throw credentialError('BadEncoding', `${what}: not DER (a SEQUENCE starts with 0x30, this with 0x${(input[0] as number).toString(16)})`);
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
