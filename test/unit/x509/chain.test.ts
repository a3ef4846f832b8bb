import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { getDefaultProvider } from '../../../src/crypto/node-provider.js';
import type { CryptoProvider } from '../../../src/crypto/provider.js';
import { ChainVerifier, parseCertificate, verifyChain, type ChainResult, type VerifyChainOptions } from '../../../src/x509/index.js';
import { TestPki, caExt, flipLastByte, serverExt, type PkiCert } from '../../helpers/x509-pki.js';

const DAY = 86400_000;
const NOW = Date.now();

let pki: TestPki;
let root: PkiCert;
let int: PkiCert;
let leaf: PkiCert;

function reason(r: ChainResult): string {
  return r.ok ? 'ok' : r.reason;
}

function check(leafCert: PkiCert | Uint8Array, intermediates: readonly (PkiCert | Uint8Array)[], extra: Partial<VerifyChainOptions> = {}): ChainResult {
  const der = (x: PkiCert | Uint8Array): Uint8Array => (x instanceof Uint8Array ? x : x.der);
  return verifyChain({
    leaf: der(leafCert),
    intermediates: intermediates.map(der),
    trustAnchors: [root.der],
    time: NOW,
    usage: 'serverAuth',
    serverName: 'www.example.com',
    ...extra,
  });
}

before(() => {
  pki = new TestPki();
  root = pki.issue({ name: 'root', subject: '/CN=Test Root/O=sspi-tls', key: 'rsa2048', ext: caExt() });
  int = pki.issue({ name: 'int', subject: '/CN=Test Intermediate/O=sspi-tls', issuer: root, ext: caExt() });
  leaf = pki.issue({ name: 'leaf', subject: '/CN=www.example.com', issuer: int, ext: serverExt('DNS:www.example.com,DNS:*.wild.example.com,IP:127.0.0.1,IP:::1') });
});
after(() => pki.cleanup());

