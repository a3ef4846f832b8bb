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
