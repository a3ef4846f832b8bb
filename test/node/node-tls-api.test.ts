/**
 * node:tls API parity of the adapter, each against what node:tls itself does: argument validation (same codes and
 * messages), setServername, setMaxSendFragment, ALPNCallback, SNI answers without credentials, node:tls's verify
 * messages, NODE_TLS_REJECT_UNAUTHORIZED, and the typed event overloads.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import * as nodeTls from 'node:tls';
import { NodeTlsAdapter, createSecureContext, duplexPair, type TlsDuplex } from '../../src/node/index.js';
import type { NodeServerOptions } from '../../src/node/options.js';
import { getPki } from '../helpers/pki.js';
import { bounded } from '../helpers/net.js';

/** The error node:tls itself throws for `fn`, to compare ours with. */
function nodeError(fn: () => unknown): { code: string | undefined; message: string; name: string } {
  try {
    fn();
  } catch (e) {
    const err = e as Error & { code?: string };
    return { code: err.code, message: err.message, name: err.name };
  }
  throw new Error('node:tls did not throw');
}

test('createServer / connect: the same ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE / ERR_OUT_OF_RANGE as node:tls', async () => {
  const pki = await getPki();
  const cert = pki.server.p256.certPem;
  const ours = new NodeTlsAdapter();
  const serverCases: unknown[] = [
    { ciphers: 1 },
    { ecdhCurve: 1 },
    { handshakeTimeout: 'abcd' },
    { sessionTimeout: 'abcd' },
    { sessionTimeout: -1 },
    { ticketKeys: 'abcd' },
    { ticketKeys: Buffer.alloc(0) },
    { key: true, cert },
    { key: 'x', cert: true },
    { key: 'x', cert, ca: {} },
    { key: [{ pem: 'x', passphrase: 1 }], cert },
    { SNICallback: 'not a function' },
    { sigalgs: '' },
    'this is not valid',
  ];
  for (const c of serverCases) {
    const expected = nodeError(() => nodeTls.createServer(c as nodeTls.TlsOptions));
    assert.throws(() => ours.createServer(c as NodeServerOptions), (e: Error & { code?: string }) => {
      assert.deepEqual({ code: e.code, message: e.message, name: e.name }, expected, JSON.stringify(c));
      return true;
    });
  }
  // (node:tls 20 itself trips an internal assertion here; this is the message its validateFunction makes.)
  assert.throws(() => ours.connect({ port: 1, checkServerIdentity: 'no' as never }), {
    code: 'ERR_INVALID_ARG_TYPE',
    message: 'The "options.checkServerIdentity" property must be of type function. Received type string (\'no\')',
  });
  // Falsy key/cert/ca are "not given", as in node:tls (a server without credentials may still be created).
  for (const c of [{ key: false, cert: false }, { key: '', cert: null }, { ca: false }, { key: [], cert: [] }]) ours.createServer(c as never);
});

async function serverAndClient(
  adapter: NodeTlsAdapter,
  server: Record<string, unknown>,
  client: Record<string, unknown>,
): Promise<{ server: TlsDuplex; client: TlsDuplex }> {
  const [a, b] = duplexPair();
  const s = new adapter.TLSSocket(a, { isServer: true, ...server } as never);
  const c = new adapter.TLSSocket(b, client as never);
  return { server: s, client: c };
}

test('setServername: validated as node:tls does, refused on a server, and the name is what the server sees', async () => {
  const pki = await getPki();
  const adapter = new NodeTlsAdapter();
  const { server, client } = await serverAndClient(adapter, { key: pki.server.p256.keyPem, cert: pki.server.p256.chainPem, SNICallback: (_n: string, cb: (e: null) => void) => cb(null) }, { ca: pki.ca.certPem, servername: 'wrong.invalid' });
  for (const v of [undefined, null, 1, true, {}]) {
    assert.throws(() => client.setServername(v as never), (e: Error & { code?: string }) => {
      const socket = new nodeTls.TLSSocket(undefined as never) as unknown as { setServername(n: unknown): void; destroy(): void };
      const expected = nodeError(() => socket.setServername(v));
      socket.destroy();
      return e.code === 'ERR_INVALID_ARG_TYPE' && e.message === expected.message;
    });
  }
  assert.throws(() => server.setServername('localhost'), { code: 'ERR_TLS_SNI_FROM_SERVER', message: 'Cannot issue SNI from a TLS server-side socket' });
  client.setServername('localhost');
  await bounded(Promise.all([once(server, 'secure'), once(client, 'secureConnect')]), 10_000, 'handshake');
  assert.equal(server.servername, 'localhost');
  assert.equal(client.authorized, true, 'and the certificate is checked against it');
  assert.throws(() => client.setServername('other'), { code: 'ERR_TLS_INVALID_STATE' });
  client.destroy();
  server.destroy();
});