describe('verifyChain', () => {
  test('accepts a valid root → intermediate → leaf chain and returns the path', () => {
    const r = check(leaf, [int]);
    assert.equal(reason(r), 'ok');
    assert.ok(r.ok);
    assert.deepEqual(r.chain, [leaf.der, int.der, root.der]);
  });

  test('the parsed certificate has the expected fields', () => {
    const c = parseCertificate(leaf.der);
    assert.equal(c.subject.text, 'CN=www.example.com');
    assert.equal(c.issuer.text, 'O=sspi-tls, CN=Test Intermediate');
    assert.equal(c.publicKeyAlgorithm, 'ec-p256');
    assert.equal(c.signatureAlgorithm, 0x0403);
    assert.deepEqual(c.extensions.subjectAltName?.dnsNames, ['www.example.com', '*.wild.example.com']);
    assert.deepEqual(c.extensions.extKeyUsage, ['1.3.6.1.5.5.7.3.1']);
    assert.equal(c.extensions.basicConstraints?.cA, false);
    assert.equal(c.extensions.keyUsage?.digitalSignature, true);
    assert.equal(parseCertificate(root.der).publicKeyBits, 2048);
    assert.equal(parseCertificate(int.der).signatureAlgorithm, 0x0401);
    assert.equal(c.fingerprint256.length, 64);
  });

  test('rejects an expired leaf that chains fine → Expired', () => {
    const l = pki.issue({ name: 'expired', subject: '/CN=expired', issuer: int, ext: serverExt('DNS:www.example.com'), notBefore: new Date(NOW - 30 * DAY), notAfter: new Date(NOW - DAY) });
    assert.equal(reason(check(l, [int])), 'Expired');
  });

  test('rejects a not-yet-valid leaf → NotYetValid', () => {
    const l = pki.issue({ name: 'future', subject: '/CN=future', issuer: int, ext: serverExt('DNS:www.example.com'), notBefore: new Date(NOW + DAY), notAfter: new Date(NOW + 30 * DAY) });
    assert.equal(reason(check(l, [int])), 'NotYetValid');
  });

  test('rejects an expired intermediate → Expired', () => {
    const i = pki.issue({ name: 'int-expired', subject: '/CN=Old Intermediate', issuer: root, ext: caExt(), notBefore: new Date(NOW - 30 * DAY), notAfter: new Date(NOW - DAY) });
    const l = pki.issue({ name: 'leaf-under-old', subject: '/CN=x', issuer: i, ext: serverExt('DNS:www.example.com') });
    assert.equal(reason(check(l, [i])), 'Expired');
  });

  test('rejects a chain to an unknown root → UnknownIssuer, or UntrustedRoot when that root is sent', () => {
    const otherRoot = pki.issue({ name: 'other-root', subject: '/CN=Other Root', ext: caExt() });
    const otherInt = pki.issue({ name: 'other-int', subject: '/CN=Other Intermediate', issuer: otherRoot, ext: caExt() });
    const l = pki.issue({ name: 'other-leaf', subject: '/CN=o', issuer: otherInt, ext: serverExt('DNS:www.example.com') });
    assert.equal(reason(check(l, [otherInt])), 'UnknownIssuer');
    assert.equal(reason(check(l, [otherInt, otherRoot])), 'UntrustedRoot');
  });

  test('rejects a self-signed leaf that is not an anchor → UntrustedRoot, accepts it when it is one', () => {
    const self = pki.issue({ name: 'self', subject: '/CN=self', ext: serverExt('DNS:www.example.com') });
    assert.equal(reason(check(self, [])), 'UntrustedRoot');
    assert.equal(reason(check(self, [], { trustAnchors: [self.der] })), 'ok');
  });

  test('rejects the wrong host → WrongName', () => {
    assert.equal(reason(check(leaf, [int], { serverName: 'other.example.com' })), 'WrongName');
    assert.equal(reason(check(leaf, [int], { serverName: 'example.com' })), 'WrongName');
  });

  test('matches a wildcard, case-insensitively, with a trailing dot', () => {
    assert.equal(reason(check(leaf, [int], { serverName: 'a.wild.example.com' })), 'ok');
    assert.equal(reason(check(leaf, [int], { serverName: 'A.Wild.EXAMPLE.com.' })), 'ok');
    assert.equal(reason(check(leaf, [int], { serverName: 'WWW.EXAMPLE.COM' })), 'ok');
  });

  test('rejects a wildcard too deep (a.b.wild.example.com vs *.wild.example.com) → WrongName', () => {
    assert.equal(reason(check(leaf, [int], { serverName: 'a.b.wild.example.com' })), 'WrongName');
    assert.equal(reason(check(leaf, [int], { serverName: 'wild.example.com' })), 'WrongName');
  });

  test('matches IP SANs only as IP addresses', () => {
    assert.equal(reason(check(leaf, [int], { serverName: '127.0.0.1' })), 'ok');
    assert.equal(reason(check(leaf, [int], { serverName: '::1' })), 'ok');
    assert.equal(reason(check(leaf, [int], { serverName: undefined as never, ipAddress: '127.0.0.1' })), 'ok');
    assert.equal(reason(check(leaf, [int], { serverName: '127.0.0.2' })), 'WrongName');
    const dnsIp = pki.issue({ name: 'dns-ip', subject: '/CN=10.0.0.1', issuer: int, ext: serverExt('DNS:10.0.0.1') });
    assert.equal(reason(check(dnsIp, [int], { serverName: '10.0.0.1' })), 'WrongName');
  });

  test('never falls back to the subject CN → WrongName', () => {
    const l = pki.issue({ name: 'cn-only', subject: '/CN=www.example.com', issuer: int, ext: serverExt('DNS:other.example.com') });
    assert.equal(reason(check(l, [int])), 'WrongName');
  });

  test('rejects an intermediate without cA → NotCa', () => {
    const i = pki.issue({ name: 'not-ca', subject: '/CN=Not A CA', issuer: root, ext: ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature', 'subjectKeyIdentifier=hash', 'authorityKeyIdentifier=keyid'] });
    const l = pki.issue({ name: 'leaf-not-ca', subject: '/CN=x', issuer: i, ext: serverExt('DNS:www.example.com') });
    assert.equal(reason(check(l, [i])), 'NotCa');
    const j = pki.issue({ name: 'no-bc', subject: '/CN=No Basic Constraints', issuer: root, ext: ['keyUsage=critical,digitalSignature'] });
    const m = pki.issue({ name: 'leaf-no-bc', subject: '/CN=x', issuer: j, ext: serverExt('DNS:www.example.com') });
    assert.equal(reason(check(m, [j])), 'NotCa');
  });

  test('rejects a CA whose keyUsage lacks keyCertSign → WrongUsage', () => {
    const i = pki.issue({ name: 'no-certsign', subject: '/CN=No CertSign', issuer: root, ext: ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,digitalSignature'] });
    const l = pki.issue({ name: 'leaf-no-certsign', subject: '/CN=x', issuer: i, ext: serverExt('DNS:www.example.com') });
    assert.equal(reason(check(l, [i])), 'WrongUsage');
  });

  test('rejects a path longer than pathLenConstraint → PathTooLong', () => {
    const i1 = pki.issue({ name: 'pl0', subject: '/CN=PathLen Zero', issuer: root, ext: caExt(0) });
    const i2 = pki.issue({ name: 'pl-sub', subject: '/CN=Below PathLen Zero', issuer: i1, ext: caExt() });
    const l = pki.issue({ name: 'leaf-pl', subject: '/CN=x', issuer: i2, ext: serverExt('DNS:www.example.com') });
    assert.equal(reason(check(l, [i1, i2])), 'PathTooLong');
    const ok = pki.issue({ name: 'leaf-pl-ok', subject: '/CN=x', issuer: i1, ext: serverExt('DNS:www.example.com') });
    assert.equal(reason(check(ok, [i1])), 'ok');
  });

  test('rejects a path with more than maxIntermediates intermediates → PathTooLong', () => {
    const i1 = pki.issue({ name: 'deep1', subject: '/CN=Deep 1', issuer: root, ext: caExt() });
    const i2 = pki.issue({ name: 'deep2', subject: '/CN=Deep 2', issuer: i1, ext: caExt() });
    const l = pki.issue({ name: 'leaf-deep', subject: '/CN=x', issuer: i2, ext: serverExt('DNS:www.example.com') });
    assert.equal(reason(check(l, [i1, i2])), 'ok');
    assert.equal(reason(check(l, [i1, i2], { maxIntermediates: 1 })), 'PathTooLong');
  });

  test('accepts a leaf without extKeyUsage for either usage (RFC 5280 §4.2.1.12: any purpose)', () => {
    const noEku = pki.issue({ name: 'no-eku', subject: '/CN=x', issuer: int, ext: ['basicConstraints=CA:FALSE', 'subjectAltName=DNS:www.example.com'] });
    assert.equal(parseCertificate(noEku.der).extensions.extKeyUsage, undefined);
    assert.equal(reason(check(noEku, [int])), 'ok');
    assert.equal(reason(check(noEku, [int], { usage: 'clientAuth', serverName: undefined as never })), 'ok');
  });

  test('rejects a leaf whose EKU lacks the usage, or has only anyExtendedKeyUsage → WrongUsage', () => {
    const client = pki.issue({ name: 'client-eku', subject: '/CN=x', issuer: int, ext: serverExt('DNS:www.example.com', 'clientAuth') });
    assert.equal(reason(check(client, [int])), 'WrongUsage');
    assert.equal(reason(check(client, [int], { usage: 'clientAuth' })), 'ok');
    const any = pki.issue({ name: 'any-eku', subject: '/CN=x', issuer: int, ext: serverExt('DNS:www.example.com', 'anyExtendedKeyUsage') });
    assert.equal(reason(check(any, [int])), 'WrongUsage');
    const noDs = pki.issue({ name: 'no-ds', subject: '/CN=x', issuer: int, ext: ['keyUsage=critical,keyEncipherment', 'extendedKeyUsage=serverAuth', 'subjectAltName=DNS:www.example.com'] });
    assert.equal(reason(check(noDs, [int])), 'WrongUsage');
  });

  test('rejects an intermediate whose EKU lacks the usage → WrongUsage', () => {
    const i = pki.issue({ name: 'int-client', subject: '/CN=Client-only CA', issuer: root, ext: [...caExt(), 'extendedKeyUsage=clientAuth'] });
    const l = pki.issue({ name: 'leaf-int-client', subject: '/CN=x', issuer: i, ext: serverExt('DNS:www.example.com') });
    assert.equal(reason(check(l, [i])), 'WrongUsage');
  });

  test('enforces dNSName and iPAddress name constraints → NameConstraintViolation', () => {
    const i = pki.issue({
      name: 'nc',
      subject: '/CN=Constrained',
      issuer: root,
      ext: [...caExt(), 'nameConstraints=critical,permitted;DNS:example.com,excluded;DNS:bad.example.com,excluded;IP:10.0.0.0/255.0.0.0'],
    });
    const good = pki.issue({ name: 'nc-good', subject: '/CN=x', issuer: i, ext: serverExt('DNS:www.example.com') });
    assert.equal(reason(check(good, [i])), 'ok');
    const outside = pki.issue({ name: 'nc-outside', subject: '/CN=x', issuer: i, ext: serverExt('DNS:www.example.com,DNS:evil.test') });
    assert.equal(reason(check(outside, [i])), 'NameConstraintViolation');
    const excluded = pki.issue({ name: 'nc-excluded', subject: '/CN=x', issuer: i, ext: serverExt('DNS:www.example.com,DNS:x.bad.example.com') });
    assert.equal(reason(check(excluded, [i])), 'NameConstraintViolation');
    const wildcard = pki.issue({ name: 'nc-wild', subject: '/CN=x', issuer: i, ext: serverExt('DNS:www.example.com,DNS:*.example.com') });
    assert.equal(reason(check(wildcard, [i])), 'NameConstraintViolation'); // *.example.com could be bad.example.com
    const ip = pki.issue({ name: 'nc-ip', subject: '/CN=x', issuer: i, ext: serverExt('DNS:www.example.com,IP:10.1.2.3') });
    assert.equal(reason(check(ip, [i])), 'NameConstraintViolation');
  });

  test('rejects a flipped signature byte → BadSignature', () => {
    assert.equal(reason(check(flipLastByte(leaf.der), [int])), 'BadSignature');
    assert.equal(reason(check(leaf, [flipLastByte(int.der)])), 'BadSignature');
  });

  test('rejects an unknown critical extension → UnsupportedCriticalExtension', () => {
    const l = pki.issue({ name: 'crit', subject: '/CN=x', issuer: int, ext: [...serverExt('DNS:www.example.com'), '1.3.6.1.4.1.99999.1=critical,ASN1:NULL'] });
    assert.deepEqual(parseCertificate(l.der).extensions.unhandledCritical, ['1.3.6.1.4.1.99999.1']);
    assert.equal(reason(check(l, [int])), 'UnsupportedCriticalExtension');
    const n = pki.issue({ name: 'noncrit', subject: '/CN=x', issuer: int, ext: [...serverExt('DNS:www.example.com'), '1.3.6.1.4.1.99999.1=ASN1:NULL'] });
    assert.equal(reason(check(n, [int])), 'ok');
  });

  test('tolerates unordered and surplus intermediates', () => {
    const i1 = pki.issue({ name: 'u1', subject: '/CN=Upper', issuer: root, ext: caExt() });
    const i2 = pki.issue({ name: 'u2', subject: '/CN=Lower', issuer: i1, ext: caExt() });
    const l = pki.issue({ name: 'leaf-u', subject: '/CN=x', issuer: i2, ext: serverExt('DNS:www.example.com') });
    const stray = pki.issue({ name: 'stray', subject: '/CN=Stray', issuer: root, ext: caExt() });
    // A same-name impostor CA with another key: path building must backtrack past it.
    const impostor = pki.issue({ name: 'impostor', subject: '/CN=Lower', issuer: i1, ext: caExt() });
    const r = check(l, [root, stray, impostor, i1, int, i2, i2]);
    assert.ok(r.ok, reason(r));
    assert.deepEqual(r.chain, [l.der, i2.der, i1.der, root.der]);
    // Without an authorityKeyIdentifier the impostor is tried first (its signature fails) and the search backtracks.
    // (A client certificate: the TLS server profile requires an AKI in the leaf.)
    const noAki = pki.issue({ name: 'leaf-no-aki', subject: '/CN=x', issuer: i2, ext: serverExt('DNS:www.example.com', 'clientAuth').map((e) => (e.startsWith('authorityKeyIdentifier') ? 'authorityKeyIdentifier=none' : e)) });
    assert.equal(parseCertificate(noAki.der).extensions.authorityKeyIdentifier, undefined);
    const asClient = { usage: 'clientAuth', serverName: undefined as never } as const;
    const r2 = check(noAki, [impostor, i1, i2], asClient);
    assert.ok(r2.ok, reason(r2));
    assert.deepEqual(r2.chain, [noAki.der, i2.der, i1.der, root.der]);
    assert.equal(reason(check(noAki, [impostor, i1], asClient)), 'BadSignature');
  });

  test('rejects an RSA-1024 leaf → UnsupportedKey', () => {
    const l = pki.issue({ name: 'rsa1024', subject: '/CN=x', key: 'rsa1024', issuer: int, ext: serverExt('DNS:www.example.com') });
    assert.equal(parseCertificate(l.der).publicKeyBits, 1024);
    assert.equal(reason(check(l, [int])), 'UnsupportedKey');
    assert.equal(reason(check(l, [int], { minRsaBits: 1024 })), 'ok');
  });

  test('accepts an Ed25519 chain', () => {
    const r = pki.issue({ name: 'ed-root', subject: '/CN=Ed Root', key: 'ed25519', ext: caExt() });
    const i = pki.issue({ name: 'ed-int', subject: '/CN=Ed Int', key: 'ed25519', issuer: r, ext: caExt() });
    const l = pki.issue({ name: 'ed-leaf', subject: '/CN=x', key: 'ed25519', issuer: i, ext: serverExt('DNS:www.example.com') });
    assert.equal(parseCertificate(l.der).publicKeyAlgorithm, 'ed25519');
    assert.equal(parseCertificate(l.der).signatureAlgorithm, 0x0807);
    assert.equal(reason(check(l, [i], { trustAnchors: [r.der] })), 'ok');
    assert.equal(reason(check(flipLastByte(l.der), [i], { trustAnchors: [r.der] })), 'BadSignature');
  });

  test('accepts a P-384 chain signed with SHA-384', () => {
    const r = pki.issue({ name: 'p384-root', subject: '/CN=P384 Root', key: 'p384', ext: caExt(), md: 'sha384' });
    const l = pki.issue({ name: 'p384-leaf', subject: '/CN=x', key: 'p384', issuer: r, ext: serverExt('DNS:www.example.com'), md: 'sha384' });
    const c = parseCertificate(l.der);
    assert.equal(c.publicKeyAlgorithm, 'ec-p384');
    assert.equal(c.signatureAlgorithm, 0x0503);
    assert.equal(reason(check(l, [], { trustAnchors: [r.der] })), 'ok');
  });

  test('accepts RSASSA-PSS signatures with standard parameters', () => {
    const l = pki.issue({ name: 'pss-leaf', subject: '/CN=x', issuer: root, ext: serverExt('DNS:www.example.com'), sigopt: ['rsa_padding_mode:pss', 'rsa_pss_saltlen:digest'] });
    assert.equal(parseCertificate(l.der).signatureAlgorithm, 0x0804);
    assert.equal(reason(check(l, [])), 'ok');
    // Salt length ≠ hash length is not a standard parameter set: unsupported, reported as BadSignature.
    const odd = pki.issue({ name: 'pss-odd', subject: '/CN=x', issuer: root, ext: serverExt('DNS:www.example.com'), sigopt: ['rsa_padding_mode:pss', 'rsa_pss_saltlen:20'] });
    assert.equal(parseCertificate(odd.der).signatureAlgorithm, undefined);
    assert.equal(reason(check(odd, [])), 'BadSignature');
  });

  test('a malformed leaf → BadEncoding; too many certificates → PathTooLong', () => {
    assert.equal(reason(check(leaf.der.subarray(0, leaf.der.length - 1), [int])), 'BadEncoding');
    assert.equal(reason(check(leaf, new Array(255).fill(int))), 'ok');
    assert.equal(reason(check(leaf, new Array(256).fill(int))), 'PathTooLong');
  });
});

describe('ChainVerifier', () => {
  function countingProvider(): { provider: CryptoProvider; verifies: () => number } {
    const base = getDefaultProvider();
    let n = 0;
    const provider: CryptoProvider = Object.create(base) as CryptoProvider;
    provider.loadVerifyingKey = (spki) => {
      const k = base.loadVerifyingKey(spki);
      return { algorithm: k.algorithm, bits: k.bits, verify: (s, d, sig) => (n++, k.verify(s, d, sig)) };
    };
    return { provider, verifies: () => n };
  }

  test('verifies, and caches signature checks across calls', () => {
    const { provider, verifies } = countingProvider();
    const v = new ChainVerifier({ trustAnchors: [root.der], provider });
    const opts = { time: NOW, serverName: 'www.example.com', usage: 'serverAuth' } as const;
    const r1 = v.verify([leaf.der, int.der], opts);
    assert.equal(reason(r1), 'ok');
    assert.equal(verifies(), 2);
    const r2 = v.verify([leaf.der, int.der], opts);
    assert.equal(reason(r2), 'ok');
    assert.equal(verifies(), 2);
    assert.equal(reason(v.verify([leaf.der, int.der], { ...opts, serverName: 'nope.example.com' })), 'WrongName');
    assert.equal(reason(v.verify([flipLastByte(leaf.der), int.der], opts)), 'BadSignature');
    assert.equal(reason(v.verify([], opts)), 'BadEncoding');
  });

  test('a remembered path is reused only within the validity of every certificate above the leaf, for the same presented certificates', () => {
    // The intermediate is valid for 10 days from NOW - 1 day; the leaf under it for a year.
    const i = pki.issue({ name: 'int-short', subject: '/CN=Short Intermediate', issuer: root, ext: caExt(), notBefore: new Date(NOW - DAY), notAfter: new Date(NOW + 10 * DAY) });
    const l = pki.issue({ name: 'leaf-under-short', subject: '/CN=www.example.com', issuer: i, ext: serverExt('DNS:www.example.com'), notBefore: new Date(NOW - DAY), notAfter: new Date(NOW + 300 * DAY) });
    const other = pki.issue({ name: 'int-other', subject: '/CN=Other Intermediate', issuer: root, ext: caExt() });
    const v = new ChainVerifier({ trustAnchors: [root.der] });
    const at = (time: number, chain: readonly Uint8Array[] = [l.der, i.der]): ChainResult => v.verify(chain, { time, serverName: 'www.example.com', usage: 'serverAuth' });
    const first = at(NOW);
    assert.ok(first.ok);
    assert.deepEqual(first.chain, [l.der, i.der, root.der]);
    const again = at(NOW + DAY);
    assert.ok(again.ok);
    assert.deepEqual(again.chain, [l.der, i.der, root.der]);
    assert.notEqual(again.chain, first.chain, 'a fresh array per result');
    // Past the intermediate's notAfter (the leaf still valid): the path is searched again and fails.
    assert.equal(reason(at(NOW + 20 * DAY)), 'Expired');
    // Before its notBefore: likewise.
    assert.equal(reason(at(NOW - 2 * DAY)), 'NotYetValid');
    assert.equal(reason(at(NOW)), 'ok');
    // Other presented certificates, or none: a new search (which here needs the intermediate).
    assert.equal(reason(at(NOW, [l.der, other.der, i.der])), 'ok');
    assert.equal(reason(at(NOW, [l.der])), 'UnknownIssuer');
    assert.equal(reason(at(NOW, [l.der, i.der])), 'ok');
    // The leaf's own checks and the name still run on every validation.
    assert.equal(reason(v.verify([l.der, i.der], { time: NOW, serverName: 'other.example.com', usage: 'serverAuth' })), 'WrongName');
    assert.equal(reason(v.verify([l.der, i.der], { time: NOW + 400 * DAY, serverName: 'www.example.com', usage: 'serverAuth' })), 'Expired');
    assert.equal(reason(v.verify([l.der, i.der], { time: NOW, usage: 'clientAuth' })), 'WrongUsage');
  });

  test('throws InvalidConfig for an unparseable trust anchor', () => {
    assert.throws(() => new ChainVerifier({ trustAnchors: [new Uint8Array([0x30, 0x00])] }), { kind: 'InvalidConfig' });
  });
});
