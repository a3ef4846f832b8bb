/** The one typed mapping from an SSPI credential to engine options (src/sspi/credentials.ts), flag by flag. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientOptionsFor, serverOptionsFor, type Credential } from '../../src/sspi/credentials.js';
import { CertContext, CertStore } from '../../src/sspi/cert-context.js';
import * as C from '../../src/sspi/constants.js';

const CA = new Uint8Array([0x30, 0x00]);
const CRL = new Uint8Array([0x30, 0x01, 0x00]);

function credential(flags: number, rootStore: CertStore | null, certificates: readonly CertContext[] = [], reconnects = true): Credential {
  return {
    id: 1,
    use: C.SECPKG_CRED_BOTH,
    flags,
    certificates,
    rootStore,
    mappers: [],
    protocols: 0,
    minStrength: 128,
    maxStrength: 256,
    supportedAlgs: [],
    common: { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3', cipherSuites: undefined, groups: [29], signatureSchemes: undefined },
    expiry: 0n,
    reconnects,
    lifespanMs: 3_600_000,
    freed: false,
    cache: { server: undefined, client: undefined, sessions: new Map() },
  };
}

test('client options: hRootStore is the trust, manual validation turns verification off and skips revocation', () => {
  const o = clientOptionsFor(credential(C.SCH_CRED_MANUAL_CRED_VALIDATION | C.SCH_CRED_REVOCATION_CHECK_CHAIN, new CertStore([CA])));
  assert.deepEqual(o, { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3', groups: [29], ca: [CA], rejectUnauthorized: false, deferClientCertificate: true });
});

test('client options: revocation checking requires a staple unless the store has CRLs; no server name check', () => {
  const strict = clientOptionsFor(credential(C.SCH_CRED_REVOCATION_CHECK_CHAIN | C.SCH_CRED_NO_SERVERNAME_CHECK, null));
  assert.equal(strict.ocspStapling, 'require');
  assert.equal(strict.checkServerName, false);
  assert.equal('ca' in strict || 'crl' in strict || 'rejectUnauthorized' in strict, false);
  const withCrl = clientOptionsFor(credential(C.SCH_CRED_REVOCATION_CHECK_CHAIN, new CertStore([CA], [CRL])));
  assert.equal(withCrl.ocspStapling, 'check');
  assert.deepEqual(withCrl.crl, [CRL]);
});

test('server options: the certificate and its key, no hRootStore accepts client certificates unvalidated, tickets follow reconnects', () => {
  const cert = new CertContext([CA], 'KEY');
  const open = serverOptionsFor(credential(0, null, [cert], false));
  assert.deepEqual(open.certificates, [{ cert: [CA], key: 'KEY' }]);
  assert.equal(open.rejectUnauthorized, false);
  assert.equal(open.ticketCount, 0);
  assert.equal(open.ticketLifetime, 3600);
  const checked = serverOptionsFor(credential(C.SCH_CRED_REVOCATION_CHECK_END_CERT, new CertStore([CA], [CRL]), [cert]));
  assert.deepEqual(checked.ca, [CA]);
  assert.deepEqual(checked.crl, [CRL]);
  assert.equal('rejectUnauthorized' in checked, false);
  assert.equal(checked.ticketCount, 2);
});

test('a credential certificate without its key is a configuration error, not an undefined key', () => {
  assert.throws(() => serverOptionsFor(credential(0, null, [new CertContext([CA], undefined)])), /no private key/);
});
