/**
 * Each public entry point, imported alone in a fresh process, has the default trust anchors (issue 13: importing
 * only `sspi-tls/sspi` used to leave the engine with zero anchors, because the api module filled them in when it
 * happened to be imported). The chain is shaped like a public CA's: an RSA root the process trusts by default
 * (added the way node:tls allows, NODE_EXTRA_CA_CERTS), an ECDSA intermediate with pathlen 0, and a leaf for a DNS
 * name; the server sends leaf + intermediate. Without the root among the defaults the same handshake must fail, so
 * the test shows the default store is what decided.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { rootCertificates } from 'node:tls';
import { requirePeer } from '../helpers/peers.js';
import { TestPki, caExt, serverExt } from '../helpers/x509-pki.js';
import { systemTrustAnchors } from '../../src/system-trust.js';
import { TrustStore } from '../../src/x509/trust-store.js';
import { pemToDer } from '../../src/x509/pem.js';
import { NodeCryptoProvider } from '../../src/crypto/node-provider.js';

const run = promisify(execFile);
const NAME = 'www.example.test';
const childDir = fileURLToPath(new URL('../entry-points/', import.meta.url));
let pki: TestPki;
let chainPath = '';
let rootPath = '';
let keyPath = '';

before(() => {
  requirePeer('openssl', 'openssl');
  pki = new TestPki();
  const root = pki.issue({ name: 'root', subject: '/C=US/O=Example Trust Services/CN=Example Root CA R1', key: 'rsa2048', ext: caExt() });
  const inter = pki.issue({ name: 'inter', subject: '/C=US/O=Example Trust Services/CN=Example TLS Issuing CA 1', issuer: root, ext: caExt(0) });
  const leaf = pki.issue({ name: 'leaf', subject: `/CN=${NAME}`, issuer: inter, ext: serverExt(`DNS:${NAME}`) });
  chainPath = join(pki.dir, 'chain.pem');
  writeFileSync(chainPath, leaf.pem + inter.pem);
  rootPath = root.certPath;
  keyPath = leaf.keyPath;
});

after(() => pki?.cleanup());

async function alone(entry: string, extraCa: string | undefined): Promise<{ ok: boolean; error?: string; status?: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env['NODE_EXTRA_CA_CERTS'];
  if (extraCa !== undefined) env['NODE_EXTRA_CA_CERTS'] = extraCa;
  const { stdout } = await run(process.execPath, [join(childDir, `${entry}.js`), chainPath, keyPath, NAME], { env, timeout: 20_000 });
  const line = stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as { ok: boolean; error?: string };
}

for (const entry of ['api', 'sspi', 'node', 'x509']) {
  test(`entry point ${entry} alone in a fresh process: default trust accepts a chain to a default anchor`, async () => {
    const r = await alone(entry, rootPath);
    assert.equal(r.ok, true, JSON.stringify(r));
  });
  test(`entry point ${entry} alone in a fresh process: the same chain fails when its root is not a default anchor`, async () => {
    const r = await alone(entry, undefined);
    assert.equal(r.ok, false, JSON.stringify(r));
    // Refused for the missing anchor: UnknownIssuer, or SEC_E_UNTRUSTED_ROOT through SSPI.
    assert.match(r.error ?? r.status ?? '', /UnknownIssuer|^0x80090325$/, JSON.stringify(r));
  });
}

test("systemTrustAnchors: Node's bundled roots, then NODE_EXTRA_CA_CERTS; an unreadable file adds nothing", () => {
  const bundled = rootCertificates.flatMap((p) => pemToDer(p));
  assert.equal(systemTrustAnchors({}).length, bundled.length);
  const withExtra = systemTrustAnchors({ NODE_EXTRA_CA_CERTS: rootPath });
  assert.equal(withExtra.length, bundled.length + 1);
  assert.deepEqual(withExtra.slice(0, bundled.length), bundled);
  assert.equal(systemTrustAnchors({ NODE_EXTRA_CA_CERTS: join(pki.dir, 'missing.pem') }).length, bundled.length);
});

test('TrustStore reads its default anchors once and builds one verifier per provider', () => {
  let calls = 0;
  const store = new TrustStore(() => {
    calls++;
    return pemToDer(rootCertificates[0] ?? '');
  });
  assert.equal(calls, 0, 'nothing is read before first use');
  const a = new NodeCryptoProvider();
  const b = new NodeCryptoProvider();
  const va = store.defaultVerifier(a);
  assert.equal(store.defaultVerifier(a), va);
  assert.notEqual(store.defaultVerifier(b), va);
  assert.equal(va.trustAnchors.length, 1);
  assert.equal(calls, 1);
  const given = [pemToDer(rootCertificates[1] ?? '')[0] as Uint8Array];
  assert.equal(store.verifierFor(given, a), store.verifierFor(given, a));
  assert.notEqual(store.verifierFor(given, b), store.verifierFor(given, a));
});
