/**
 * connect() shares one prepared client per configuration content (cheap per-call options). The cache must never
 * hand one configuration's client to another: every option takes part in the key (fail closed), and options it
 * cannot compare by content (functions, class instances) are not cached at all. Each case connects twice to a server
 * that requires a client certificate, the second time with an option that must change the outcome.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { connect, createServer, duplexPair, NodeTlsAdapter, PreparedConfigs, type TlsDuplex } from '../../src/node/index.js';
import type { NodeClientOptions } from '../../src/node/options.js';
import { getPki } from '../helpers/pki.js';

async function withServer(fn: (port: number) => Promise<void>): Promise<void> {
  const pki = await getPki();
  const server = createServer(
    { key: pki.server.p256.keyPem, cert: pki.server.p256.chainPem, ca: pki.ca.certPem, requestCert: true, rejectUnauthorized: true },
    (s: TlsDuplex) => {
      s.on('error', () => undefined);
      s.end('hello');
    },
  );
  server.on('tlsClientError', () => undefined);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    await fn((server.address() as AddressInfo).port);
  } finally {
    server.close();
  }
}

/** 'ok' when the server's greeting arrived, else the error's code or message. */
function attempt(port: number, extra: Partial<NodeClientOptions>): Promise<string> {
  return getPki().then(
    (pki) =>
      new Promise((resolve) => {
        const s = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.ca.certPem, ...extra } as NodeClientOptions);
        const t = setTimeout(() => {
          s.destroy();
          resolve('timeout');
        }, 10_000);
        let got = '';
        s.on('data', (d: Buffer) => (got += d.toString()));
        s.on('end', () => {
          clearTimeout(t);
          resolve(got === 'hello' ? 'ok' : `no greeting (${got})`);
        });
        s.on('error', (e: Error & { code?: string }) => {
          clearTimeout(t);
          resolve(e.code ?? e.message);
        });
      }),
  );
}

test('connect() cache: a configuration with a PFX client certificate is not served the cached client without one', async () => {
  const pki = await getPki();
  await withServer(async (port) => {
    assert.notEqual(await attempt(port, {}), 'ok', 'no client certificate: refused');
    assert.equal(await attempt(port, { pfx: readFileSync(pki.client.p12Path), passphrase: pki.client.p12Password }), 'ok');
    assert.notEqual(await attempt(port, {}), 'ok', 'and the plain configuration still has none');
  });
});

test('connect() cache: key objects with passphrases are compared by content (a wrong passphrase is not served the right one\'s client)', async () => {
  const pki = await getPki();
  const encrypted = createPrivateKey(pki.client.keyPem).export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'right' }) as string;
  await withServer(async (port) => {
    assert.equal(await attempt(port, { key: [{ pem: encrypted, passphrase: 'right' }], cert: pki.client.chainPem }), 'ok');
    await assert.rejects(
      attempt(port, { key: [{ pem: encrypted, passphrase: 'wrong' }], cert: pki.client.chainPem }),
      /passphrase|decrypt|BadPassword/i,
      'the wrong passphrase is a configuration error, not the cached client of the right one',
    );
  });
});

test('PreparedConfigs: the same server or client options give the same prepared object; any difference gives another', async () => {
  const pki = await getPki();
  const configs = new PreparedConfigs(4);
  const serverOpts = { key: pki.server.p256.keyPem, cert: pki.server.p256.chainPem };
  const a = configs.server(serverOpts);
  assert.equal(configs.server({ ...serverOpts }), a, 'same content, another object: shared');
  assert.equal(configs.server({ ...serverOpts, key: Buffer.from(pki.server.p256.keyPem) }) === a, false, 'a Buffer is not the same input as a string');
  assert.notEqual(configs.server({ ...serverOpts, sessionTimeout: 60 }), a, 'another option: another server');
  assert.notEqual(configs.server({ ...serverOpts, ca: pki.ca.certPem }), a);
  // Not comparable by content: never cached (a function, a class instance).
  const traced = { ...serverOpts, trace: () => undefined };
  assert.notEqual(configs.server(traced), configs.server(traced));
  const clientOpts = { ca: pki.ca.certPem, servername: 'localhost' };
  const c = configs.client(clientOpts);
  assert.equal(configs.client({ ...clientOpts, host: '127.0.0.1', port: 1 }), c, 'where to connect is not part of the configuration');
  assert.notEqual(configs.client({ ...clientOpts, servername: 'other' }), c, 'the server name is');
  assert.notEqual(configs.client({ ...clientOpts, rejectUnauthorized: false }), c);
  assert.deepEqual(configs.size, { clients: 3, servers: 4 });
  // Bounded: the least recently used goes first.
  for (let i = 0; i < 6; i++) configs.server({ ...serverOpts, sessionTimeout: 100 + i });
  assert.equal(configs.size.servers, 4);
});

test('PreparedConfigs: options seen before are recognised by their values, and a change in place is still seen (no stale key)', async () => {
  const pki = await getPki();
  const configs = new PreparedConfigs(8);
  // Strings equal by content (another string object) and arrays of them element by element: the same prepared object.
  const ca = [pki.ca.certPem];
  const c = configs.client({ ca, servername: 'localhost' });
  assert.equal(configs.client({ ca: [String(pki.ca.certPem)], servername: 'localhost' }), c);
  assert.equal(configs.client({ servername: 'localhost', ca }), c, 'another order: found by content');
  // An array changed in place after it was seen: another configuration, not the remembered one.
  ca.push(pki.server.p256.chainPem);
  const c2 = configs.client({ ca, servername: 'localhost' });
  assert.notEqual(c2, c);
  ca.pop();
  assert.equal(configs.client({ ca, servername: 'localhost' }), c, 'back to the first content: the first client');
  // A Buffer changed in place: never remembered by identity, so the new bytes count.
  const key = Buffer.from(pki.server.p256.keyPem);
  const cert = Buffer.from(pki.server.p256.chainPem);
  const s = configs.server({ key, cert });
  assert.equal(configs.server({ key, cert }), s);
  const changed = Buffer.from(pki.server.p256.keyPem);
  changed.set(Buffer.from(pki.server.p256.keyPem.replace('PRIVATE', 'private')));
  assert.throws(() => configs.server({ key: changed, cert }), 'a key changed in place is parsed again (and this one no longer parses)');
  // The effective server name is part of a client's key, whether it comes from servername or host.
  assert.notEqual(configs.client({ ca, host: 'example.com' }), configs.client({ ca, host: 'example.org' }));
  assert.equal(configs.client({ ca, host: 'localhost' }), c, 'host localhost = servername localhost');
});

test('TlsDuplex per connection with the same key/cert shares one prepared server (and so its ticket keys) through the adapter', async () => {
  const pki = await getPki();
  const adapter = new NodeTlsAdapter();
  const handshake = async (): Promise<TlsDuplex> => {
    const [a, b] = duplexPair();
    const server = new adapter.TLSSocket(a, { isServer: true, key: pki.server.p256.keyPem, cert: pki.server.p256.chainPem });
    const client = new adapter.TLSSocket(b, { ca: pki.ca.certPem, servername: 'localhost' });
    await Promise.all([once(server, 'secure'), once(client, 'secureConnect')]);
    client.destroy();
    server.destroy();
    return server;
  };
  await handshake();
  await handshake();
  assert.deepEqual(adapter.preparedConfigs.size, { clients: 1, servers: 1 });
  // A TlsDuplex made without an adapter shares nothing.
  const other = new NodeTlsAdapter();
  assert.deepEqual(other.preparedConfigs.size, { clients: 0, servers: 0 });
});
