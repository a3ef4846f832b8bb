/**
 * A TLS 1.3 suite as DTLS 1.3 runs it: the same AEAD and hash, with the key schedule's HKDF labels prefixed "dtls13"
 * instead of "tls13 " (RFC 9147 §5.9). The TLS 1.3 key schedule reads the prefix from the suite, so the handshake
 * machine derives DTLS 1.3 secrets from such a copy without knowing it runs over datagrams.
 */
import type { SuiteInfo } from '../../crypto/suites.js';

const copies = new Map<number, SuiteInfo>();

/** The DTLS 1.3 copy of a TLS 1.3 suite (one object per suite, so identity comparisons hold). */
export function dtls13Suite(suite: SuiteInfo): SuiteInfo {
  if (suite.version !== 'TLSv1.3') throw new RangeError(`${suite.name} is not a TLS 1.3 suite`);
  if (suite.labelPrefix === 'dtls13') return suite;
  let c = copies.get(suite.id);
  if (c === undefined) {
    c = { ...suite, labelPrefix: 'dtls13' };
    copies.set(suite.id, c);
  }
  return c;
}