test('setMaxSendFragment: node:tls argument errors and range; the peer receives records of at most that size', async () => {
  const pki = await getPki();
  const adapter = new NodeTlsAdapter();
  const { server, client } = await serverAndClient(adapter, { key: pki.server.p256.keyPem, cert: pki.server.p256.chainPem }, { ca: pki.ca.certPem, servername: 'localhost' });
  await bounded(Promise.all([once(server, 'secure'), once(client, 'secureConnect')]), 10_000, 'handshake');
  for (const v of [undefined, null, '', {}, false, true, []]) assert.throws(() => server.setMaxSendFragment(v as never), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
  for (const v of [NaN, Infinity, 2 ** 31]) assert.throws(() => server.setMaxSendFragment(v), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
  assert.equal(server.setMaxSendFragment(511), false);
  assert.equal(server.setMaxSendFragment(16385), false);
  assert.equal(server.setMaxSendFragment(768), true);
  // Count the records on the wire: the server's transport end is `a`; read what the client's transport receives.
  const chunks: number[] = [];
  client.on('data', (d: Buffer) => chunks.push(d.length));
  const ended = once(client, 'end');
  server.end(Buffer.alloc(10_000, 7));
  await bounded(ended, 10_000, 'end');
  assert.equal(chunks.reduce((x, y) => x + y, 0), 10_000);
  assert.ok(chunks.every((n) => n <= 768), `every record at most 768 bytes: ${chunks.join(',')}`);
  assert.ok(chunks.length >= Math.ceil(10_000 / 768));
  client.destroy();
});

test('ALPNCallback: the callback chooses among the client\'s protocols; undefined refuses with no_application_protocol', async () => {
  const pki = await getPki();
  const adapter = new NodeTlsAdapter();
  const seen: unknown[] = [];
  const base = {
    key: pki.server.p256.keyPem,
    cert: pki.server.p256.chainPem,
    ALPNCallback: (h: { servername: string | undefined; protocols: readonly string[] }) => {
      seen.push(h);
      return h.protocols.includes('b') ? 'b' : h.protocols.includes('none') ? undefined : 'not-offered';
    },
  };
  const ok = await serverAndClient(adapter, base, { ca: pki.ca.certPem, servername: 'localhost', ALPNProtocols: ['a', 'b'] });
  await bounded(Promise.all([once(ok.server, 'secure'), once(ok.client, 'secureConnect')]), 10_000, 'handshake');
  assert.equal(ok.client.alpnProtocol, 'b');
  assert.equal(ok.server.alpnProtocol, 'b');
  assert.deepEqual(seen[0], { servername: 'localhost', protocols: ['a', 'b'] });
  ok.client.destroy();
  ok.server.destroy();

  const refused = await serverAndClient(adapter, base, { ca: pki.ca.certPem, servername: 'localhost', ALPNProtocols: ['none'] });
  const refusedServerErr = once(refused.server, 'error');
  const [clientErr] = (await bounded(once(refused.client, 'error'), 10_000, 'client error')) as [Error & { code?: string }];
  assert.equal(clientErr.code, 'ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL');
  const [ownErr] = (await bounded(refusedServerErr, 10_000, 'server error')) as [Error & { code?: string }];
  assert.equal(ownErr.code, 'ERR_SSL_NO_APPLICATION_PROTOCOL');

  const invalid = await serverAndClient(adapter, base, { ca: pki.ca.certPem, servername: 'localhost', ALPNProtocols: ['x'] });
  invalid.client.on('error', () => undefined);
  const [serverErr] = (await bounded(once(invalid.server, 'error'), 10_000, 'server error')) as [Error & { code?: string }];
  invalid.server.on('error', () => undefined);
  assert.equal(serverErr.code, 'ERR_TLS_ALPN_CALLBACK_INVALID_RESULT');
  invalid.client.destroy();
  assert.throws(() => adapter.createServer({ ...base, ALPNProtocols: ['a'] }), { code: 'ERR_TLS_ALPN_CALLBACK_WITH_PROTOCOLS' });
});

test('SNICallback answers: an object that is no context fails with "Invalid SNI context"; a context without a key gets the client a handshake_failure', async () => {
  const pki = await getPki();
  const adapter = new NodeTlsAdapter();
  const bad = await serverAndClient(adapter, { SNICallback: (_n: string, cb: (e: null, c: object) => void) => cb(null, {}) }, { ca: pki.ca.certPem, servername: 'a.example' });
  bad.client.on('error', () => undefined);
  const [e1] = (await bounded(once(bad.server, 'error'), 10_000, 'server error')) as [Error];
  bad.server.on('error', () => undefined);
  assert.equal(e1.message, 'Invalid SNI context');
  assert.equal(bad.server.servername, 'a.example', 'the name is known even though the handshake failed');
  bad.client.destroy();

  const empty = await serverAndClient(adapter, { SNICallback: (_n: string, cb: (e: null, c: object) => void) => cb(null, createSecureContext()) }, { ca: pki.ca.certPem, servername: 'a.example' });
  const serverErr = once(empty.server, 'error');
  empty.server.on('error', () => undefined);
  const [e2] = (await bounded(once(empty.client, 'error'), 10_000, 'client error')) as [Error & { code?: string }];
  empty.client.on('error', () => undefined);
  assert.equal(e2.code, 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE');
  // The server side: node:tls's OpenSSL error for a context without a certificate.
  const [e3] = (await bounded(serverErr, 10_000, 'server error')) as [Error & { code?: string }];
  assert.equal(e3.code, 'ERR_SSL_PASSED_A_NULL_PARAMETER');
  assert.match(e3.message, /passed a null parameter/);
});

test('a certificate that does not verify: node:tls\'s code and message (ours in err.detail); NODE_TLS_REJECT_UNAUTHORIZED=0 as node:tls', async () => {
  const pki = await getPki();
  const adapter = new NodeTlsAdapter();
  const server = adapter.createServer({ key: pki.server.p256.keyPem, cert: pki.server.p256.certPem }, (s) => {
    s.on('error', () => undefined);
    s.end();
  });
  server.on('tlsClientError', () => undefined);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  try {
    const c = adapter.connect({ port, host: '127.0.0.1', servername: 'localhost' });
    const [err] = (await bounded(once(c, 'error'), 10_000, 'error')) as [Error & { code?: string; detail?: string }];
    // The leaf alone, its issuer unknown: OpenSSL's UNABLE_TO_VERIFY_LEAF_SIGNATURE and its sentence.
    assert.equal(err.code, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    assert.equal(err.message, 'unable to verify the first certificate');
    assert.match(err.detail ?? '', /UnknownIssuer|issuer/);

    const saved = process.env['NODE_TLS_REJECT_UNAUTHORIZED'];
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.message);
    process.on('warning', onWarning);
    process.env['NODE_TLS_REJECT_UNAUTHORIZED'] = '0';
    try {
      const lax = adapter.connect({ port, host: '127.0.0.1', servername: 'localhost' });
      await bounded(once(lax, 'secureConnect'), 10_000, 'secureConnect');
      assert.equal(lax.authorized, false);
      assert.equal(lax.authorizationError, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
      lax.destroy();
      // An explicit rejectUnauthorized still wins.
      const strict = adapter.connect({ port, host: '127.0.0.1', servername: 'localhost', rejectUnauthorized: true });
      const [e] = (await bounded(once(strict, 'error'), 10_000, 'error')) as [Error & { code?: string }];
      assert.equal(e.code, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
      await new Promise((r) => setImmediate(r));
      assert.ok(warnings.some((w) => w.includes('NODE_TLS_REJECT_UNAUTHORIZED')), 'node:tls\'s warning');
    } finally {
      process.off('warning', onWarning);
      if (saved === undefined) delete process.env['NODE_TLS_REJECT_UNAUTHORIZED'];
      else process.env['NODE_TLS_REJECT_UNAUTHORIZED'] = saved;
    }
  } finally {
    server.close();
  }
});

test("server 'keylog' (line, socket): for connections accepted while the server has listeners, as node:tls", async () => {
  const pki = await getPki();
  const adapter = new NodeTlsAdapter();
  const accepted: TlsDuplex[] = [];
  const server = adapter.createServer({ key: pki.server.p256.keyPem, cert: pki.server.p256.chainPem }, (s) => {
    accepted.push(s);
    s.on('error', () => undefined);
    s.end();
  });
  server.on('tlsClientError', () => undefined);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const lines: { label: string; socket: unknown }[] = [];
  const onKeylog = (line: Buffer, socket: unknown): void => void lines.push({ label: line.toString('latin1').split(' ')[0] ?? '', socket });
  const handshake = async (): Promise<void> => {
    const c = adapter.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: pki.ca.certPem });
    c.on('error', () => undefined);
    await bounded(once(c, 'secureConnect'), 10_000, 'secureConnect');
    await bounded(once(c, 'end'), 10_000, 'end');
    c.destroy();
  };
  try {
    await handshake();
    assert.equal(lines.length, 0, 'no listener: no lines');
    server.on('keylog', onKeylog);
    await handshake();
    assert.deepEqual(lines.map((l) => l.label).sort(), ['CLIENT_HANDSHAKE_TRAFFIC_SECRET', 'CLIENT_TRAFFIC_SECRET_0', 'EXPORTER_SECRET', 'SERVER_HANDSHAKE_TRAFFIC_SECRET', 'SERVER_TRAFFIC_SECRET_0']);
    for (const l of lines) assert.equal(l.socket, accepted[1], 'the accepted socket is the second argument');
    server.off('keylog', onKeylog);
  } finally {
    server.close();
  }
});

test('typed event overloads: listeners get the argument types of TlsDuplexEvents (checked by the compiler)', async () => {
  const pki = await getPki();
  const adapter = new NodeTlsAdapter();
  const { server, client } = await serverAndClient(adapter, { key: pki.server.p256.keyPem, cert: pki.server.p256.chainPem }, { ca: pki.ca.certPem, servername: 'localhost' });
  const lines: number[] = [];
  // `line` is a Buffer and `session` a Buffer here without annotations; a wrong type would not compile.
  client.on('keylog', (line) => lines.push(line.byteLength));
  const session = new Promise<Buffer>((resolve) => client.once('session', (s) => resolve(s)));
  await bounded(Promise.all([once(server, 'secure'), once(client, 'secureConnect')]), 10_000, 'handshake');
  assert.ok(lines.length > 0);
  assert.ok((await bounded(session, 10_000, 'session')).length > 0);
  client.destroy();
  server.destroy();
});

test('addContext: the context chosen for the name brings its own ca (client certificates verified against it), as node:tls', async () => {
  const pki = await getPki();
  const adapter = new NodeTlsAdapter();
  const results: [string | false | null, boolean][] = [];
  const server = adapter.createServer({ key: pki.server.p256.keyPem, cert: pki.server.p256.chainPem, requestCert: true, rejectUnauthorized: false }, (s) => {
    results.push([s.servername, s.authorized]);
    s.on('error', () => undefined);
    s.end();
  });
  server.addContext('ctx.example', createSecureContext({ key: pki.server.p256.keyPem, cert: pki.server.p256.chainPem, ca: pki.ca.certPem }));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  try {
    for (const servername of ['ctx.example', 'other.example']) {
      const c = adapter.connect({ port, host: '127.0.0.1', servername, rejectUnauthorized: false, key: pki.client.keyPem, cert: pki.client.chainPem });
      c.on('error', () => undefined);
      c.resume();
      await bounded(once(c, 'close'), 10_000, 'close');
    }
  } finally {
    server.close();
  }
  assert.deepEqual(results, [['ctx.example', true], ['other.example', false]], 'only the context with the ca verifies the client');
});

test('write() of a large chunk reports backpressure at once; bytesWritten / bufferSize; a peer that does not speak TLS', async () => {
  const pki = await getPki();
  const adapter = new NodeTlsAdapter();
  const { server, client } = await serverAndClient(adapter, { key: pki.server.p256.keyPem, cert: pki.server.p256.chainPem }, { ca: pki.ca.certPem, servername: 'localhost', highWaterMark: 1000 });
  await bounded(Promise.all([once(server, 'secure'), once(client, 'secureConnect')]), 10_000, 'handshake');
  assert.equal(client.readableHighWaterMark, 1000);
  assert.equal(client.writableHighWaterMark, 1000);
  server.resume();
  assert.equal(client.write(Buffer.alloc(1 << 20)), false, 'node:tls: false for 1 MiB');
  assert.equal(client.bufferSize, 1 << 20);
  await bounded(once(client, 'drain'), 10_000, 'drain');
  assert.equal(client.bytesWritten, 1 << 20);
  assert.throws(() => client.renegotiate(undefined as never), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.throws(() => client.renegotiate({}, null as never), { code: 'ERR_INVALID_ARG_TYPE' });
  client.destroy();
  server.destroy();

  const [a, b] = duplexPair();
  const tls = new adapter.TLSSocket(a, { isServer: true, key: pki.server.p256.keyPem, cert: pki.server.p256.chainPem });
  b.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  const [err] = (await bounded(once(tls, 'error'), 10_000, 'error')) as [Error & { code?: string }];
  assert.equal(err.code, 'ERR_SSL_WRONG_VERSION_NUMBER');
  assert.match(err.message, /SSL routines:[^:]*:wrong version number/);
});
