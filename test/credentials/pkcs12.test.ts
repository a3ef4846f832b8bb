/**
 * The PKCS#12 reader and writer and the encrypted-key loader against files the real tools make: openssl pkcs12
 * -export (PBES2 default, 3DES, -legacy RC2), Java keytool PKCS12 keystores, node-forge (an independent PKCS#12
 * implementation), openssl pkcs8/ec/rsa encrypted keys. Our output is read back by openssl, keytool, Node's own
 * OpenSSL (tls.createSecureContext) and node-forge. Damaged files, wrong passwords and unsupported algorithms give
 * their documented CredentialError codes.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tls from 'node:tls';
import forge from 'node-forge';
import { getDefaultCredentialCrypto } from '../../src/crypto/node-provider.js';
import {
  CredentialError,
  keysWithChains,
  loadPfx,
  readPfx,
  unlockPrivateKey,
  writePfx,
  isPfx,
  verifyPfxPassword,
  pkcs12Kdf,
  type CredentialErrorCode,
} from '../../src/credentials/index.js';
import { parseCertificate } from '../../src/x509/certificate.js';
import { getPki, type Pki } from '../helpers/pki.js';
import { projectRoot } from '../helpers/peers.js';
import { toHex } from '../helpers/hex.js';
import { bytes, openssl, opensslAccepts, path, tool, toBer } from './files.js';

const crypto = getDefaultCredentialCrypto();
let pki: Pki;
before(async () => {
  pki = await getPki();
});

function codeOf(fn: () => unknown): CredentialErrorCode | 'no error' {
  try {
    fn();
    return 'no error';
  } catch (e) {
    if (e instanceof CredentialError) return e.code;
    throw e;
  }
}

function spkiOf(certDer: Uint8Array): string {
  return toHex(parseCertificate(certDer).spki);
}

test('openssl pkcs12 -export (PBES2 AES-256-CBC, SHA-256 MAC): key, chain, friendly name and local key id', () => {
  const c = readPfx(bytesAbs(pki.server.p256.p12Path), pki.server.p256.p12Password);
  assert.equal(c.macDigest, 'sha256');
  assert.deepEqual([...new Set(c.schemes)], ['PBES2']);
  assert.equal(c.certificates.length, 2);
  assert.equal(c.keys.length, 1);
  const key = c.keys[0]!;
  assert.equal(key.friendlyName, 'server-p256');
  const leafBag = c.certificates.find((x) => toHex(x.der) === toHex(pki.server.p256.certDer));
  assert.ok(leafBag !== undefined, 'leaf certificate bag');
  assert.equal(toHex(leafBag.localKeyId!), toHex(key.localKeyId!));
  const pairs = keysWithChains(c);
  assert.equal(pairs.length, 1);
  assert.deepEqual(pairs[0]!.chain.map(toHex), [toHex(pki.server.p256.certDer), toHex(pki.ca.certDer)]);
  assert.equal(toHex(crypto.privateKey(pairs[0]!.key).spki), spkiOf(pki.server.p256.certDer));
  assert.equal(toHex(crypto.privateKey(pairs[0]!.key).spki), toHex(crypto.privateKey(pki.server.p256.keyDer).spki));
});

test('RSA, P-384 and Ed25519 keys in openssl PFX files load with their certificates', () => {
  for (const leaf of [pki.server.rsa2048, pki.server.p384, pki.server.ed25519]) {
    const p = loadPfx(bytesAbs(leaf.p12Path), leaf.p12Password);
    assert.equal(toHex(p.chain[0]!), toHex(leaf.certDer), leaf.name);
    assert.equal(toHex(crypto.privateKey(p.key).spki), spkiOf(leaf.certDer), leaf.name);
  }
});

function bytesAbs(file: string): Uint8Array {
  return new Uint8Array(readFileSync(file));
}

test('openssl 3DES PFX (PBE-SHA1-3DES for keys and certificates, SHA-1 MAC, as older Windows exports)', () => {
  const leaf = pki.client;
  openssl(['pkcs12', '-export', '-in', leaf.certPath, '-inkey', leaf.keyPath, '-certfile', pki.ca.certPath, '-name', 'client 3des',
    '-certpbe', 'PBE-SHA1-3DES', '-keypbe', 'PBE-SHA1-3DES', '-macalg', 'sha1', '-passout', 'pass:3des-pass', '-out', path('des3.p12')]);
  const c = readPfx(bytes('des3.p12'), '3des-pass');
  assert.equal(c.macDigest, 'sha1');
  assert.deepEqual([...new Set(c.schemes)], ['pbeWithSHAAnd3-KeyTripleDES-CBC']);
  const p = loadPfx(bytes('des3.p12'), '3des-pass');
  assert.equal(p.friendlyName, 'client 3des');
  assert.equal(toHex(p.chain[0]!), toHex(leaf.certDer));
});

test('openssl -legacy (RC2-40 certificates): UnsupportedAlgorithm naming it without the legacy provider, read with node --openssl-legacy-provider', (t) => {
  const leaf = pki.client;
  if (!opensslAccepts(['pkcs12', '-export', '-legacy', '-in', leaf.certPath, '-inkey', leaf.keyPath, '-passout', 'pass:legacy', '-out', path('legacy.p12')])) {
    t.skip('the local openssl does not accept -legacy');
    return;
  }
  if (crypto.hasCipher('rc2-40-cbc')) {
    assert.equal(toHex(loadPfx(bytes('legacy.p12'), 'legacy').chain[0]!), toHex(leaf.certDer));
    return;
  }
  try {
    readPfx(bytes('legacy.p12'), 'legacy');
    assert.fail('expected UnsupportedAlgorithm');
  } catch (e) {
    assert.ok(e instanceof CredentialError);
    assert.equal(e.code, 'UnsupportedAlgorithm');
    assert.match(e.message, /pbeWithSHAAnd40BitRC2-CBC/);
    assert.match(e.message, /legacy provider/);
  }
  // A wrong password is still told apart: the MAC is checked before any bag is decrypted.
  assert.equal(codeOf(() => readPfx(bytes('legacy.p12'), 'nope')), 'BadPassword');
  // With the legacy provider loaded (node --openssl-legacy-provider) the same file reads: RC2-40 through node:crypto.
  const script = `import { loadPfx } from ${JSON.stringify(pathToFileURL(join(projectRoot, 'dist', 'src', 'credentials', 'index.js')).href)};
    import { readFileSync } from 'node:fs';
    const p = loadPfx(new Uint8Array(readFileSync(${JSON.stringify(path('legacy.p12'))})), 'legacy');
    process.stdout.write(Buffer.from(p.chain[0]).toString('hex'));`;
  const r = spawnSync(process.execPath, ['--openssl-legacy-provider', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, toHex(leaf.certDer));
});

test('Java keytool PKCS12 keystore: private key entry (alias as friendly name) and a trusted certificate entry', () => {
  tool('keytool', 'openjdk-17-jdk-headless', ['-genkeypair', '-alias', 'jserver', '-keyalg', 'EC', '-groupname', 'secp256r1', '-sigalg', 'SHA256withECDSA',
    '-dname', 'CN=localhost', '-ext', 'san=dns:localhost,ip:127.0.0.1', '-validity', '2', '-storetype', 'PKCS12', '-keystore', path('java.p12'),
    '-storepass', 'java-pass', '-keypass', 'java-pass']);
  tool('keytool', 'openjdk-17-jdk-headless', ['-importcert', '-noprompt', '-alias', 'rootca', '-file', pki.ca.certPath, '-storetype', 'PKCS12',
    '-keystore', path('java.p12'), '-storepass', 'java-pass']);
  tool('keytool', 'openjdk-17-jdk-headless', ['-genkeypair', '-alias', 'second', '-keyalg', 'RSA', '-keysize', '2048', '-dname', 'CN=second',
    '-validity', '2', '-storetype', 'PKCS12', '-keystore', path('java.p12'), '-storepass', 'java-pass', '-keypass', 'java-pass']);
  const c = readPfx(bytes('java.p12'), 'java-pass');
  assert.equal(c.keys.length, 2);
  assert.equal(c.certificates.length, 3);
  assert.deepEqual(c.keys.map((k) => k.friendlyName).sort(), ['jserver', 'second']);
  // Several keys, each matched to its certificate by localKeyId (and the public key checked).
  const pairs = keysWithChains(c);
  assert.equal(pairs.length, 2);
  for (const p of pairs) {
    assert.equal(toHex(crypto.privateKey(p.key).spki), spkiOf(p.chain[0]!));
    assert.equal(parseCertificate(p.chain[0]!).subject.text, p.friendlyName === 'second' ? 'CN=second' : 'CN=localhost');
  }
  assert.ok(c.certificates.some((x) => x.friendlyName === 'rootca' && toHex(x.der) === toHex(pki.ca.certDer)));
  const p = loadPfx(bytes('java.p12'), 'java-pass');
  assert.match(parseCertificate(p.chain[0]!).subject.text, /^CN=(localhost|second)$/);
  assert.equal(toHex(crypto.privateKey(p.key).spki), spkiOf(p.chain[0]!));
  assert.equal(codeOf(() => readPfx(bytes('java.p12'), 'wrong')), 'BadPassword');
});

test('our PFX (AES and legacy 3DES) is read by openssl, keytool, Node\'s own OpenSSL and node-forge', () => {
  const leaf = pki.server.p256;
  for (const encryption of ['aes', 'legacy'] as const) {
    const file = `ours-${encryption}.p12`;
    writeFileSync(path(file), writePfx({ chain: [leaf.certDer, pki.ca.certDer], key: leaf.keyDer, password: 'our-pass', friendlyName: 'our key', encryption }));
    const info = openssl(['pkcs12', '-in', path(file), '-passin', 'pass:our-pass', '-info', '-nokeys']);
    assert.match(info, encryption === 'aes' ? /PBES2, PBKDF2, AES-256-CBC/ : /pbeWithSHA1And3-KeyTripleDES-CBC/);
    assert.match(info, /friendlyName: our key/);
    const keyPem = openssl(['pkcs12', '-in', path(file), '-passin', 'pass:our-pass', '-nocerts', '-nodes']);
    assert.equal(toHex(crypto.privateKey(keyPem.slice(keyPem.indexOf('-----BEGIN'))).spki), spkiOf(leaf.certDer));
    const list = tool('keytool', 'openjdk-17-jdk-headless', ['-list', '-keystore', path(file), '-storetype', 'PKCS12', '-storepass', 'our-pass']);
    assert.match(list, /our key.*PrivateKeyEntry/);
    tls.createSecureContext({ pfx: Buffer.from(bytes(file)), passphrase: 'our-pass' });
    assert.throws(() => tls.createSecureContext({ pfx: Buffer.from(bytes(file)), passphrase: 'not-it' }));
  }
  const asn1 = forge.asn1.fromDer(forge.util.createBuffer(Buffer.from(bytes('ours-legacy.p12')).toString('binary')));
  const p12 = forge.pkcs12.pkcs12FromAsn1(asn1, 'our-pass');
  const bags = p12.getBags({ bagType: forge.pki.oids['pkcs8ShroudedKeyBag'] as string });
  assert.equal((bags[forge.pki.oids['pkcs8ShroudedKeyBag'] as string] ?? []).length, 1);
});

test('node-forge PFX (3DES) is read; the PKCS#12 KDF (RFC 7292 B.2) agrees with node-forge\'s', () => {
  // An RSA-signed self-signed certificate: node-forge re-encodes certificates and only round-trips RSA signatures.
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path('forge.key'), '-out', path('forge.pem'), '-subj', '/CN=forge', '-days', '2']);
  const pem = new TextDecoder().decode(bytes('forge.pem'));
  const key = forge.pki.privateKeyFromPem(new TextDecoder().decode(bytes('forge.key')));
  const cert = forge.pki.certificateFromPem(pem);
  const asn1 = forge.pkcs12.toPkcs12Asn1(key, [cert], 'forge-pass', { algorithm: '3des', friendlyName: 'forged' });
  const der = new Uint8Array(Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary'));
  const p = loadPfx(der, 'forge-pass');
  assert.equal(parseCertificate(p.chain[0]!).subject.text, 'CN=forge');
  assert.equal(toHex(crypto.privateKey(p.key).spki), spkiOf(p.chain[0]!));
  assert.equal(p.friendlyName, 'forged');
  for (const [pw, salt, id, iter, n] of [
    ['', 'salt', 1, 1, 24],
    ['smeg', 'SALTsalt', 2, 1000, 8],
    ['pässwörd ✓', '0123456789abcdef', 3, 2048, 20],
    ['x'.repeat(70), 's', 1, 3, 64],
  ] as const) {
    const ours = pkcs12Kdf(crypto, 'sha1', id, bmp(pw), new TextEncoder().encode(salt), iter, n);
    const theirs = forge.pkcs12.generateKey(forge.util.encodeUtf8(pw) === pw ? pw : forge.util.encodeUtf8(pw), forge.util.createBuffer(salt), id, iter, n);
    if (/^[\x00-\x7f]*$/.test(pw)) assert.equal(toHex(ours), Buffer.from(theirs.getBytes(), 'binary').toString('hex'), `kdf ${pw} ${id} ${iter}`);
  }
});

function bmp(pw: string): Uint8Array {
  const out = new Uint8Array(pw.length * 2 + 2);
  for (let i = 0; i < pw.length; i++) {
    out[2 * i] = pw.charCodeAt(i) >> 8;
    out[2 * i + 1] = pw.charCodeAt(i) & 0xff;
  }
  return out;
}

test('BER (indefinite lengths, constructed OCTET STRINGs) reads the same and the MAC still verifies', () => {
  const der = bytesAbs(pki.client.p12Path);
  const ber = toBer(der);
  assert.notEqual(toHex(ber), toHex(der));
  assert.equal(ber[1], 0x80);
  const a = loadPfx(der, pki.client.p12Password);
  const b = loadPfx(ber, pki.client.p12Password);
  assert.deepEqual(b.chain.map(toHex), a.chain.map(toHex));
  assert.equal(toHex(b.key), toHex(a.key));
  assert.equal(codeOf(() => readPfx(ber, 'wrong')), 'BadPassword');
});

test('empty password: openssl -passout pass: reads with "" and with no password', () => {
  const leaf = pki.client;
  openssl(['pkcs12', '-export', '-in', leaf.certPath, '-inkey', leaf.keyPath, '-passout', 'pass:', '-out', path('empty.p12')]);
  assert.equal(toHex(loadPfx(bytes('empty.p12'), '').chain[0]!), toHex(leaf.certDer));
  assert.equal(toHex(loadPfx(bytes('empty.p12'), undefined).chain[0]!), toHex(leaf.certDer));
  assert.equal(codeOf(() => readPfx(bytes('empty.p12'), 'x')), 'BadPassword');
});

test('damaged files: wrong password, truncation, MAC, ciphertext, not a PFX, absurd iteration counts', () => {
  const der = bytesAbs(pki.client.p12Path);
  const pw = pki.client.p12Password;
  assert.equal(codeOf(() => readPfx(der, 'wrong password')), 'BadPassword');
  assert.match(errorOf(() => readPfx(der, 'wrong password')), /wrong password/);
  assert.equal(verifyPfxPassword(der, pw), true);
  assert.equal(verifyPfxPassword(der, 'nope'), false);
  for (const n of [0, 1, 2, 4, 20, Math.floor(der.length / 2), der.length - 30, der.length - 1]) {
    assert.equal(codeOf(() => readPfx(der.subarray(0, n), pw)), 'Truncated', `truncated to ${n} bytes`);
  }
  // The MAC value is the last OCTET STRING before the salt: flip the final byte of the file's MAC digest.
  const macAt = findMacDigest(der);
  const badMac = der.slice();
  badMac[macAt] = (badMac[macAt] as number) ^ 1;
  assert.equal(codeOf(() => readPfx(badMac, pw)), 'MacMismatch');
  assert.match(errorOf(() => readPfx(badMac, pw)), /damaged or was altered/);
  // A flipped ciphertext byte: never accepted (MAC, then padding or structure).
  const badData = der.slice();
  badData[200] = (badData[200] as number) ^ 0x40;
  assert.ok(['MacMismatch', 'BadPassword'].includes(codeOf(() => readPfx(badData, pw))));
  // Not a PFX at all.
  assert.equal(isPfx(der), true);
  assert.equal(isPfx(pki.client.certDer), false);
  assert.equal(codeOf(() => readPfx(pki.client.certDer, pw)), 'BadEncoding');
  assert.equal(codeOf(() => readPfx(new TextEncoder().encode(pki.client.certPem), pw)), 'BadEncoding');
  // A key whose localKeyId names a certificate with another public key.
  const mismatched = writePfx({ chain: [pki.server.p256.certDer], key: pki.client.keyDer, password: 'm' });
  assert.equal(codeOf(() => keysWithChains(readPfx(mismatched, 'm'))), 'KeyMismatch');
  // MAC iterations set to 2^31-1 are refused before any work.
  const huge = setMacIterations(der, 0x7fffffff);
  assert.ok(huge !== undefined, 'openssl MAC layout as expected');
  assert.equal(codeOf(() => readPfx(huge, pw)), 'LimitExceeded');
});

function errorOf(fn: () => unknown): string {
  try {
    fn();
    return '';
  } catch (e) {
    return (e as Error).message;
  }
}

/** Offset of the last byte of the MAC digest: macData is the last element: SEQ{ SEQ{ AlgId, OCTET mac }, OCTET salt, INT }. */
function findMacDigest(der: Uint8Array): number {
  // The file ends with …04 08 <salt 8> 02 02 08 00 (2048 iterations); the MAC digest (32 bytes) ends just before it.
  const tail = der.length - (2 + 8) - 4;
  return tail - 1;
}

