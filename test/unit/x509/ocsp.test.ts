import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkOcspResponse, parseCertificate, type Certificate, type OcspResult } from '../../../src/x509/index.js';
import { TestPki, caExt, serverExt, type PkiCert } from '../../helpers/x509-pki.js';

const DAY = 86400_000;
const NOW = Date.now();

let pki: TestPki;
let root: PkiCert;
let int: PkiCert;
let leaf: PkiCert;
let leafC: Certificate;
let intC: Certificate;

function reason(r: OcspResult): string {
  return r.ok ? r.status : r.reason;
}

before(() => {
  pki = new TestPki();
  root = pki.issue({ name: 'root', subject: '/CN=OCSP Root', ext: caExt() });
  int = pki.issue({ name: 'int', subject: '/CN=OCSP Intermediate', issuer: root, ext: caExt() });
  leaf = pki.issue({ name: 'leaf', subject: '/CN=leaf', issuer: int, ext: serverExt('DNS:leaf.test') });
  leafC = parseCertificate(leaf.der);
  intC = parseCertificate(int.der);
});
after(() => pki.cleanup());

describe('checkOcspResponse', () => {
  test('accepts a good response signed by the issuer', () => {
    const r = checkOcspResponse(pki.ocspResponse(leaf, int), leafC, intC, NOW);
    assert.equal(reason(r), 'good');
    assert.ok(r.ok);
    assert.ok(r.nextUpdate !== undefined && r.nextUpdate > NOW && r.thisUpdate <= NOW + 5 * 60_000);
  });

  test('accepts a good response from a delegated responder with id-kp-OCSPSigning', () => {
    const responder = pki.issue({ name: 'responder', subject: '/CN=OCSP Responder', issuer: int, ext: ['basicConstraints=CA:FALSE', 'extendedKeyUsage=OCSPSigning'] });
    assert.equal(reason(checkOcspResponse(pki.ocspResponse(leaf, int, responder), leafC, intC, NOW)), 'good');
  });

  test('rejects a delegated responder without id-kp-OCSPSigning → BadSignature', () => {
    const rogue = pki.issue({ name: 'rogue', subject: '/CN=Not A Responder', issuer: int, ext: ['basicConstraints=CA:FALSE', 'extendedKeyUsage=serverAuth'] });
    assert.equal(reason(checkOcspResponse(pki.ocspResponse(leaf, int, rogue), leafC, intC, NOW)), 'BadSignature');
  });

  test('rejects a response checked against the wrong issuer → BadSignature', () => {
    assert.equal(reason(checkOcspResponse(pki.ocspResponse(leaf, int), leafC, parseCertificate(root.der), NOW)), 'BadSignature');
  });

  test('rejects a tampered response → BadSignature', () => {
    const der = pki.ocspResponse(leaf, int);
    // Change a digit of producedAt (the first GeneralizedTime, tag 0x18 length 15).
    const at = der.findIndex((b, i) => b === 0x18 && der[i + 1] === 0x0f);
    assert.ok(at > 0);
    const bad = der.slice();
    bad[at + 2 + 13] = bad[at + 2 + 13] === 0x30 ? 0x31 : 0x30;
    assert.equal(reason(checkOcspResponse(bad, leafC, intC, NOW)), 'BadSignature');
  });

  test('rejects a stale or future response → RevocationUnknown', () => {
    const der = pki.ocspResponse(leaf, int, int, { ndays: 1 });
    assert.equal(reason(checkOcspResponse(der, leafC, intC, NOW + 3 * DAY)), 'RevocationUnknown');
    assert.equal(reason(checkOcspResponse(der, leafC, intC, NOW - DAY)), 'RevocationUnknown');
  });

  test('reports a response for another certificate → RevocationUnknown', () => {
    const other = pki.issue({ name: 'other', subject: '/CN=other', issuer: int, ext: serverExt('DNS:other.test') });
    assert.equal(reason(checkOcspResponse(pki.ocspResponse(other, int), leafC, intC, NOW)), 'RevocationUnknown');
  });

  test('reports an unknown status → RevocationUnknown', () => {
    const ghost = pki.issue({ name: 'ghost', subject: '/CN=ghost', issuer: int, ext: serverExt('DNS:ghost.test') });
    const serial = parseCertificate(ghost.der).serialNumber.toUpperCase();
    const index = join(int.caDir, 'index.txt');
    const lines = readFileSync(index, 'utf8').split('\n').filter((l) => !l.includes(`\t${serial}\t`));
    writeFileSync(index, lines.join('\n'));
    const r = checkOcspResponse(pki.ocspResponse(ghost, int), parseCertificate(ghost.der), intC, NOW);
    assert.equal(reason(r), 'RevocationUnknown');
    assert.ok(!r.ok && r.status === 'unknown');
  });

  test('reports a revoked certificate → Revoked', () => {
    const doomed = pki.issue({ name: 'doomed', subject: '/CN=doomed', issuer: int, ext: serverExt('DNS:doomed.test') });
    pki.revoke(doomed, int);
    const r = checkOcspResponse(pki.ocspResponse(doomed, int), parseCertificate(doomed.der), intC, NOW);
    assert.equal(reason(r), 'Revoked');
    assert.ok(!r.ok && r.status === 'revoked' && typeof r.revocationTime === 'number');
  });

  test('rejects garbage → BadEncoding, and an unsuccessful responseStatus → RevocationUnknown', () => {
    assert.equal(reason(checkOcspResponse(new Uint8Array([0x30, 0x03, 0x0a, 0x01]), leafC, intC, NOW)), 'BadEncoding');
    assert.equal(reason(checkOcspResponse(new Uint8Array([0x30, 0x03, 0x0a, 0x01, 0x03]), leafC, intC, NOW)), 'RevocationUnknown');
  });
});
