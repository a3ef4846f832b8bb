/**
 * node:tls's shapes on the adapter: connect(port, host, options, cb), createServer(listener) with setSecureContext,
 * createSecureContext as `secureContext` and as an SNICallback answer, ticket keys, and the node:tls certificate
 * objects (getPeerCertificate key fields, getPeerX509Certificate / getX509Certificate). Peers are node:tls itself.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nodeTls from 'node:tls';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { connect, createSecureContext, createServer, type Server, type TlsDuplex } from '../../src/node/index.js';
import { getPki } from '../helpers/pki.js';

const WAIT_MS = 10_000;

function listening(server: nodeTls.Server | Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function secure(sock: TlsDuplex): Promise<TlsDuplex> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no secureConnect')), WAIT_MS);
    sock.once('secureConnect', () => {
      clearTimeout(t);
      sock.on('error', () => undefined); // the tests close abruptly once they have what they check
      resolve(sock);
    });
    sock.once('error', (e) => {
      clearTimeout(t);
      reject(e);
    });
  });
}

test('connect(port, host, options, cb) and connect(port, options): the overloads of node:tls', async () => {
  const pki = await getPki();
  const server = nodeTls.createServer({ key: pki.server.p256.keyPem, cert: pki.server.p256.certPem }, (s) => s.on('error', () => undefined));
  server.on('tlsClientError', () => undefined);
  const port = await listening(server);
  try {
    let called = false;
    const a = connect(port, '127.0.0.1', { servername: 'localhost', ca: pki.ca.certPem }, () => (called = true));
    await secure(a);
    assert.equal(called, true, 'the listener is the secureConnect listener');
    assert.equal(a.remotePort, port);
    a.destroy();
    const b = await secure(connect(port, { host: '127.0.0.1', servername: 'localhost', ca: pki.ca.certPem }));
    assert.equal(b.authorized, true);
    b.destroy();
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test('createSecureContext: as secureContext, as an SNICallback answer; setSecureContext swaps the certificate', async () => {
  const pki = await getPki();
  const alt = createSecureContext({ key: pki.alt.keyPem, cert: pki.alt.certPem });
  const answer = (s: TlsDuplex): void => {
    s.on('error', () => undefined); // clients here close as soon as they have what they check
    s.end('ok');
  };
  const server = createServer(answer);
  server.setSecureContext({ key: pki.server.p256.keyPem, cert: pki.server.p256.certPem });
  const sni = createServer({ SNICallback: (name, cb) => cb(null, name === 'alt.test' ? alt : null) }, answer);
  const port = await listening(server);
  const sniPort = await listening(sni);
  const subjectOf = (s: nodeTls.TLSSocket): unknown => s.getPeerCertificate().subject?.CN;
  const nodeClient = (p: number, servername: string): Promise<nodeTls.TLSSocket> =>
    new Promise((resolve, reject) => {
      const s = nodeTls.connect({ host: '127.0.0.1', port: p, servername, ca: pki.ca.certPem }, () => resolve(s));
      s.on('error', reject);
    });
  try {
    const first = await nodeClient(port, 'localhost');
    assert.equal(subjectOf(first), 'localhost');
    first.destroy();
    server.setSecureContext(alt);
    const second = await nodeClient(port, 'alt.test');
    assert.equal(subjectOf(second), 'alt.test', 'new connections get the new context');
    second.destroy();
    const viaSni = await nodeClient(sniPort, 'alt.test');
    assert.equal(subjectOf(viaSni), 'alt.test', 'the SNICallback answered with a context');
    viaSni.destroy();
    // A server with no credentials of its own and no answer for the name: the handshake fails, the server says why.
    // (An earlier client that closed right after its own handshake may also show up here, as ECONNRESET.)
    const refused = new Promise<Error & { code?: string }>((resolve) =>
      sni.on('tlsClientError', (e: Error & { code?: string }) => {
        if (e.code !== 'ECONNRESET') resolve(e);
      }),
    );
    await assert.rejects(nodeClient(sniPort, 'other.test'));
    assert.equal((await refused).code, 'ERR_TLS_SNI_NO_CREDENTIALS');
    // A client-side secureContext carries the trust anchors.
    const c = await secure(connect({ host: '127.0.0.1', port, servername: 'alt.test', secureContext: createSecureContext({ ca: pki.ca.certPem }) }));
    assert.equal(c.authorized, true);
    c.destroy();
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
    await new Promise<void>((r) => sni.close(() => r()));
  }
});

test('ticket keys: setTicketKeys / getTicketKeys round-trip; a wrong size is refused', async () => {
  const pki = await getPki();
  const server = createServer({ key: pki.server.p256.keyPem, cert: pki.server.p256.certPem });
  const keys = randomBytes(48);
  server.setTicketKeys(keys);
  assert.deepEqual(server.getTicketKeys(), keys);
  assert.throws(() => server.setTicketKeys(randomBytes(32)), { code: 'ERR_INVALID_ARG_VALUE' });
});

test("certificate objects as node:tls gives them: key fields, ca, X509Certificate on both sides", async () => {
  const pki = await getPki();
  const server = createServer({ key: pki.server.rsa2048.keyPem, cert: pki.server.rsa2048.chainPem }, (s) => {
    s.on('error', () => undefined);
    s.end();
  });
  const port = await listening(server);
  try {
    const c = await secure(connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.ca.certPem }));
    const ours = c.getPeerCertificate(true);
    const node = new (await import('node:crypto')).X509Certificate(pki.server.rsa2048.certPem);
    assert.ok('modulus' in ours);
    assert.equal(ours.exponent, '0x10001');
    assert.equal(ours.modulus, (node.publicKey.export({ format: 'jwk' }).n !== undefined ? Buffer.from(node.publicKey.export({ format: 'jwk' }).n as string, 'base64url').toString('hex').toUpperCase() : ''));
    assert.deepEqual(ours.pubkey, node.publicKey.export({ format: 'der', type: 'spki' }));
    assert.equal(ours.ca, false);
    assert.equal(c.getPeerX509Certificate()?.fingerprint256, node.fingerprint256);
    assert.equal(c.getX509Certificate(), undefined, 'the client sent no certificate');
    assert.deepEqual(c.getCertificate(), {});
    c.destroy();
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
});
