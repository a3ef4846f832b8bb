/**
 * Splitting any valid input at any byte gives the same result as delivering it whole (DESIGN C.12): the
 * ClientHello into the server and the server's flight into the client are delivered in 1, 2 or 3 pieces through
 * TlsConnection.receive (which buffers partial records). With deterministic providers (Ed25519 server, so even
 * the CertificateVerify is reproducible) every output byte and every event must be identical.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { TlsClient, TlsServer, type TlsConnection } from '../../src/api/connection.js';
import { pairOptions } from '../helpers/pair.js';
import { toHex } from '../helpers/hex.js';

/** Deliver `bytes` in pieces cut at the given fractions (each in [0,1)). */
function deliver(to: TlsConnection, bytes: Uint8Array, cuts: readonly number[]): void {
  const at = [...new Set(cuts.map((c) => Math.floor(c * bytes.length)))].filter((x) => x > 0).sort((a, b) => a - b);
  let prev = 0;
  for (const a of [...at, bytes.length]) {
    to.receive(bytes.subarray(prev, a));
    prev = a;
  }
}

function recordEvents(c: TlsConnection, log: string[], side: string): void {
  c.on('handshake', (info) => log.push(`${side} handshake ${info.cipherName} ${info.groupName ?? ''} ${info.alpnProtocol ?? ''} ${info.peerCertificates.length}`));
  c.on('session', (t) => log.push(`${side} session ${toHex(t.data)}`));
  c.on('data', (d) => log.push(`${side} data ${toHex(d)}`));
  c.on('close', () => log.push(`${side} close`));
}

async function run(chCuts: readonly number[], flightCuts: readonly number[], finCuts: readonly number[]): Promise<{ wire: string[]; events: string[] }> {
  const o = await pairOptions({ ALPNProtocols: ['h2', 'http/1.1'] }, { ALPNProtocols: ['http/1.1'] }, { seed: 'split' });
  const server = new TlsServer(o.server).accept();
  const client = new TlsClient(o.client).connect();
  const events: string[] = [];
  recordEvents(server, events, 'server');
  recordEvents(client, events, 'client');
  const wire: string[] = [];
  const ch = client.takeOutput();
  wire.push(toHex(ch));
  deliver(server, ch, chCuts);
  const flight = server.takeOutput();
  wire.push(toHex(flight));
  deliver(client, flight, flightCuts);
  client.write(new TextEncoder().encode('hello'));
  const fin = client.takeOutput();
  wire.push(toHex(fin));
  deliver(server, fin, finCuts);
  const tickets = server.takeOutput();
  wire.push(toHex(tickets));
  client.receive(tickets);
  assert.ok(client.isHandshakeComplete && server.isHandshakeComplete);
  return { wire, events };
}

const cutsArb = fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { minLength: 0, maxLength: 2 });

test('property: ClientHello, server flight and client Finished split in up to 3 pieces → identical bytes and events', async () => {
  const whole = await run([], [], []);
  assert.ok(whole.events.some((e) => e.startsWith('client session')), 'tickets arrive');
  assert.ok(whole.events.includes('server data 68656c6c6f'));
  await fc.assert(
    fc.asyncProperty(cutsArb, cutsArb, cutsArb, async (a, b, c) => {
      const split = await run(a, b, c);
      assert.deepEqual(split, whole);
    }),
    { numRuns: 150, seed: 42 },
  );
});

test('every single split point of the server flight gives the same client output', async () => {
  const whole = await run([], [], []);
  const flightLen = whole.wire[1]!.length / 2;
  for (let i = 1; i < flightLen; i += Math.max(1, Math.floor(flightLen / 97))) {
    const split = await run([], [i / flightLen], []);
    assert.deepEqual(split.wire, whole.wire, `split at ${i}`);
  }
});

test('application data fed one byte at a time: same plaintext, in linear time; a bad header fails at its 5th byte', async () => {
  const o = await pairOptions({}, {}, { seed: 'bytewise' });
  const server = new TlsServer(o.server).accept();
  const client = new TlsClient(o.client).connect();
  server.receive(client.takeOutput());
  client.receive(server.takeOutput());
  server.receive(client.takeOutput());
  client.receive(server.takeOutput());
  const sent = new Uint8Array(3 * 16384 + 1000).map((_, i) => (i * 7) & 0xff);
  client.write(sent);
  client.close();
  const wire = client.takeOutput();
  const got: Uint8Array[] = [];
  let closed = false;
  server.on('data', (d) => got.push(d.slice()));
  server.on('close', () => {
    closed = true;
  });
  for (let i = 0; i < wire.length; i++) server.receive(wire.subarray(i, i + 1));
  const all = new Uint8Array(got.reduce((n, d) => n + d.length, 0));
  got.reduce((at, d) => (all.set(d, at), at + d.length), 0);
  assert.deepEqual(all, sent);
  assert.ok(closed, 'close_notify delivered');

  // A record header announcing 2^14 + 256 + 1 bytes (over the TLS 1.3 limit) is refused as soon as it is whole.
  const c2 = new TlsClient(o.client).connect();
  const s2 = new TlsServer(o.server).accept();
  s2.receive(c2.takeOutput());
  c2.receive(s2.takeOutput());
  s2.receive(c2.takeOutput());
  const bad = new Uint8Array([23, 3, 3, 0x41, 0x01]);
  for (let i = 0; i < 4; i++) s2.receive(bad.subarray(i, i + 1));
  assert.throws(() => s2.receive(bad.subarray(4, 5)), (e: Error & { alert?: string }) => e.alert === 'record_overflow');
});

test('property: application records cut anywhere (up to 12 pieces) → the same plaintext and close, nothing carried after', async () => {
  const o = await pairOptions({}, {}, { seed: 'appsplit' });
  const sent = new Uint8Array(2 * 16384 + 333).map((_, i) => (i * 13 + 5) & 0xff);
  // Each run: a fresh connection; its records (two full, one short, one empty, close_notify) cut at random points.
  await fc.assert(
    fc.asyncProperty(fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { maxLength: 11 }), async (cuts) => {
      const c = new TlsClient(o.client).connect();
      const s = new TlsServer(o.server).accept();
      s.receive(c.takeOutput());
      c.receive(s.takeOutput());
      s.receive(c.takeOutput());
      c.write(sent);
      c.write(new Uint8Array(0));
      c.close();
      const wire = c.takeOutput();
      const got: number[] = [];
      let closed = 0;
      s.on('data', (d) => got.push(...d));
      s.on('close', () => closed++);
      deliver(s, wire, cuts);
      assert.equal(closed, 1);
      assert.deepEqual(new Uint8Array(got), sent);
    }),
    { numRuns: 60, seed: 7 },
  );
});
