/**
 * node:tls renegotiation semantics on the adapter, TLS 1.2. `renegotiate(options, cb)` on our client against
 * `openssl s_server -tls1_2 -msg`: s_server receives a second ClientHello and a second Finished (RFC 5746: with
 * renegotiation_info, so s_server's secure renegotiation accepts it), the callback gets null, 'secure' fires again,
 * getFinished() changes and data flows under the new keys. Our server under node:tls's CLIENT_RENEG_LIMIT: the
 * renegotiation past the limit is ERR_TLS_SESSION_ATTACK on the server socket and the client sees a clean close;
 * disableRenegotiation() makes the next one ERR_TLS_RENEGOTIATION_DISABLED.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import nodeTls from 'node:tls';
import { connect, createServer, type TlsDuplex } from '../../src/node/index.js';
import { annotate, opensslServer, type Peer } from '../helpers/peers.js';
import { getPki } from '../helpers/pki.js';
import { bounded } from '../helpers/net.js';

const pki = await getPki();
const key = pki.server.p256.keyPem;
const cert = pki.server.p256.chainPem;
const ca = pki.ca.certPem;
/** s_server `-msg` lines for a handshake message received. */
const received = (name: string): RegExp => new RegExp(`^<<< TLS 1\\.[23], Handshake \\[length [0-9a-f]+\\], ${name}$`, 'gm');
const count = (text: string, re: RegExp): number => (text.match(re) ?? []).length;
/** OpenSSL 3 refuses client-initiated renegotiation unless told (SSL_OP_ALLOW_CLIENT_RENEGOTIATION). */
const clientRenegotiation = /^OpenSSL 1\./.test(execFileSync('openssl', ['version'], { encoding: 'utf8' })) ? [] : ['-client_renegotiation'];

test('renegotiate() on our client ↔ openssl s_server -tls1_2: a second full handshake, then data under the new keys', { timeout: 60_000 }, async () => {
  const peers: Peer[] = [];
  try {
    const srv = await opensslServer({ cert: pki.server.p256.chainPath, key: pki.server.p256.keyPath, args: ['-tls1_2', '-msg', ...clientRenegotiation] });
    peers.push(srv);
    const c = connect({ port: srv.port, host: '127.0.0.1', servername: 'localhost', ca });
    const errors: Error[] = [];
    c.on('error', (e: Error) => errors.push(e));
    await bounded(once(c, 'secureConnect'), 15_000, 'secureConnect');
    assert.equal(c.getProtocol(), 'TLSv1.2');
    const before = c.getFinished();
    let secures = 0;
    c.on('secure', () => secures++);
    const done = new Promise<Error | null>((resolve) => {
      assert.equal(c.renegotiate({}, resolve), true);
    });
    assert.equal(await bounded(done, 15_000, 'renegotiate callback'), null);
    assert.equal(secures, 1, "'secure' again for the new handshake");
    await srv.waitUntil('the second client Finished', () => count(srv.stdout(), received('Finished')) >= 2);
    assert.equal(count(srv.stdout(), received('ClientHello')), 2);
    assert.notDeepEqual(c.getFinished(), before, 'the new handshake has its own Finished');
    c.write('after renegotiation\n');
    await srv.waitFor(/after renegotiation/, 15_000, 'stdout');
    srv.write('from s_server\n');
    const [data] = (await bounded(once(c, 'data'), 15_000, 'data')) as [Buffer];
    assert.match(data.toString(), /from s_server/);
    assert.deepEqual(errors, []);
    c.destroy();
  } catch (e) {
    throw annotate(e, peers);
  } finally {
    await Promise.all(peers.map((p) => p.stop()));
  }
});

/** Our client renegotiating against our server until the server ends it; the server socket's error and the count. */
async function spam(serverSetup: (s: TlsDuplex) => void, limit: number): Promise<{ serverError: Error & { code?: string }; renegotiations: number; clientError: Error | undefined; hadError: unknown }> {
  // node:tls's own setting (a program sets it there; the adapter reads it when a renegotiation starts).
  const settings = nodeTls as { CLIENT_RENEG_LIMIT: number };
  const saved = settings.CLIENT_RENEG_LIMIT;
  settings.CLIENT_RENEG_LIMIT = limit;
  const server = createServer({ key, cert, maxVersion: 'TLSv1.2' });
  const serverError = new Promise<Error & { code?: string }>((resolve) => {
    server.on('secureConnection', (s: TlsDuplex) => {
      s.on('error', (e: Error) => {
        resolve(e);
        s.destroy();
      });
      serverSetup(s);
      s.pipe(s);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const c = connect({ port: (server.address() as AddressInfo).port, host: '127.0.0.1', servername: 'localhost', ca });
    let renegotiations = 0;
    let clientError: Error | undefined;
    c.on('error', (e: Error) => {
      clientError = e;
    });
    const closed = once(c, 'close');
    c.resume(); // read the echo (and so the server's close_notify)
    const go = (): void => {
      renegotiations++;
      c.renegotiate({}, (err) => {
        if (err === null) go();
      });
    };
    c.once('secureConnect', () => c.write('hi', go));
    const [hadError] = await bounded(closed, 15_000, 'client close');
    return { serverError: await bounded(serverError, 5000, 'server error'), renegotiations, clientError, hadError };
  } finally {
    settings.CLIENT_RENEG_LIMIT = saved;
    server.close();
  }
}

test("our server under node:tls's CLIENT_RENEG_LIMIT: renegotiation limit+1 is ERR_TLS_SESSION_ATTACK, the client closes cleanly", { timeout: 60_000 }, async () => {
  for (const limit of [0, 2]) {
    const r = await spam(() => {}, limit);
    assert.equal(r.serverError.code, 'ERR_TLS_SESSION_ATTACK');
    assert.equal(r.serverError.message, 'TLS session renegotiation attack detected');
    assert.equal(r.renegotiations, limit + 1);
    assert.equal(r.clientError, undefined, 'close_notify: a clean end for the client');
    assert.equal(r.hadError, false);
  }
});

test('disableRenegotiation(): the next renegotiation the peer starts is ERR_TLS_RENEGOTIATION_DISABLED', { timeout: 60_000 }, async () => {
  const r = await spam((s) => s.disableRenegotiation(), 10);
  assert.equal(r.serverError.code, 'ERR_TLS_RENEGOTIATION_DISABLED');
  assert.equal(r.serverError.message, 'TLS session renegotiation disabled for this socket');
  assert.equal(r.renegotiations, 1);
  assert.equal(r.clientError, undefined);
});
