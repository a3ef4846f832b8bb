/**
 * TlsDuplex over an in-memory pair: node:tls-shaped events and accessors, close semantics (clean 'end', half-close,
 * abrupt close → error), and backpressure: 256 MiB through a slow reader within a stated memory bound.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { TlsDuplex, duplexPair } from '../../src/node/index.js';
import { makeSelfSigned, type SelfSigned } from '../../src/cli/selfsigned.js';
import { bounded } from '../helpers/net.js';
import { toClientOptions, toServerOptions } from '../../src/node/options.js';
import { routedHooks } from '../../src/node/routed-hooks.js';

let creds: SelfSigned | undefined;
async function pki(): Promise<SelfSigned> {
  creds ??= await makeSelfSigned();
  return creds;
}

async function pair(opts: { serverHalfOpen?: boolean; clientHalfOpen?: boolean } = {}): Promise<{ client: TlsDuplex; server: TlsDuplex }> {
  const c = await pki();
  const [a, b] = duplexPair();
  const server = new TlsDuplex(a, {
    isServer: true,
    key: c.keyPem,
    cert: c.certPem,
    ALPNProtocols: ['h2', 'http/1.1'],
    allowHalfOpen: opts.serverHalfOpen ?? false,
  });
  const client = new TlsDuplex(b, { ca: c.certPem, servername: 'localhost', ALPNProtocols: ['http/1.1'], allowHalfOpen: opts.clientHalfOpen ?? false });
  return { client, server };
}

function once(em: NodeJS.EventEmitter, ev: string, ms = 10_000): Promise<unknown[]> {
  return bounded(
    new Promise<unknown[]>((resolve, reject) => {
      const onErr = (e: unknown): void => reject(e);
      em.once(ev, (...args: unknown[]) => {
        em.off('error', onErr);
        resolve(args);
      });
      if (ev !== 'error') em.once('error', onErr);
    }),
    ms,
    `event '${ev}'`,
  );
}

test('handshake over an in-memory pair: node:tls events and accessors on both sides', async () => {
  const { client, server } = await pair();
  const keylog: string[] = [];
  client.on('keylog', (line: Buffer) => keylog.push(line.toString('latin1')));
  const sessions: Buffer[] = [];
  client.on('session', (s: Buffer) => sessions.push(s));
  await Promise.all([once(client, 'secureConnect'), once(server, 'secure')]);
  assert.equal(client.getProtocol(), 'TLSv1.3');
  assert.equal(server.getProtocol(), 'TLSv1.3');
  assert.deepEqual(client.getCipher(), { name: 'TLS_AES_128_GCM_SHA256', standardName: 'TLS_AES_128_GCM_SHA256', version: 'TLSv1.3' });
  assert.equal(client.alpnProtocol, 'http/1.1');
  assert.equal(server.alpnProtocol, 'http/1.1');
  assert.equal(server.servername, 'localhost');
  assert.equal(client.authorized, true);
  const cert = client.getPeerCertificate(true);
  assert.equal('subject' in cert ? cert.subject['CN'] : undefined, 'localhost');
  assert.equal('fingerprint256' in cert ? cert.fingerprint256 : undefined, creds?.fingerprint256);
  assert.deepEqual(server.getPeerCertificate(), {});
  const ekmC = client.exportKeyingMaterial(32, 'EXPERIMENTAL test', Buffer.from('ctx'));
  const ekmS = server.exportKeyingMaterial(32, 'EXPERIMENTAL test', Buffer.from('ctx'));
  assert.equal(ekmC.length, 32);
  assert.deepEqual(ekmC, ekmS);
  // NSS key log lines for TLS 1.3, each newline-terminated: LABEL <client_random hex> <secret hex>.
  const labels = keylog.map((l) => l.split(' ')[0]);
  for (const l of ['CLIENT_HANDSHAKE_TRAFFIC_SECRET', 'SERVER_HANDSHAKE_TRAFFIC_SECRET', 'CLIENT_TRAFFIC_SECRET_0', 'SERVER_TRAFFIC_SECRET_0']) {
    assert.ok(labels.includes(l), `key log has ${l}: ${labels.join(',')}`);
  }
  for (const l of keylog) assert.match(l, /^[A-Z_0-9]+ [0-9a-f]{64} [0-9a-f]{64,96}\n$/);
  // Application data both ways, then a clean close both ways.
  client.write('ping');
  const [got] = await once(server, 'data');
  assert.equal(String(got), 'ping');
  await bounded(
    new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (sessions.length > 0) {
          clearInterval(t);
          resolve();
        }
      }, 5);
    }),
    5000,
    "client 'session' event",
  );
  const serverEnd = once(server, 'end');
  const clientEnd = once(client, 'end');
  const closed = Promise.all([once(client, 'close'), once(server, 'close')]);
  server.resume();
  client.resume();
  client.end();
  await Promise.all([serverEnd, clientEnd]);
  await closed; // both sides fully closed (transports destroyed) after the clean shutdown
});

test('TLS 1.2 over the pair gives TLS 1.2 key log lines (CLIENT_RANDOM)', async () => {
  const c = await pki();
  const [a, b] = duplexPair();
  const server = new TlsDuplex(a, { isServer: true, key: c.keyPem, cert: c.certPem, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' });
  const client = new TlsDuplex(b, { ca: c.certPem, servername: 'localhost', minVersion: 'TLSv1.2' });
  const keylog: string[] = [];
  client.on('keylog', (line: Buffer) => keylog.push(line.toString('latin1')));
  await Promise.all([once(client, 'secureConnect'), once(server, 'secure')]);
  assert.equal(client.getProtocol(), 'TLSv1.2');
  assert.ok(keylog.length >= 1, 'a key log line');
  for (const l of keylog) assert.match(l, /^CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}\n$/);
  client.destroy();
  server.destroy();
});

test('half-close: the client ends its side, the server still answers, then both see end', async () => {
  const { client, server } = await pair({ serverHalfOpen: true, clientHalfOpen: true });
  await once(client, 'secureConnect');
  const received: Buffer[] = [];
  server.on('data', (d: Buffer) => received.push(d));
  const serverEnd = once(server, 'end');
  client.end('question');
  await serverEnd;
  assert.equal(Buffer.concat(received).toString(), 'question');
  const answer: Buffer[] = [];
  client.on('data', (d: Buffer) => answer.push(d));
  const clientEnd = once(client, 'end');
  server.end('answer after your close_notify');
  await clientEnd;
  assert.equal(Buffer.concat(answer).toString(), 'answer after your close_notify');
});

test('an abrupt transport close (no close_notify) is an error; a clean one is end', async () => {
  const c = await pki();
  const [a, b] = duplexPair();
  const server = new TlsDuplex(a, { isServer: true, key: c.keyPem, cert: c.certPem });
  const client = new TlsDuplex(b, { ca: c.certPem, servername: 'localhost' });
  await Promise.all([once(client, 'secureConnect'), once(server, 'secure')]);
  const err = once(client, 'error');
  server.on('error', () => undefined); // the server's own transport vanished: an error there too
  b.resume();
  a.destroy(); // the server's transport vanishes: the client's transport ends without close_notify
  const [e] = await err;
  assert.equal((e as { code?: string }).code, 'ECONNRESET');
  assert.match((e as Error).message, /without close_notify/);
});

test('a handshake failure surfaces as a TlsError on both sides (the alert reaches the client)', async () => {
  const c = await pki();
  const other = await makeSelfSigned();
  const [a, b] = duplexPair();
  const server = new TlsDuplex(a, { isServer: true, key: c.keyPem, cert: c.certPem });
  const client = new TlsDuplex(b, { ca: other.certPem, servername: 'localhost' });
  const [[ce], [se]] = await Promise.all([once(client, 'error'), once(server, 'error')]);
  assert.equal((ce as { kind?: string }).kind, 'BadCertificate');
  assert.equal((se as { kind?: string }).kind, 'AlertReceived');
});

test('256 MiB through a slow reader: byte for byte, unread plaintext bounded, RSS within +64 MiB', { timeout: 180_000 }, async () => {
  const TOTAL = 256 * 1024 * 1024;
  const CHUNK = 1024 * 1024;
  const { client, server } = await pair();
  await Promise.all([once(client, 'secureConnect'), once(server, 'secure')]);
  global.gc?.();
  const rssStart = process.memoryUsage().rss;
  let rssMax = rssStart;
  let maxUnread = 0;
  const sent = createHash('sha256');
  const got = createHash('sha256');
  let received = 0;
  const sampler = setInterval(() => {
    rssMax = Math.max(rssMax, process.memoryUsage().rss);
  }, 20);
  try {
    const writer = (async (): Promise<void> => {
      const block = randomBytes(CHUNK);
      for (let off = 0; off < TOTAL; off += CHUNK) {
        block[0] = off / CHUNK; // vary the data per chunk
        block[CHUNK - 1] = (off / CHUNK) >> 8;
        sent.update(block);
        if (!client.write(Buffer.from(block))) await once(client, 'drain', 30_000);
      }
      client.end();
    })();
    // A slow reader: paused mode, reads 64 KiB then yields to the timer queue.
    const reader = new Promise<void>((resolve, reject) => {
      server.on('error', reject);
      server.on('end', () => resolve());
      const pull = (): void => {
        maxUnread = Math.max(maxUnread, server.readableLength);
        let chunk: Buffer | null;
        let n = 0;
        while (n < 64 * 1024 && (chunk = server.read() as Buffer | null) !== null) {
          got.update(chunk);
          received += chunk.length;
          n += chunk.length;
        }
        if (!server.readableEnded) setTimeout(pull, received % (8 * 1024 * 1024) < 64 * 1024 ? 5 : 0);
      };
      server.on('readable', () => undefined);
      setTimeout(pull, 10);
    });
    await bounded(Promise.all([writer, reader]), 170_000, '256 MiB transfer');
  } finally {
    clearInterval(sampler);
  }
  assert.equal(received, TOTAL);
  assert.equal(got.digest('hex'), sent.digest('hex'));
  const growth = (rssMax - rssStart) / (1024 * 1024);
  assert.ok(maxUnread <= 64 * 1024 + 17 * 1024, `unread plaintext peaked at ${maxUnread} bytes (bound 81 KiB)`);
  assert.ok(growth <= 64, `RSS grew by ${growth.toFixed(1)} MiB (bound 64 MiB)`);
});

test('the TlsServer / TlsClient options a duplex builds carry no key log of their own: a connection without an observer formats no secrets, and a duplex still gets its own keylog lines', async () => {
  const c = await pki();
  assert.equal(toServerOptions({ key: c.keyPem, cert: c.certPem }, routedHooks).keyLog, undefined);
  assert.equal(toClientOptions({ ca: c.certPem, servername: 'localhost' }, routedHooks).keyLog, undefined);
  // Through a duplex, the 'keylog' event still sees the lines.
  const { client, server } = await pair();
  const lines: string[] = [];
  server.on('keylog', (line: Buffer) => lines.push(line.toString('latin1')));
  await Promise.all([once(server, 'secure', 5000), once(client, 'secureConnect', 5000)]);
  assert.ok(lines.some((l) => l.startsWith('SERVER_TRAFFIC_SECRET_0 ')), 'the server duplex logged its traffic secret');
  server.destroy();
  client.destroy();
});
