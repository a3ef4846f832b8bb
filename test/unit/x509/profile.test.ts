/**
 * The path-validation rules beyond signatures and names, one test each (docs/design/x509-policy.md): what of a
 * trust anchor is checked, extension criticality, AKI/SKI, name-constraint syntax, types and budget, the leaf
 * profile, path building over many presented certificates, maxIntermediates and second-granularity validity.
 * Certificates are made with the openssl CLI (test/helpers/x509-pki.ts).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rootCertificates } from 'node:tls';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { checkTrustAnchor, parseCertificate, pemToDer, verifyChain, type ChainResult, type VerifyChainOptions } from '../../../src/x509/index.js';
import { TestPki, caExt, serverExt, type PkiCert } from '../../helpers/x509-pki.js';

const DAY = 86400_000;
const NOW = Date.now();
const NAME = 'www.example.com';

let pki: TestPki;
let root: PkiCert;
let int: PkiCert;

function reason(r: ChainResult): string {
  return r.ok ? 'ok' : r.reason;
}

function check(leaf: PkiCert | Uint8Array, intermediates: readonly PkiCert[], extra: Partial<VerifyChainOptions> = {}): string {
  const r = verifyChain({
    leaf: leaf instanceof Uint8Array ? leaf : leaf.der,
    intermediates: intermediates.map((c) => c.der),
    trustAnchors: [root.der],
    time: NOW,
    usage: 'serverAuth',
    serverName: NAME,
    ...extra,
  });
  return reason(r);
}

const asClient = { usage: 'clientAuth', serverName: undefined as never } as const;

/** Colon hex of `c`'s subjectKeyIdentifier, for hand-made authorityKeyIdentifier values. */
function skiHex(c: PkiCert): string {
  const ski = parseCertificate(c.der).extensions.subjectKeyIdentifier;
  assert.ok(ski !== undefined);
  return Buffer.from(ski).toString('hex').replace(/(..)(?!$)/g, '$1:');
}

/** DER of an AuthorityKeyIdentifier with just `keyIdentifier` (colon hex), as an openssl `DER:` value. */
function akiDer(keyIdColonHex: string): string {
  const n = keyIdColonHex.split(':').length;
  const h = (x: number): string => x.toString(16).padStart(2, '0');
  return `DER:30:${h(n + 2)}:80:${h(n)}:${keyIdColonHex}`;
}

let serial = 0x4000;
/** Issue with `openssl x509 -req` (for what `openssl ca` will not do: a chosen serial, a v1 certificate). */
function issueX509(name: string, issuer: PkiCert, subject: string, ext: readonly string[] | undefined, setSerial?: string): PkiCert {
  const key = pki.key(name, 'p256');
  const csr = join(pki.dir, `${name}.csr`);
  pki.openssl(['req', '-new', '-key', key, '-subj', subject, '-out', csr]);
  const certPath = join(pki.dir, `${name}.pem`);
  const args = ['x509', '-req', '-in', csr, '-CA', issuer.certPath, '-CAkey', issuer.keyPath, '-out', certPath, '-days', '30', '-set_serial', setSerial ?? String(serial++)];
  if (ext !== undefined) {
    const extFile = join(pki.dir, `${name}.ext`);
    writeFileSync(extFile, `[e]\n${ext.join('\n')}\n`);
    args.push('-extfile', extFile, '-extensions', 'e');
  }
  pki.openssl(args);
  const der = new Uint8Array(execFileSync('openssl', ['x509', '-in', certPath, '-outform', 'DER']));
  return { name, der, pem: '', certPath, keyPath: key, caDir: '', keyKind: 'p256' };
}

before(() => {
  pki = new TestPki();
  root = pki.issue({ name: 'root', subject: '/CN=Profile Root', ext: caExt() });
  int = pki.issue({ name: 'int', subject: '/CN=Profile Intermediate', issuer: root, ext: caExt() });
});
after(() => pki.cleanup());

