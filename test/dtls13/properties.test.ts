/**
 * DTLS 1.3 properties (fast-check): any loss / duplication / reordering pattern and any MTU ends in a completed
 * handshake (then data and a KeyUpdate flow) or a clean HandshakeTimeout, never another error; a record delivered
 * again is never delivered twice; a datagram of random bytes or a mutated record is dropped, never thrown.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { NodeCryptoProvider } from '../../src/crypto/node-provider.js';
import { dtls13Suite, suiteByName } from '../../src/crypto/suites.js';
import { Dtls13RecordLayer } from '../../src/dtls/v13/record-layer.js';
import { TlsError } from '../../src/errors.js';
import { Network } from './network.js';

const impairment = fc.record({
  loss: fc.double({ min: 0, max: 0.5, noNaN: true }),
  duplicate: fc.double({ min: 0, max: 0.5, noNaN: true }),
  reorder: fc.double({ min: 0, max: 1, noNaN: true }),
  seed: fc.integer({ min: 1, max: 2 ** 30 }),
  mtu: fc.integer({ min: 256, max: 1500 }),
});

test('any impairment and MTU: the handshake completes (then data and a KeyUpdate flow) or times out cleanly', (t) => {
  let completed = 0;
  let timedOut = 0;
  fc.assert(
    fc.property(impairment, ({ loss, duplicate, reorder, seed, mtu }) => {
      const net = new Network({ loss, duplicate, reorder, seed }, { dtls: { mtu, initialTimeoutMs: 100, maxRetransmissions: 8 } });
      net.handshake();
      const failure = net.client.failed ?? net.server?.failed;
      if (failure !== undefined) {
        assert.ok(failure instanceof TlsError, String(failure));
        assert.equal(failure.reason, 'LimitExceeded.HandshakeTimeout', failure.message);
        // The other side ends too: established, or its own clean timeout; never waiting forever with no timer.
        net.drain();
        for (const c of [net.client, net.server]) {
          if (c === undefined) continue;
          assert.ok(c.isEstablished || c.failed?.reason === 'LimitExceeded.HandshakeTimeout', `${c.side}: ${c.stateName} ${c.failed?.message ?? ''}`);
          assert.equal(c.nextTimeout(), null);
        }
        timedOut++;
        return;
      }
      const server = net.server;
      assert.ok(net.client.isEstablished && server?.isEstablished, `stalled: client ${net.client.stateName} server ${server?.stateName}`);
      completed++;
      // A KeyUpdate under the same impairment: acknowledged, or a clean timeout.
      assert.ok(net.client.updateKeys(true));
      net.run(() => net.client.epochs.send === 4 && server.epochs.send === 4 && net.client.nextTimeout() === null && server.nextTimeout() === null);
      const after = net.client.failed ?? server.failed;
      if (after !== undefined) {
        assert.equal(after.reason, 'LimitExceeded.HandshakeTimeout', after.message);
        return;
      }
      assert.deepEqual([net.client.epochs, server.epochs], [{ send: 4, receive: 4 }, { send: 4, receive: 4 }]);
    }),
    { numRuns: 60, seed: 20261207 },
  );
  assert.ok(completed > 0, 'some handshakes completed');
  t.diagnostic(`DTLS 1.3 under impairment: ${completed} handshakes completed, ${timedOut} timed out cleanly`);
  assert.ok(completed + timedOut === 60);
});

test('replayed records are dropped: every record delivered any number of times, in any order, opens once', () => {
  const p = new NodeCryptoProvider();
  const suite = suiteByName('TLS_AES_128_GCM_SHA256');
  assert.ok(suite);
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 200 }), (order) => {
      const a = new Dtls13RecordLayer(p);
      const b = new Dtls13RecordLayer(p);
      a.installSend(dtls13Suite(suite), 3, new Uint8Array(32).fill(3));
      b.installReceive(dtls13Suite(suite), 3, new Uint8Array(32).fill(3));
      const records = Array.from({ length: 41 }, (_, i) => a.seal(23, new Uint8Array([i]), { seqLength: i % 2 === 0 ? 1 : 2 }));
      const seen = new Map<number, number>();
      for (const i of order) {
        for (const r of b.open(records[i] as Uint8Array).records) seen.set(r.seq, (seen.get(r.seq) ?? 0) + 1);
      }
      for (const [seq, n] of seen) assert.equal(n, 1, `record ${seq} opened ${n} times`);
      // Every distinct record opened (all are within the 64-record window).
      assert.equal(seen.size, new Set(order).size);
    }),
    { numRuns: 200 },
  );
});

test('random datagrams and mutated records are dropped, never thrown', () => {
  const p = new NodeCryptoProvider();
  const suite = suiteByName('TLS_CHACHA20_POLY1305_SHA256');
  assert.ok(suite);
  const a = new Dtls13RecordLayer(p);
  const b = new Dtls13RecordLayer(p);
  a.installSend(dtls13Suite(suite), 2, new Uint8Array(32).fill(2));
  b.installReceive(dtls13Suite(suite), 2, new Uint8Array(32).fill(2));
  const good = a.seal(22, new Uint8Array(40).fill(7));
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (junk, at, x) => {
      const r1 = b.open(junk);
      for (const r of r1.records) assert.equal(r.epoch, 0, 'only a plaintext record can come out of junk');
      const bad = good.slice();
      bad[at % bad.length] = (bad[at % bad.length] as number) ^ x;
      assert.equal(b.open(bad).records.length, 0);
    }),
    { numRuns: 500 },
  );
});

test('hostile datagrams: the listener and both connections never throw; what fails is a TlsError; valid traffic goes on', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ to: fc.constantFrom('client', 'server', 'listener'), at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }), junk: fc.uint8Array({ maxLength: 64 }), mode: fc.constantFrom('flip', 'junk', 'truncate') }), { maxLength: 8 }),
      fc.integer({ min: 1, max: 2 ** 30 }),
      (attacks, seed) => {
        // Record every datagram of a clean handshake, then replay mutated copies of them at the endpoints.
        const seen: Uint8Array[] = [];
        const net = new Network({ seed, drop: (_i, _from, d) => (seen.push(d.slice()), false) });
        net.handshake();
        const server = net.server;
        assert.ok(net.client.isEstablished && server?.isEstablished);
        for (const a of attacks) {
          const base = seen[a.at % seen.length] ?? new Uint8Array(0);
          let d: Uint8Array;
          if (a.mode === 'junk') d = a.junk;
          else if (a.mode === 'truncate') d = base.subarray(0, a.at % (base.length + 1));
          else {
            d = base.slice();
            if (d.length > 0) d[a.at % d.length] = (d[a.at % d.length] as number) ^ a.xor;
          }
          if (a.to === 'listener') {
            const r = net.listener.accept(d, '198.51.100.1:9');
            if (r.error !== undefined) assert.ok(r.error instanceof TlsError);
          } else {
            (a.to === 'client' ? net.client : server).receive(d);
          }
        }
        // Mutations of authenticated records are dropped: nothing failed, and data still flows.
        for (const c of [net.client, server]) assert.equal(c.failed, undefined, c.failed?.message);
        net.client.send(new Uint8Array([42]));
        net.collect();
        net.deliver();
        assert.deepEqual(server.takeApplicationData().map((x) => [...x]), [[42]]);
      },
    ),
    { numRuns: 40, seed: 7 },
  );
});
