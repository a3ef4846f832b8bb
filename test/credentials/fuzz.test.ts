/**
 * Adversarial inputs for the credential readers: mutated PFX files (with and without MAC, DER and BER) and mutated
 * EncryptedPrivateKeyInfo. Every outcome is a result or a CredentialError with one of the documented codes — never
 * another exception, never a hang (each run is bounded: KDF iteration counts are tiny and capped).
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CredentialError, readPfx, unlockPrivateKey, writePfx, encryptPrivateKeyInfo, keysWithChains, isPfx } from '../../src/credentials/index.js';
import { getDefaultCredentialCrypto } from '../../src/crypto/node-provider.js';
import { derToPem } from '../../src/x509/pem.js';
import { getPki, type Pki } from '../helpers/pki.js';
import { mutate, mutationsArb, RUNS } from '../helpers/mutate.js';
import { bytes, openssl, path, toBer } from './files.js';

const CODES = new Set(['BadPassword', 'MacMismatch', 'Truncated', 'BadEncoding', 'UnsupportedAlgorithm', 'NoKey', 'NoCertificate', 'KeyMismatch', 'LimitExceeded']);
const runs = Math.min(RUNS, 800);
let pki: Pki;
before(async () => {
  pki = await getPki();
});

function outcome(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (e) {
    assert.ok(e instanceof CredentialError, `not a CredentialError: ${(e as Error)?.stack ?? String(e)}`);
    assert.ok(CODES.has(e.code), e.code);
    assert.ok(e.message.length > 0 && !e.message.includes('pfx-fuzz'), 'a message, never the password');
    return e.code;
  }
}

test('mutated PFX files (MAC, no MAC, BER): a result or a documented CredentialError', () => {
  const withMac = writePfx({ chain: [pki.client.certDer, pki.ca.certDer], key: pki.client.keyDer, password: 'pfx-fuzz', friendlyName: 'f', iterations: 1 });
  openssl(['pkcs12', '-export', '-in', pki.client.certPath, '-inkey', pki.client.keyPath, '-nomac', '-iter', '1', '-passout', 'pass:pfx-fuzz', '-out', path('nomac.p12')]);
  const noMac = bytes('nomac.p12');
  assert.equal(outcome(() => readPfx(noMac, 'pfx-fuzz')), 'ok');
  assert.equal(outcome(() => readPfx(noMac, 'wrong')), 'BadPassword');
  const seen = new Map<string, number>();
  for (const base of [withMac, noMac, toBer(withMac)]) {
    fc.assert(
      fc.property(mutationsArb, (ms) => {
        const input = mutate(base, ms);
        const o = outcome(() => keysWithChains(readPfx(input, 'pfx-fuzz')));
        isPfx(input);
        seen.set(o, (seen.get(o) ?? 0) + 1);
      }),
      { numRuns: runs, seed: 1717 },
    );
  }
  // The mutations reach past the outer structure: several kinds of failure occur.
  assert.ok(seen.size >= 3, JSON.stringify([...seen]));
});

test('mutated EncryptedPrivateKeyInfo (PBES2 and PKCS#12 3DES): a key or a documented CredentialError', () => {
  const crypto = getDefaultCredentialCrypto();
  for (const choice of ['aes-256-pbkdf2-sha256', 'pkcs12-3des'] as const) {
    const der = encryptPrivateKeyInfo(crypto, pki.client.keyDer, 'pfx-fuzz', choice, 1);
    assert.equal(outcome(() => unlockPrivateKey(der, 'pfx-fuzz')), 'ok');
    fc.assert(
      fc.property(mutationsArb, fc.boolean(), (ms, asPem) => {
        const m = mutate(der, ms);
        outcome(() => unlockPrivateKey(asPem ? derToPem(m, 'ENCRYPTED PRIVATE KEY') : m, 'pfx-fuzz'));
      }),
      { numRuns: runs, seed: 4242 },
    );
  }
});