function setMacIterations(der: Uint8Array, n: number): Uint8Array | undefined {
  // openssl writes iterations 2048 as 02 02 08 00 at the very end; replace with a 4-byte INTEGER and fix lengths by
  // re-encoding only when the structure is as expected.
  if (toHex(der.subarray(der.length - 4)) !== '02020800') return undefined;
  const body = der.subarray(0, der.length - 4);
  const int = [0x02, 0x04, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
  const out = new Uint8Array([...body, ...int]);
  // Lengths: outer SEQUENCE (30 82 LL LL) and macData SEQUENCE grow by 2.
  const outerLen = ((out[2] as number) << 8) | (out[3] as number);
  out[2] = ((outerLen + 2) >> 8) & 0xff;
  out[3] = (outerLen + 2) & 0xff;
  const macDataAt = der.length - 4 - 10 - (2 + 2 + 2 + 11 + 2 + 32) - 2; // 30 LL | 30 LL | 30 0d AlgId | 04 20 mac | 04 08 salt | int
  if (out[macDataAt] !== 0x30) return undefined;
  out[macDataAt + 1] = (out[macDataAt + 1] as number) + 2;
  return out;
}

test('encrypted private keys: PKCS#8 PBES2/AES, PBES2/scrypt, PKCS#12 3DES, traditional PEM (EC and RSA)', () => {
  const leaf = pki.server.p256;
  const rsa = pki.server.rsa2048;
  const cases: [string, string[], string][] = [
    ['pkcs8-aes.pem', ['pkcs8', '-topk8', '-v2', 'aes-256-cbc', '-in', leaf.keyPath], leaf.certPath],
    ['pkcs8-aes128-sha512.pem', ['pkcs8', '-topk8', '-v2', 'aes-128-cbc', '-v2prf', 'hmacWithSHA512', '-in', leaf.keyPath], leaf.certPath],
    ['pkcs8-scrypt.pem', ['pkcs8', '-topk8', '-scrypt', '-in', leaf.keyPath], leaf.certPath],
    ['pkcs8-3des.pem', ['pkcs8', '-topk8', '-v1', 'PBE-SHA1-3DES', '-in', leaf.keyPath], leaf.certPath],
    ['trad-ec.pem', ['ec', '-aes256', '-in', leaf.keyPath], leaf.certPath],
    ['trad-rsa.pem', ['rsa', '-aes128', '-traditional', '-in', rsa.keyPath], rsa.certPath],
  ];
  for (const [file, args, cert] of cases) {
    openssl([...args, '-passout', 'pass:key-pass', '-out', path(file)]);
    const pem = new TextDecoder().decode(bytes(file));
    assert.match(pem, /ENCRYPTED/, file);
    const certDer = file.includes('rsa') ? rsa.certDer : leaf.certDer;
    void cert;
    assert.equal(toHex(crypto.privateKey(unlockPrivateKey(pem, 'key-pass')).spki), spkiOf(certDer), file);
    assert.equal(codeOf(() => unlockPrivateKey(pem, 'wrong')), 'BadPassword', `${file} wrong passphrase`);
    assert.equal(codeOf(() => unlockPrivateKey(pem, undefined)), 'BadPassword', `${file} no passphrase`);
  }
  // A wrong password whose garbage ends in valid CBC padding (about 1 in 256) is still 'BadPassword', not a
  // 'BadEncoding' key: try wrong passwords (one PBKDF2 iteration, so this is quick) until several have hit that case.
  openssl(['pkcs8', '-topk8', '-v2', 'aes-128-cbc', '-iter', '1', '-in', leaf.keyPath, '-passout', 'pass:right', '-out', path('pkcs8-iter1.pem')]);
  const iter1 = new TextDecoder().decode(bytes('pkcs8-iter1.pem'));
  let paddedGarbage = 0;
  for (let i = 0; i < 20_000 && paddedGarbage < 3; i++) {
    try {
      unlockPrivateKey(iter1, `wrong-${i}`);
      assert.fail(`wrong-${i} unlocked the key`);
    } catch (e) {
      assert.ok(e instanceof CredentialError, String(e));
      assert.equal(e.code, 'BadPassword', `wrong-${i}: ${e.message}`);
      if (/not a private key/.test(e.message)) paddedGarbage++;
    }
  }
  assert.equal(paddedGarbage, 3, 'wrong passwords whose decryption passed the padding check were seen');
  // DER EncryptedPrivateKeyInfo.
  openssl(['pkcs8', '-topk8', '-v2', 'aes-256-cbc', '-in', leaf.keyPath, '-outform', 'DER', '-passout', 'pass:der-pass', '-out', path('pkcs8.der')]);
  assert.equal(toHex(crypto.privateKey(unlockPrivateKey(bytes('pkcs8.der'), 'der-pass')).spki), spkiOf(leaf.certDer));
  // A plain key passes through (passphrase ignored, as node:tls does).
  assert.equal(toHex(crypto.privateKey(unlockPrivateKey(leaf.keyPem, 'ignored')).spki), spkiOf(leaf.certDer));
});
