/**
 * node:tls parity of the adapter's certificate handling, each against node:tls itself as the reference or the peer:
 * the errors for a wrong passphrase and a PFX that cannot be used, a `ca` that holds no certificate, OpenSSL's
 * automatic chain from `ca`, a PFX's CA certificates in the trust store, getPeerCertificate(true)'s issuer links,
 * getPeerX509Certificate().issuerCertificate, multi-valued subject attributes, and getCipher()'s OpenSSL name.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { execFileSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as nodeTls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { connect, createServer, type TlsDuplex } from '../../src/node/index.js';
import { TlsError } from '../../src/errors.js';
import { CredentialError } from '../../src/credentials/index.js';
import { getPki, PKI_PASSWORD } from '../helpers/pki.js';
import { requirePeer } from '../helpers/peers.js';
import { bounded } from '../helpers/net.js';

/** What node:tls throws for `fn` (its message and code), to compare ours with. */
function nodeThrows(fn: () => unknown): { message: string; code: string | undefined } {
  try {
    fn();
  } catch (e) {
    const err = e as Error & { code?: string };
    return { message: err.message, code: err.code };
  }
  throw new Error('node:tls did not throw');
}

/** A server's default connection handler: keep the connection until the client closes it (it reads first). */
function keepOpen(s: { on(ev: 'error', l: () => void): unknown; resume(): unknown }): void {
  s.on('error', () => undefined);
  s.resume();
}

/** A node:tls server on 127.0.0.1 (the reference peer), closed by the returned function. */
async function nodeServer(options: nodeTls.TlsOptions, onSecure: (s: nodeTls.TLSSocket) => void = keepOpen): Promise<{ port: number; close: () => Promise<void> }> {
  const open = new Set<nodeTls.TLSSocket>();
  const server = nodeTls.createServer(options, (sock) => {
    open.add(sock);
    onSecure(sock);
  });
  server.on('tlsClientError', () => undefined);
  const raw = new Set<{ destroy(): void }>();
  server.on('connection', (sock: { destroy(): void }) => raw.add(sock));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const close = (): Promise<void> => new Promise<void>((r) => {
    server.close(() => r());
    for (const sock of [...open, ...raw]) sock.destroy();
  });
  return { port: (server.address() as AddressInfo).port, close };
}

/** Our server on 127.0.0.1, closed by the returned function. */
async function ourServer(options: Record<string, unknown>, onSecure: (s: TlsDuplex) => void = keepOpen): Promise<{ port: number; close: () => Promise<void> }> {
  const open = new Set<TlsDuplex>();
  const server = createServer(options as never, (sock: TlsDuplex) => {
    open.add(sock);
    onSecure(sock);
  });
  server.on('tlsClientError', () => undefined);
  const raw = new Set<{ destroy(): void }>();
  server.on('connection', (sock: { destroy(): void }) => raw.add(sock));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const close = (): Promise<void> => new Promise<void>((r) => {
    server.close(() => r());
    for (const sock of [...open, ...raw]) sock.destroy();
  });
  return { port: (server.address() as AddressInfo).port, close };
}

test("a wrong or missing passphrase: node:tls's 'bad decrypt' message and code, our TlsError (cause: BadPassword) underneath", async () => {
  const pki = await getPki();
  const encrypted = createPrivateKey(pki.server.rsa2048.keyPem).export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'right' }) as string;
  const cert = pki.server.rsa2048.certPem;
  const cases: Record<string, unknown>[] = [
    { key: encrypted, cert },
    { key: encrypted, cert, passphrase: 'wrong' },
    { key: [{ pem: encrypted, passphrase: 'wrong' }], cert, passphrase: 'right' },
  ];
  for (const o of cases) {
    const expected = nodeThrows(() => nodeTls.createSecureContext(o as nodeTls.SecureContextOptions));
    for (const make of [() => createServer(o as never), () => connect({ port: 1, ...o } as never)]) {
      assert.throws(make, (e: unknown) => {
        assert.ok(e instanceof TlsError, 'our typed error');
        assert.equal(e.kind, 'InvalidConfig');
        assert.ok(e.cause instanceof CredentialError);
        assert.equal(e.cause.code, 'BadPassword');
        assert.equal(e.message, expected.message);
        assert.equal((e as { code?: string }).code, expected.code);
        assert.match(String(e), /^Error: .*bad decrypt/);
        return true;
      });
    }
  }
  // The right passphrase (its own, over the common one) still works.
  const s = await ourServer({ key: [{ pem: encrypted, passphrase: 'right' }], cert, passphrase: 'ignored' });
  try {
    const c = nodeTls.connect({ host: '127.0.0.1', port: s.port, servername: 'localhost', ca: pki.ca.certPem });
    await bounded(once(c, 'secureConnect'), 10_000, 'handshake');
    assert.equal(c.authorized, true);
    c.destroy();
  } finally {
    await s.close();
  }
});