describe('trust anchors: the strict reading', () => {
  test('an expired anchor does not anchor → Expired; nor a not-yet-valid one → NotYetValid', () => {
    const old = pki.issue({ name: 'old-root', subject: '/CN=Old Root', ext: caExt(), notBefore: new Date(NOW - 30 * DAY), notAfter: new Date(NOW - DAY) });
    const l = pki.issue({ name: 'under-old', subject: '/CN=x', issuer: old, ext: serverExt(`DNS:${NAME}`), notBefore: new Date(NOW - 20 * DAY) });
    assert.equal(check(l, [], { trustAnchors: [old.der] }), 'Expired');
    assert.equal(check(l, [], { trustAnchors: [old.der], time: NOW - 2 * DAY }), 'ok');
    const early = pki.issue({ name: 'early-root', subject: '/CN=Future Root', ext: caExt(), notBefore: new Date(NOW + DAY), notAfter: new Date(NOW + 30 * DAY) });
    const m = pki.issue({ name: 'under-early', subject: '/CN=x', issuer: early, ext: serverExt(`DNS:${NAME}`) });
    assert.equal(check(m, [], { trustAnchors: [early.der] }), 'NotYetValid');
  });

  test('an anchor must be a CA (basicConstraints cA) and, with keyUsage, have keyCertSign', () => {
    const cases: [string, string[], string][] = [
      ['no-bc', ['subjectKeyIdentifier=hash'], 'NotCa'],
      ['bc-false', ['basicConstraints=critical,CA:FALSE', 'subjectKeyIdentifier=hash'], 'NotCa'],
      // Tolerated in an anchor only: a root of Node's store has a non-critical basicConstraints.
      ['bc-noncrit', ['basicConstraints=CA:TRUE', 'keyUsage=critical,keyCertSign', 'subjectKeyIdentifier=hash'], 'ok'],
      ['ku-no-certsign', ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,digitalSignature', 'subjectKeyIdentifier=hash'], 'WrongUsage'],
      ['no-ku', ['basicConstraints=critical,CA:TRUE', 'subjectKeyIdentifier=hash'], 'ok'],
    ];
    for (const [name, ext, want] of cases) {
      const a = pki.issue({ name: `anchor-${name}`, subject: `/CN=Anchor ${name}`, ext });
      const l = pki.issue({ name: `leaf-${name}`, subject: '/CN=x', issuer: a, ext: serverExt(`DNS:${NAME}`) });
      assert.equal(check(l, [], { trustAnchors: [a.der] }), want, name);
    }
  });

  test('an unknown critical extension in the anchor used → UnsupportedCriticalExtension; in an unrelated anchor, harmless', () => {
    const a = pki.issue({ name: 'anchor-crit', subject: '/CN=Anchor Crit', ext: [...caExt(), '1.3.6.1.4.1.99999.7=critical,ASN1:NULL'] });
    const l = pki.issue({ name: 'leaf-crit-anchor', subject: '/CN=x', issuer: a, ext: serverExt(`DNS:${NAME}`) });
    assert.equal(check(l, [], { trustAnchors: [a.der] }), 'UnsupportedCriticalExtension');
    const good = pki.issue({ name: 'leaf-good', subject: '/CN=x', issuer: root, ext: serverExt(`DNS:${NAME}`) });
    assert.equal(check(good, [], { trustAnchors: [a.der, root.der] }), 'ok');
  });

  test('an anchor with extKeyUsage → WrongUsage; an AKI other than its own SKI, or with issuer and serial → BadEncoding', () => {
    const eku = pki.issue({ name: 'anchor-eku', subject: '/CN=Anchor EKU', ext: [...caExt(), 'extendedKeyUsage=serverAuth'] });
    const l1 = pki.issue({ name: 'leaf-eku-anchor', subject: '/CN=x', issuer: eku, ext: serverExt(`DNS:${NAME}`) });
    assert.equal(check(l1, [], { trustAnchors: [eku.der] }), 'WrongUsage');
    const mismatch = pki.issue({
      name: 'anchor-aki-mismatch', subject: '/CN=Anchor AKI', ext: ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign', 'subjectKeyIdentifier=hash', `authorityKeyIdentifier=${akiDer('01:02:03:04')}`],
    });
    const l2 = pki.issue({ name: 'leaf-aki-mismatch', subject: '/CN=x', issuer: mismatch, ext: serverExt(`DNS:${NAME}`) });
    assert.equal(check(l2, [], { trustAnchors: [mismatch.der] }), 'BadEncoding');
    // Naming itself in authorityCertIssuer/SerialNumber is harmless (QuoVadis Root CA 2 does); naming another is not.
    const own = pki.issue({ name: 'anchor-aki-own', subject: '/CN=Anchor AKI Own', ext: ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign', 'subjectKeyIdentifier=hash', 'authorityKeyIdentifier=keyid:always,issuer:always'] });
    assert.equal(parseCertificate(own.der).extensions.authorityKey?.hasAuthorityCertIssuer, true);
    const l3 = pki.issue({ name: 'leaf-aki-own', subject: '/CN=x', issuer: own, ext: serverExt(`DNS:${NAME}`) });
    assert.equal(check(l3, [], { trustAnchors: [own.der] }), 'ok');
    const otherAki = 'authorityKeyIdentifier=DER:30:10:80:04:01:02:03:04:a1:04:a4:02:30:00:82:02:04:d2'; // keyid, issuer '', serial 1234
    const other = pki.issue({ name: 'anchor-aki-other', subject: '/CN=Anchor AKI Other', ext: ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign', 'subjectKeyIdentifier=01:02:03:04', otherAki] });
    assert.equal(parseCertificate(other.der).extensions.authorityKey?.authorityCertSerialNumber, '04d2');
    const l4 = pki.issue({ name: 'leaf-aki-other', subject: '/CN=x', issuer: other, ext: serverExt(`DNS:${NAME}`) });
    assert.equal(check(l4, [], { trustAnchors: [other.der] }), 'BadEncoding');
  });

  test('an anchor with an RSA-1024 key → UnsupportedKey', () => {
    const weak = pki.issue({ name: 'anchor-1024', subject: '/CN=Weak Root', key: 'rsa1024', ext: caExt() });
    const l = pki.issue({ name: 'leaf-weak-root', subject: '/CN=x', issuer: weak, ext: serverExt(`DNS:${NAME}`) });
    assert.equal(check(l, [], { trustAnchors: [weak.der] }), 'UnsupportedKey');
  });

  test('every root of tls.rootCertificates passes the anchor checks (now, or inside its validity if it has expired)', () => {
    let n = 0;
    for (const pem of rootCertificates) {
      const der = pemToDer(pem)[0] as Uint8Array;
      const c = parseCertificate(der);
      const time = NOW > c.notAfter ? c.notAfter - DAY : NOW;
      const r = checkTrustAnchor(der, { time });
      assert.ok(r.ok, `${c.subject.text}: ${r.ok ? '' : r.detail}`);
      n++;
    }
    assert.ok(n > 100);
  });
});

describe('extension criticality', () => {
  test('authorityInfoAccess: non-critical fine; critical (not processed) → UnsupportedCriticalExtension; malformed → BadEncoding', () => {
    const aia = 'authorityInfoAccess=caIssuers;URI:http://ca.example/int.der';
    const ok = pki.issue({ name: 'aia', subject: '/CN=x', issuer: int, ext: [...serverExt(`DNS:${NAME}`), aia] });
    assert.equal(check(ok, [int]), 'ok');
    const crit = pki.issue({ name: 'aia-crit', subject: '/CN=x', issuer: int, ext: [...serverExt(`DNS:${NAME}`), aia.replace('=', '=critical,')] });
    assert.equal(check(crit, [int]), 'UnsupportedCriticalExtension');
    // A SEQUENCE OF whose element is an INTEGER, not an AccessDescription.
    const bad = pki.issue({ name: 'aia-bad', subject: '/CN=x', issuer: int, ext: [...serverExt(`DNS:${NAME}`), 'authorityInfoAccess=DER:30:03:02:01:01'] });
    assert.equal(check(bad, [int]), 'BadEncoding');
  });

  test('an empty subject needs a critical subjectAltName; a non-empty one must not have it critical (server profile)', () => {
    const sanNonCrit = pki.issue({ name: 'empty-subj', subject: '/', issuer: int, ext: serverExt(`DNS:${NAME}`) });
    assert.equal(parseCertificate(sanNonCrit.der).subject.text, '');
    assert.equal(check(sanNonCrit, [int]), 'BadEncoding');
    const sanCrit = pki.issue({ name: 'empty-subj-crit', subject: '/', issuer: int, ext: serverExt(`DNS:${NAME}`).map((e) => e.replace('subjectAltName=', 'subjectAltName=critical,')) });
    assert.equal(check(sanCrit, [int]), 'ok');
    const named = pki.issue({ name: 'named-san-crit', subject: '/CN=x', issuer: int, ext: serverExt(`DNS:${NAME}`, 'serverAuth,clientAuth').map((e) => e.replace('subjectAltName=', 'subjectAltName=critical,')) });
    assert.equal(check(named, [int]), 'BadEncoding');
    assert.equal(check(named, [int], asClient), 'ok');
  });

  test('a critical extKeyUsage in a TLS server certificate → BadEncoding', () => {
    const l = pki.issue({ name: 'eku-crit', subject: '/CN=x', issuer: int, ext: serverExt(`DNS:${NAME}`, 'critical,serverAuth') });
    assert.equal(check(l, [int]), 'BadEncoding');
  });

  test('critical authorityKeyIdentifier or subjectKeyIdentifier → BadEncoding', () => {
    const aki = pki.issue({ name: 'aki-crit', subject: '/CN=x', issuer: int, ext: [...serverExt(`DNS:${NAME}`).filter((e) => !e.startsWith('authorityKeyIdentifier')), `authorityKeyIdentifier=critical,${akiDer(skiHex(int))}`] });
    assert.ok(parseCertificate(aki.der).extensions.critical.includes('2.5.29.35'));
    assert.equal(check(aki, [int]), 'BadEncoding');
    const ski = pki.issue({ name: 'ski-crit', subject: '/CN=x', issuer: int, ext: [...serverExt(`DNS:${NAME}`).filter((e) => !e.startsWith('subjectKeyIdentifier')), 'subjectKeyIdentifier=critical,DER:04:02:01:02'] });
    assert.equal(check(ski, [int]), 'BadEncoding');
  });

  test("an intermediate's basicConstraints must be critical → BadEncoding", () => {
    const i = pki.issue({ name: 'int-bc-noncrit', subject: '/CN=BC NonCrit', issuer: root, ext: caExt().map((e) => e.replace('basicConstraints=critical,', 'basicConstraints=')) });
    const l = pki.issue({ name: 'leaf-bc-noncrit', subject: '/CN=x', issuer: i, ext: serverExt(`DNS:${NAME}`) });
    assert.equal(check(l, [i]), 'BadEncoding');
  });

  test('policyConstraints (not processed) in an intermediate, critical or not → rejected', () => {
    for (const crit of ['critical,', '']) {
      const i = pki.issue({ name: `pc-${crit.length}`, subject: `/CN=PC ${crit.length}`, issuer: root, ext: [...caExt(), `policyConstraints=${crit}requireExplicitPolicy:0`] });
      const l = pki.issue({ name: `leaf-pc-${crit.length}`, subject: '/CN=x', issuer: i, ext: serverExt(`DNS:${NAME}`) });
      assert.equal(check(l, [i]), crit === '' ? 'BadEncoding' : 'UnsupportedCriticalExtension');
    }
  });

  test('non-critical nameConstraints are applied (CA/B allows them non-critical; Go, pyca and webpki accept)', () => {
    const i = pki.issue({ name: 'nc-noncrit', subject: '/CN=NC NonCrit', issuer: root, ext: [...caExt(), 'nameConstraints=permitted;DNS:example.com'] });
    const inside = pki.issue({ name: 'nc-noncrit-in', subject: '/CN=x', issuer: i, ext: serverExt(`DNS:${NAME}`) });
    assert.equal(check(inside, [i]), 'ok');
    const outside = pki.issue({ name: 'nc-noncrit-out', subject: '/CN=x', issuer: i, ext: serverExt(`DNS:${NAME},DNS:evil.test`) });
    assert.equal(check(outside, [i]), 'NameConstraintViolation');
  });
});

describe('authority and subject key identifiers', () => {
  test('a leaf without authorityKeyIdentifier is accepted as server and client certificate (OpenSSL, Go, webpki, Windows do; Node\'s fixtures have none)', () => {
    const l = pki.issue({ name: 'leaf-noaki', subject: '/CN=x', issuer: int, ext: serverExt(`DNS:${NAME}`, 'serverAuth,clientAuth').map((e) => (e.startsWith('authorityKeyIdentifier') ? 'authorityKeyIdentifier=none' : e)) });
    assert.equal(parseCertificate(l.der).extensions.authorityKey, undefined);
    assert.equal(check(l, [int]), 'ok');
    assert.equal(check(l, [int], asClient), 'ok');
  });

  test('an intermediate without authorityKeyIdentifier or without subjectKeyIdentifier → BadEncoding', () => {
    const noAki = pki.issue({ name: 'int-noaki', subject: '/CN=Int NoAKI', issuer: root, ext: caExt().map((e) => (e.startsWith('authorityKeyIdentifier') ? 'authorityKeyIdentifier=none' : e)) });
    const l1 = pki.issue({ name: 'leaf-int-noaki', subject: '/CN=x', issuer: noAki, ext: serverExt(`DNS:${NAME}`) });
    assert.equal(check(l1, [noAki]), 'BadEncoding');
    const noSki = pki.issue({ name: 'int-noski', subject: '/CN=Int NoSKI', issuer: root, ext: caExt().map((e) => (e.startsWith('subjectKeyIdentifier') ? 'subjectKeyIdentifier=none' : e)) });
    assert.equal(parseCertificate(noSki.der).extensions.subjectKeyIdentifier, undefined);
    const l2 = pki.issue({ name: 'leaf-int-noski', subject: '/CN=x', issuer: noSki, ext: serverExt(`DNS:${NAME}`).map((e) => (e.startsWith('authorityKeyIdentifier') ? 'authorityKeyIdentifier=issuer:always' : e)) });
    assert.equal(check(l2, [noSki]), 'BadEncoding');
  });
});

describe('name constraints', () => {
  function constrained(name: string, nc: string): PkiCert {
    return pki.issue({ name, subject: `/CN=${name}`, issuer: root, ext: [...caExt(), `nameConstraints=critical,${nc}`] });
  }

  test('an otherName base fails closed for a leaf carrying an otherName, and is a no-op for one without', () => {
    const i = constrained('nc-other', 'excluded;otherName:1.3.6.1.4.1.311.20.2.3;UTF8:a@example.com');
    const withUpn = pki.issue({ name: 'upn-leaf', subject: '/CN=x', issuer: i, ext: serverExt(`DNS:${NAME},otherName:1.3.6.1.4.1.311.20.2.3;UTF8:b@example.com`) });
    assert.equal(check(withUpn, [i]), 'NameConstraintViolation');
    const plain = pki.issue({ name: 'upn-free-leaf', subject: '/CN=x', issuer: i, ext: serverExt(`DNS:${NAME}`) });
    assert.equal(check(plain, [i]), 'ok');
  });

  test('a dNSName base with a leading period is malformed → NameConstraintViolation', () => {
    const i = constrained('nc-dot', 'permitted;DNS:.example.com');
    const l = pki.issue({ name: 'dot-leaf', subject: '/CN=x', issuer: i, ext: serverExt(`DNS:${NAME}`) });
    assert.equal(check(l, [i]), 'NameConstraintViolation');
  });

  test('nameConstraints in a leaf → BadEncoding', () => {
    const l = pki.issue({ name: 'nc-in-leaf', subject: '/CN=x', issuer: int, ext: [...serverExt(`DNS:${NAME}`), 'nameConstraints=critical,permitted;DNS:example.com'] });
    assert.equal(check(l, [int]), 'BadEncoding');
  });

  test('a malformed dNSName SAN fails under a DNS constraint; `_` in a SAN is refused in a server certificate', () => {
    const i = constrained('nc-perm', 'permitted;DNS:example.com');
    const dotSan = pki.issue({ name: 'dot-san', subject: '/CN=x', issuer: i, ext: serverExt(`DNS:${NAME},DNS:.example.com`, 'clientAuth') });
    assert.equal(check(dotSan, [i], asClient), 'NameConstraintViolation');
    const underscore = pki.issue({ name: 'underscore-san', subject: '/CN=x', issuer: int, ext: serverExt(`DNS:${NAME},DNS:foo_bar.example.com`) });
    assert.equal(check(underscore, [int]), 'BadEncoding');
  });

  test('rfc822Name constraints are evaluated (client certificates)', () => {
    const i = constrained('nc-mail', 'permitted;email:example.com');
    const inside = pki.issue({ name: 'mail-in', subject: '/CN=x', issuer: i, ext: serverExt('email:alice@example.com', 'clientAuth') });
    assert.equal(check(inside, [i], asClient), 'ok');
    const outside = pki.issue({ name: 'mail-out', subject: '/CN=x', issuer: i, ext: serverExt('email:alice@evil.test', 'clientAuth') });
    assert.equal(check(outside, [i], asClient), 'NameConstraintViolation');
  });

  test('name × constraint comparisons are budgeted: 600 names under 200 bases fail without being compared', () => {
    const bases = Array.from({ length: 200 }, (_, k) => `permitted;DNS:d${k}.example.com`).join(',');
    const i = constrained('nc-many', bases);
    const sans = Array.from({ length: 600 }, (_, k) => `DNS:h${k}.d0.example.com`).join(',');
    const l = pki.issue({ name: 'many-sans', subject: '/CN=x', issuer: i, ext: serverExt(`DNS:${NAME.replace('www', 'w.d1')},${sans}`) });
    const r = verifyChain({ leaf: l.der, intermediates: [i.der], trustAnchors: [root.der], time: NOW, usage: 'serverAuth' });
    assert.equal(reason(r), 'NameConstraintViolation');
    assert.ok(!r.ok && /budget/.test(r.detail), r.ok ? '' : r.detail);
  });
});

describe('leaf profile', () => {
  test('keyUsage keyCertSign without cA → WrongUsage', () => {
    const l = pki.issue({ name: 'ku-certsign', subject: '/CN=x', issuer: int, ext: serverExt(`DNS:${NAME}`).map((e) => (e.startsWith('keyUsage') ? 'keyUsage=critical,digitalSignature,keyCertSign' : e)) });
    assert.equal(check(l, [int]), 'WrongUsage');
  });

  test('a cA=TRUE leaf: refused for serverAuth, accepted for clientAuth and when pinned as an anchor', () => {
    const ext = ['basicConstraints=critical,CA:TRUE', 'subjectKeyIdentifier=hash', 'authorityKeyIdentifier=keyid', `subjectAltName=DNS:${NAME}`];
    const l = pki.issue({ name: 'ca-leaf', subject: '/CN=CA Leaf', issuer: int, ext });
    assert.equal(check(l, [int]), 'WrongUsage');
    assert.equal(check(l, [int], asClient), 'ok');
    const self = pki.issue({ name: 'ca-self', subject: '/CN=Pinned', ext });
    assert.equal(check(self, [], { trustAnchors: [self.der] }), 'ok');
    // What `openssl req -x509 -addext keyUsage=critical,digitalSignature` makes: cA=TRUE without keyCertSign.
    const dsOnly = [...ext, 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=serverAuth'];
    const pinnedDs = pki.issue({ name: 'ca-self-ds', subject: '/CN=Pinned DS', ext: dsOnly });
    assert.equal(check(pinnedDs, [], { trustAnchors: [pinnedDs.der] }), 'ok');
    const issuedDs = pki.issue({ name: 'ca-ds-leaf', subject: '/CN=CA DS Leaf', issuer: int, ext: dsOnly });
    assert.equal(check(issuedDs, [int], asClient), 'WrongUsage'); // not pinned: cA without keyCertSign is inconsistent
  });

  test('anyExtendedKeyUsage next to serverAuth in a server certificate → WrongUsage', () => {
    const l = pki.issue({ name: 'any-and-server', subject: '/CN=x', issuer: int, ext: serverExt(`DNS:${NAME}`, 'serverAuth,anyExtendedKeyUsage') });
    assert.equal(check(l, [int]), 'WrongUsage');
  });

  test('serial numbers zero or negative → BadEncoding', () => {
    const ext = serverExt(`DNS:${NAME}`);
    for (const s of ['0', '-5']) {
      const l = issueX509(`serial${s}`, int, '/CN=x', ext, s);
      assert.equal(check(l, [int], { time: Date.now() + 5000 }), 'BadEncoding', `serial ${s}`);
    }
    assert.equal(check(issueX509('serial-ok', int, '/CN=x', ext), [int], { time: Date.now() + 5000 }), 'ok');
  });

  test('an RSA modulus that is not a whole number of octets → UnsupportedKey', () => {
    const keyPath = join(pki.dir, 'rsa2052.key');
    pki.openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2052', '-out', keyPath]);
    const csr = join(pki.dir, 'rsa2052.csr');
    pki.openssl(['req', '-new', '-key', keyPath, '-subj', '/CN=x', '-out', csr]);
    const certPath = join(pki.dir, 'rsa2052.pem');
    const extFile = join(pki.dir, 'rsa2052.ext');
    writeFileSync(extFile, `[e]\n${serverExt(`DNS:${NAME}`).join('\n')}\n`);
    pki.openssl(['x509', '-req', '-in', csr, '-CA', int.certPath, '-CAkey', int.keyPath, '-out', certPath, '-days', '30', '-extfile', extFile, '-extensions', 'e']);
    const der = new Uint8Array(execFileSync('openssl', ['x509', '-in', certPath, '-outform', 'DER']));
    assert.equal(parseCertificate(der).publicKeyBits, 2052);
    assert.equal(check(der, [int], { time: Date.now() + 5000 }), 'UnsupportedKey');
  });

  test('a v1 certificate (`openssl x509 -req` without extensions): refused as a server certificate, accepted as a client one', () => {
    const v1 = issueX509('v1-leaf', int, '/CN=v1 client', undefined);
    assert.equal(parseCertificate(v1.der).version, 1);
    assert.equal(check(v1, [int], { serverName: undefined as never, time: Date.now() + 5000 }), 'BadEncoding');
    assert.equal(check(v1, [int], { ...asClient, time: Date.now() + 5000 }), 'ok');
  });

  test('a CA with an empty subject → BadEncoding', () => {
    const i = pki.issue({ name: 'int-empty', subject: '/', issuer: root, ext: [...caExt(), 'subjectAltName=critical,DNS:ca.example.com'] });
    const l = issueX509('leaf-under-empty', i, '/CN=x', serverExt(`DNS:${NAME}`));
    assert.equal(check(l, [i], { time: Date.now() + 5000 }), 'BadEncoding');
  });
});

describe('path building and bounds', () => {
  test('a short valid path among 40 presented certificates (same-name impostors, strays, duplicates) is found', () => {
    const impostors = Array.from({ length: 30 }, (_, k) => pki.issue({ name: `imp${k}`, subject: '/CN=Profile Intermediate', issuer: root, ext: caExt() }));
    const strays = Array.from({ length: 8 }, (_, k) => pki.issue({ name: `stray${k}`, subject: `/CN=Stray ${k}`, issuer: root, ext: caExt() }));
    // Without an AKI to order by, the impostors are tried (each costs a signature check) before the real issuer.
    const l = pki.issue({ name: 'needle', subject: '/CN=x', issuer: int, ext: serverExt(`DNS:${NAME}`, 'serverAuth,clientAuth').map((e) => (e.startsWith('authorityKeyIdentifier') ? 'authorityKeyIdentifier=none' : e)) });
    const presented = [...impostors, ...strays, int, int];
    assert.equal(presented.length, 40);
    const r = verifyChain({ leaf: l.der, intermediates: presented.map((c) => c.der), trustAnchors: [root.der], time: NOW, usage: 'clientAuth' });
    assert.ok(r.ok, r.ok ? '' : r.detail);
    assert.equal(r.chain.length, 3);
  });

  test('the search is bounded by work, not by what is presented: 101 same-name impostors exhaust the signature budget', () => {
    // 101 same-name impostors: one certificate and copies with other serial numbers (never verified themselves:
    // the search tries each as the leaf's issuer, and the leaf's signature fails under its key).
    const base = pki.issue({ name: 'imp-base', subject: '/CN=Profile Intermediate', issuer: root, ext: caExt() });
    const serial = Buffer.from(parseCertificate(base.der).serialNumber, 'hex');
    const at = Buffer.from(base.der).indexOf(serial);
    const lastByte = base.der[at + serial.length - 1] as number;
    const impostors = Array.from({ length: 101 }, (_, k): PkiCert => {
      const der = base.der.slice();
      der[at + serial.length - 1] = (lastByte + 1 + k) & 0xff;
      return { ...base, der };
    });
    const l = pki.issue({ name: 'needle2', subject: '/CN=x', issuer: int, ext: serverExt(`DNS:${NAME}`, 'serverAuth,clientAuth').map((e) => (e.startsWith('authorityKeyIdentifier') ? 'authorityKeyIdentifier=none' : e)) });
    const run = (presented: readonly PkiCert[]): ChainResult =>
      verifyChain({ leaf: l.der, intermediates: presented.map((c) => c.der), trustAnchors: [root.der], time: Date.now() + 5000, usage: 'clientAuth' });
    const exhausted = run([...impostors, int]);
    assert.equal(reason(exhausted), 'UnknownIssuer');
    assert.ok(!exhausted.ok && /gave up: 100 signature checks/.test(exhausted.detail), exhausted.ok ? '' : exhausted.detail);
    assert.equal(reason(run([...impostors.slice(0, 90), int])), 'ok');
  });

  test('maxIntermediates counts the certificates between leaf and anchor: 0 allows a leaf issued by the anchor only', () => {
    const direct = pki.issue({ name: 'direct', subject: '/CN=x', issuer: root, ext: serverExt(`DNS:${NAME}`) });
    assert.equal(check(direct, [], { maxIntermediates: 0 }), 'ok');
    const below = pki.issue({ name: 'below-int', subject: '/CN=x', issuer: int, ext: serverExt(`DNS:${NAME}`) });
    assert.equal(check(below, [int], { maxIntermediates: 0 }), 'PathTooLong');
    assert.equal(check(below, [int], { maxIntermediates: 1 }), 'ok');
  });

  test('validity is compared at the second: 0.9 s past notAfter is still valid, 1 ms before notBefore is not', () => {
    const nb = Math.floor(NOW / 1000) * 1000 - 10_000;
    const na = nb + 60_000;
    const l = pki.issue({ name: 'exact', subject: '/CN=x', issuer: int, ext: serverExt(`DNS:${NAME}`), notBefore: new Date(nb), notAfter: new Date(na) });
    assert.equal(check(l, [int], { time: na + 900 }), 'ok');
    assert.equal(check(l, [int], { time: na + 1000 }), 'Expired');
    assert.equal(check(l, [int], { time: nb - 1 }), 'NotYetValid');
    assert.equal(check(l, [int], { time: nb }), 'ok');
  });
});
