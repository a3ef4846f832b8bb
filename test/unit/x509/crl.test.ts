/**
 * Caller-supplied CRLs (src/x509/crl.ts), made with `openssl ca -gencrl`: revoked leaf and intermediate, reason
 * codes, another issuer's CRL, the thisUpdate..nextUpdate window, an issuer without cRLSign, a corrupted CRL,
 * and the kinds refused when loaded (delta, indirect, no cRLNumber, critical cRLNumber).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ChainVerifier, parseCrl, verifyChain, type ChainResult, type VerifyChainOptions } from '../../../src/x509/index.js';
import { TlsClient, TlsServer, TlsError } from '../../../src/index.js';
import { doHandshake } from '../../helpers/pair.js';
import { TestPki, caExt, flipLastByte, serverExt, type PkiCert } from '../../helpers/x509-pki.js';

const HOUR = 3600_000;
const NAME = 'www.example.com';

let pki: TestPki;
let root: PkiCert;
let int: PkiCert;
let good: PkiCert;
let bad: PkiCert;
let now: number;

function check(leaf: PkiCert, crls: readonly Uint8Array[], extra: Partial<VerifyChainOptions> = {}): ChainResult {
  return verifyChain({ leaf: leaf.der, intermediates: [int.der], trustAnchors: [root.der], usage: 'serverAuth', serverName: NAME, time: now, crls, ...extra });
}

function reason(r: ChainResult): string {
  return r.ok ? 'ok' : r.reason;
}

before(() => {
  pki = new TestPki();
  root = pki.issue({ name: 'root', subject: '/CN=CRL Root', ext: caExt() });
  int = pki.issue({ name: 'int', subject: '/CN=CRL Intermediate', issuer: root, ext: caExt() });
  good = pki.issue({ name: 'good', subject: '/CN=good', issuer: int, ext: serverExt(`DNS:${NAME}`) });
  bad = pki.issue({ name: 'bad', subject: '/CN=bad', issuer: int, ext: serverExt(`DNS:${NAME}`) });
  pki.revokeWithReason(bad, int, 'keyCompromise');
  now = Date.now() + 1000;
});
after(() => pki.cleanup());

describe('CRLs', () => {
  test('a revoked leaf → Revoked (certificate_revoked), with the reason code; others on the same CRL are fine', () => {
    const crl = pki.crl(int);
    const parsed = parseCrl(crl);
    assert.equal(parsed.revoked.size, 1);
    const r = check(bad, [crl]);
    assert.equal(reason(r), 'Revoked');
    assert.ok(!r.ok && /keyCompromise/.test(r.detail), r.ok ? '' : r.detail);
    assert.equal(reason(check(good, [crl])), 'ok');
    assert.equal(reason(check(bad, [])), 'ok'); // no CRL supplied for that issuer: not checked
  });

  test('a revoked intermediate (on the root CRL) → Revoked', () => {
    const i2 = pki.issue({ name: 'int2', subject: '/CN=CRL Intermediate 2', issuer: root, ext: caExt() });
    const l = pki.issue({ name: 'under-int2', subject: '/CN=x', issuer: i2, ext: serverExt(`DNS:${NAME}`) });
    pki.revoke(i2, root);
    const r = verifyChain({ leaf: l.der, intermediates: [i2.der], trustAnchors: [root.der], usage: 'serverAuth', serverName: NAME, time: now, crls: [pki.crl(root)] });
    assert.equal(reason(r), 'Revoked');
  });

  test("another issuer's CRL listing the same serial does not apply", () => {
    const other = pki.issue({ name: 'other-ca', subject: '/CN=Other CA', ext: caExt() });
    const twin = pki.issue({ name: 'twin', subject: '/CN=twin', issuer: other, ext: serverExt(`DNS:${NAME}`) });
    pki.revoke(twin, other);
    const otherCrl = pki.crl(other);
    const entries = [...parseCrl(otherCrl).revoked.keys()];
    assert.equal(entries.length, 1);
    assert.equal(reason(check(good, [otherCrl])), 'ok');
  });

  test('outside thisUpdate..nextUpdate: RevocationUnknown for a listed-nowhere certificate; a listed one stays Revoked', () => {
    const crl = pki.crl(int, { hours: 1 });
    assert.equal(reason(check(good, [crl], { time: now + 2 * HOUR })), 'RevocationUnknown');
    assert.equal(reason(check(good, [crl], { time: now - 2 * HOUR })), 'RevocationUnknown');
    assert.equal(reason(check(bad, [crl], { time: now + 2 * HOUR })), 'Revoked');
  });

  test('an issuer whose keyUsage lacks cRLSign cannot revoke → RevocationUnknown', () => {
    const i = pki.issue({ name: 'no-crlsign', subject: '/CN=No CRLSign', issuer: root, ext: caExt().map((e) => (e.startsWith('keyUsage') ? 'keyUsage=critical,keyCertSign' : e)) });
    const l = pki.issue({ name: 'under-no-crlsign', subject: '/CN=x', issuer: i, ext: serverExt(`DNS:${NAME}`) });
    pki.revoke(l, i);
    const r = verifyChain({ leaf: l.der, intermediates: [i.der], trustAnchors: [root.der], usage: 'serverAuth', serverName: NAME, time: now, crls: [pki.crl(i)] });
    assert.equal(reason(r), 'RevocationUnknown');
  });

  test("a CRL naming the issuer's key whose signature fails → RevocationUnknown", () => {
    assert.equal(reason(check(good, [flipLastByte(pki.crl(int))])), 'RevocationUnknown');
  });

  test('ChainVerifier holds a CRL store and checks it on every validation', () => {
    const v = new ChainVerifier({ trustAnchors: [root.der], crls: [pki.crl(int)] });
    assert.equal(v.crls.length, 1);
    const opts = { usage: 'serverAuth', serverName: NAME, time: now } as const;
    assert.equal(reason(v.verify([good.der, int.der], opts)), 'ok');
    assert.equal(reason(v.verify([bad.der, int.der], opts)), 'Revoked');
    assert.equal(reason(v.verify([bad.der, int.der], opts)), 'Revoked');
  });

  test("the idiomatic API's crl option (PEM text): a revoked server certificate → certificate_revoked; a good one connects", () => {
    const b64 = Buffer.from(pki.crl(int)).toString('base64');
    const crlPem = `-----BEGIN X509 CRL-----\n${b64}\n-----END X509 CRL-----\n`;
    const run = (leaf: PkiCert): unknown => {
      const server = new TlsServer({ certificates: [{ cert: [leaf.der, int.der], key: pki.openssl(['pkey', '-in', leaf.keyPath]) }] }).accept();
      const client = new TlsClient({ servername: NAME, ca: root.pem, crl: crlPem }).connect();
      try {
        doHandshake({ client, server });
        return client.info?.authorized;
      } catch (e) {
        return e;
      }
    };
    const err = run(bad);
    assert.ok(err instanceof TlsError, String(err));
    assert.equal(err.alert, 'certificate_revoked');
    assert.equal(run(good), true);
  });

  test('refused when loaded, with the reason: delta, indirect, no cRLNumber, critical cRLNumber, garbage', () => {
    const refused = (der: Uint8Array, pattern: RegExp): void => {
      assert.throws(() => parseCrl(der), (e: Error & { kind?: string }) => e.kind === 'InvalidConfig' && pattern.test(e.message));
      assert.throws(() => check(good, [der]), { kind: 'InvalidConfig' });
    };
    refused(pki.crl(int, { ext: ['2.5.29.27=critical,ASN1:INTEGER:1'] }), /delta/);
    refused(pki.crl(int, { ext: ['issuingDistributionPoint=critical,@idp', '[idp]', 'indirectCRL=TRUE'] }), /indirect/);
    // openssl writes the cRLNumber only from a crlnumber file; a raw critical one replaces it.
    refused(pki.crl(int, { ext: ['2.5.29.20=critical,ASN1:INTEGER:7'] }), /critical|duplicate/);
    refused(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]), /cannot be parsed|v2/);
  });
});