test("a PFX with a wrong password or without a key: node:tls's messages ('mac verify failure', 'Unable to load private key from PFX data')", async () => {
  const pki = await getPki();
  const pfx = readFileSync(pki.server.p256.p12Path);
  const dir = mkdtempSync(join(tmpdir(), 'sspi-tls-pfx-'));
  try {
    const noKeyPath = join(dir, 'nokey.p12');
    execFileSync(requirePeer('openssl', 'openssl'), ['pkcs12', '-export', '-nokeys', '-in', pki.server.p256.certPath, '-passout', 'pass:test', '-out', noKeyPath]);
    const cases: [Record<string, unknown>, string][] = [
      [{ pfx, passphrase: 'wrong' }, 'BadPassword'],
      [{ pfx: readFileSync(noKeyPath), passphrase: 'test' }, 'NoKey'],
    ];
    for (const [o, reason] of cases) {
      const expected = nodeThrows(() => nodeTls.createSecureContext(o as nodeTls.SecureContextOptions));
      assert.throws(() => connect({ port: 1, rejectUnauthorized: false, ...o } as never), (e: unknown) => {
        assert.ok(e instanceof TlsError && e.cause instanceof CredentialError);
        assert.equal(e.cause.code, reason);
        assert.equal(e.message, expected.message);
        assert.equal((e as { code?: string }).code, expected.code);
        return true;
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * How node:tls's server and then ours judge the PKI's client certificate under the same server `options`: each
 * answers "authorized authorizationError" to a node:tls client presenting it.
 */
async function clientVerdicts(options: Record<string, unknown>): Promise<string[]> {
  const pki = await getPki();
  const verdicts: string[] = [];
  for (const start of [nodeServer, ourServer]) {
    const s = await start(options as never, (sock: { authorized: boolean; authorizationError: unknown; end(t: string): void }) => {
      sock.end(`${String(sock.authorized)} ${String(sock.authorizationError ?? null)}`);
    });
    try {
      const c = nodeTls.connect({ host: '127.0.0.1', port: s.port, servername: 'localhost', ca: pki.ca.certPem, key: pki.client.keyPem, cert: pki.client.certPem });
      let text = '';
      c.on('data', (d: Buffer) => (text += d.toString()));
      await bounded(once(c, 'end'), 10_000, 'reply');
      verdicts.push(text);
      c.destroy();
    } finally {
      await s.close();
    }
  }
  return verdicts;
}

test('a `ca` that holds no certificate (a key given as ca) adds nothing, as node:tls: the server starts, and trusts nobody', async () => {
  const pki = await getPki();
  const options = { key: pki.server.p256.keyPem, cert: pki.server.p256.certPem, ca: pki.server.p256.keyPem, requestCert: true, rejectUnauthorized: false };
  assert.doesNotThrow(() => nodeTls.createSecureContext(options));
  // No anchor: the client's certificate does not verify, as with node:tls's empty store.
  const verdicts = await clientVerdicts(options);
  assert.match(verdicts[0] ?? '', /^false [A-Z_]+$/);
  assert.deepEqual(verdicts[1], verdicts[0]);
});

/** The subjects' CNs along getPeerCertificate(true)'s issuer links, and whether the last points to itself. */
function issuerWalk(cert: nodeTls.DetailedPeerCertificate | null | undefined): { cns: unknown[]; selfLinked: boolean } {
  const cns: unknown[] = [];
  let cur: Partial<nodeTls.DetailedPeerCertificate> | null | undefined = cert;
  for (let i = 0; i < 8 && cur !== undefined && cur !== null; i++) {
    cns.push(cur.subject?.CN ?? `(${JSON.stringify(Object.keys(cur))})`);
    if (cur.issuerCertificate === cur) return { cns, selfLinked: true };
    cur = cur.issuerCertificate;
  }
  return { cns, selfLinked: false };
}

test("OpenSSL's automatic chain: a server given the leaf and `ca` sends the chain, as node:tls's does (node:tls client as the judge)", async () => {
  const pki = await getPki();
  const options = { key: pki.server.p256.keyPem, cert: pki.server.p256.certPem, ca: pki.ca.certPem };
  const seen: { cns: unknown[]; selfLinked: boolean; received: number }[] = [];
  for (const start of [nodeServer, ourServer]) {
    const s = await start(options as never);
    try {
      // Without `ca` on the client: the issuer can only come from what the server sent.
      const c = nodeTls.connect({ host: '127.0.0.1', port: s.port, servername: 'localhost', rejectUnauthorized: false });
      await bounded(once(c, 'secureConnect'), 10_000, 'handshake');
      // getPeerCertificate(true) first: called after getPeerX509Certificate(), node:tls's came back empty here.
      const walk = issuerWalk(c.getPeerCertificate(true));
      seen.push({ ...walk, received: c.getPeerX509Certificate()?.issuerCertificate !== undefined ? 2 : 1 });
      c.destroy();
    } finally {
      await s.close();
    }
  }
  assert.equal(seen[0]?.received, 2, 'node:tls sends the issuer it found in ca');
  assert.deepEqual(seen[1], seen[0]);
});

test("getPeerCertificate(true) links issuers through the received chain and the trust store; getPeerX509Certificate's issuerCertificate follows the received chain", async () => {
  const pki = await getPki();
  const cases: { server: Record<string, unknown>; client: Record<string, unknown> }[] = [
    // The issuer is sent: linked, and the self-issued root points to itself.
    { server: { key: pki.server.p256.keyPem, cert: pki.server.p256.chainPem }, client: { rejectUnauthorized: false } },
    // The leaf alone, the issuer in the client's trust store: linked from there.
    { server: { key: pki.server.p256.keyPem, cert: pki.server.p256.certPem }, client: { ca: pki.ca.certPem } },
    // The leaf alone, the issuer known nowhere: no issuerCertificate.
    { server: { key: pki.server.p256.keyPem, cert: pki.server.p256.certPem }, client: { rejectUnauthorized: false } },
  ];
  for (const { server, client } of cases) {
    const s = await nodeServer(server as nodeTls.TlsOptions);
    try {
      const results: { walk: { cns: unknown[]; selfLinked: boolean }; x509Issuer: string | undefined }[] = [];
      for (const dial of [nodeTls.connect, connect]) {
        const c = (dial as typeof nodeTls.connect)({ host: '127.0.0.1', port: s.port, servername: 'localhost', ...client });
        await bounded(once(c, 'secureConnect'), 10_000, 'handshake');
        const walk = issuerWalk(c.getPeerCertificate(true));
        const x = c.getPeerX509Certificate();
        assert.ok(x instanceof X509Certificate);
        results.push({ walk, x509Issuer: x.issuerCertificate?.serialNumber });
        c.destroy();
      }
      assert.deepEqual(results[1], results[0], JSON.stringify(server));
    } finally {
      await s.close();
    }
  }
});

test("a PFX's CA certificates join the trust store (node:tls): a server given only the PFX verifies a client of that CA", async () => {
  const pki = await getPki();
  const options = { pfx: readFileSync(pki.server.p256.p12Path), passphrase: PKI_PASSWORD, requestCert: true, rejectUnauthorized: false };
  const verdicts = await clientVerdicts(options);
  assert.deepEqual(verdicts, ['true null', 'true null']);
});

test('a subject with an attribute twice: an array of its values in certificate order, as node:tls; getCipher().name in OpenSSL spelling', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sspi-tls-ou-'));
  try {
    const keyPath = join(dir, 'k.pem');
    const certPath = join(dir, 'c.pem');
    execFileSync(requirePeer('openssl', 'openssl'), [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '2',
      '-subj', '/C=UK/O=node.js/OU=Test TLS Certificate/OU=Engineering/CN=localhost', '-addext', 'subjectAltName=DNS:localhost',
    ], { stdio: 'ignore' });
    const s = await nodeServer({ key: readFileSync(keyPath), cert: readFileSync(certPath), maxVersion: 'TLSv1.2' });
    try {
      const seen: { subject: unknown; cipher: unknown }[] = [];
      for (const dial of [nodeTls.connect, connect]) {
        const c = (dial as typeof nodeTls.connect)({ host: '127.0.0.1', port: s.port, servername: 'localhost', rejectUnauthorized: false });
        await bounded(once(c, 'secureConnect'), 10_000, 'handshake');
        const subject = c.getPeerCertificate().subject;
        seen.push({ subject: { ...subject }, cipher: c.getCipher() });
        assert.equal(Object.getPrototypeOf(subject), null);
        c.destroy();
      }
      assert.deepEqual((seen[0]?.subject as { OU: unknown }).OU, ['Test TLS Certificate', 'Engineering']);
      assert.deepEqual(Object.keys(seen[1]?.subject as object), Object.keys(seen[0]?.subject as object));
      assert.deepEqual(seen[1], seen[0]);
    } finally {
      await s.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("secureProtocol as node:tls: 'TLSv1_2_method' pins TLS 1.2 against node:tls's server; conflicts and unknown methods throw node:tls's errors", async () => {
  const pki = await getPki();
  const peer = await nodeServer({ key: pki.server.p256.keyPem, cert: pki.server.p256.chainPem });
  try {
    for (const [method, version] of [['TLSv1_2_method', 'TLSv1.2'], ['TLSv1_2_client_method', 'TLSv1.2'], ['TLS_method', 'TLSv1.3'], ['SSLv23_method', 'TLSv1.3']] as const) {
      const sock = connect({ port: peer.port, host: '127.0.0.1', servername: 'localhost', ca: pki.ca.certPem, secureProtocol: method });
      try {
        await bounded(once(sock, 'secureConnect'), 10_000, `${method} handshake`);
        assert.equal(sock.getProtocol(), version, method);
      } finally {
        sock.destroy();
      }
    }
  } finally {
    await peer.close();
  }
  for (const options of [{ secureProtocol: 'TLSv1_2_method', minVersion: 'TLSv1.2' }, { secureProtocol: 'blargh' }, { secureProtocol: 'SSLv3_method' }] as const) {
    const theirs = nodeThrows(() => nodeTls.createSecureContext(options as nodeTls.SecureContextOptions));
    const ours = nodeThrows(() => connect({ port: 1, host: '127.0.0.1', ...options } as never));
    assert.deepEqual(ours, theirs, JSON.stringify(options));
  }
});

test("a host name the certificate does not carry: node:tls's checkServerIdentity message, code and host (the judged chain travels on the TlsError)", async () => {
  const pki = await getPki();
  const peer = await nodeServer({ key: pki.server.p256.keyPem, cert: pki.server.p256.chainPem });
  const failure = (sock: { once(ev: 'error', l: (e: Error) => void): unknown; once(ev: 'secureConnect', l: () => void): unknown; destroy(): void }): Promise<Error & { code?: string; host?: string }> =>
    bounded(new Promise<Error & { code?: string; host?: string }>((resolve, reject) => {
      sock.once('error', resolve);
      sock.once('secureConnect', () => reject(new Error('connected')));
    }), 10_000, 'the name check').finally(() => sock.destroy());
  try {
    for (const servername of ['wrong.example', '127.0.0.2']) {
      const theirs = await failure(nodeTls.connect({ port: peer.port, host: '127.0.0.1', servername, ca: pki.ca.certPem }));
      const ours = await failure(connect({ port: peer.port, host: '127.0.0.1', servername, ca: pki.ca.certPem }));
      assert.equal(ours.code, 'ERR_TLS_CERT_ALTNAME_INVALID');
      assert.equal(ours.code, theirs.code);
      assert.equal(ours.message, theirs.message, servername);
      assert.equal(ours.host, theirs.host);
      assert.ok(ours instanceof TlsError && ours.peerChain !== undefined && ours.peerChain.length > 0, 'the judged chain is on the error');
    }
  } finally {
    await peer.close();
  }
});
