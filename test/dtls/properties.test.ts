/**
 * Property tests of the DTLS 1.2 engine: any loss / reordering / duplication pattern ends in a completed handshake or
 * a clean timeout; fragments cut anywhere and delivered in any order reassemble to the same messages; a record
 * delivered twice is opened once.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { TlsError } from '../../src/errors.js';
import { decodeFragments, encodeFragment, Reassembler, ReplayWindow } from '../../src/dtls/index.js';
import { dtlsPair, Link, NONE, runHandshake } from './pair.js';

test('any loss, reordering and duplication: the handshake completes or times out cleanly, and data then flows', async () => {
  let completed = 0;
  let timedOut = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.record({
        loss: fc.double({ min: 0, max: 0.5, noNaN: true }),
        duplicate: fc.double({ min: 0, max: 0.5, noNaN: true }),
        reorder: fc.double({ min: 0, max: 0.5, noNaN: true }),
        seed: fc.integer({ min: 1, max: 2 ** 30 }),
        mtu: fc.integer({ min: 256, max: 1500 }),
      }),
      async ({ loss, duplicate, reorder, seed, mtu }) => {
        const dtls = { mtu, initialTimeoutMs: 100, maxRetransmissions: 8 };
        const p = await dtlsPair({}, {}, { client: dtls, server: dtls }, 'prop');
        const link = new Link({ loss, duplicate, reorder }, seed);
        try {
          runHandshake(p, link);
        } catch (e) {
          // The only acceptable failure: a flight unanswered through every retransmission.
          assert.ok(e instanceof TlsError, String(e));
          assert.equal(e.reason, 'LimitExceeded.HandshakeTimeout');
          timedOut++;
          return;
        }
        completed++;
        assert.ok(p.client.isEstablished && p.server.isEstablished);
        assert.equal(p.client.failed, undefined);
        // Data after the handshake: every record that arrives is opened exactly once, in any order.
        const data = p.client.seal(new Uint8Array(3000).fill(7));
        const got = [...data, ...data].flatMap((d) => p.server.process(d).plaintext);
        assert.equal(got.reduce((n, g) => n + g.length, 0), 3000);
      },
    ),
    { numRuns: 40, seed: 2026 },
  );
  // Up to 50% loss with 8 retransmissions: nearly every handshake completes.
  assert.ok(completed >= 30, `completed ${completed}, timed out ${timedOut}`);
});

test('fragments cut anywhere, overlapping, duplicated and in any order reassemble to the same messages', () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ minLength: 0, maxLength: 600 }), { minLength: 1, maxLength: 5 }),
      fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: 1, maxLength: 40 }),
      fc.integer({ min: 1, max: 2 ** 30 }),
      (bodies, cuts, seed) => {
        const frags: Uint8Array[] = [];
        bodies.forEach((body, seq) => {
          // Pieces at random offsets and lengths, plus a full cover so each message can complete.
          for (const [a, b] of cuts) {
            const off = body.length === 0 ? 0 : a % body.length;
            const len = Math.min(body.length - off, (b % 200) + 1);
            frags.push(encodeFragment(10 + seq, body.length, seq, off, body.subarray(off, off + len)));
          }
          for (let off = 0; off < Math.max(1, body.length); off += 97) frags.push(encodeFragment(10 + seq, body.length, seq, off, body.subarray(off, off + 97)));
        });
        let s = seed;
        const rand = (): number => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
        for (let i = frags.length - 1; i > 0; i--) {
          const j = Math.floor(rand() * (i + 1));
          [frags[i], frags[j]] = [frags[j] as Uint8Array, frags[i] as Uint8Array];
        }
        const r = new Reassembler();
        const out: Uint8Array[] = [];
        for (const f of frags) {
          const decoded = decodeFragments(f);
          assert.ok(decoded !== undefined);
          for (const d of decoded) r.push(d);
          for (let m = r.take(); m !== undefined; m = r.take()) out.push(m.body);
        }
        assert.equal(out.length, bodies.length);
        out.forEach((b, i) => assert.deepEqual(b, bodies[i]));
      },
    ),
    { numRuns: 200, seed: 7 },
  );
});

test('the replay window accepts each sequence number once and nothing older than the window', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 400 }), (seqs) => {
      const w = new ReplayWindow();
      const accepted = new Set<number>();
      let top = -1;
      for (const s of seqs) {
        const fresh = w.mayBeNew(s);
        const expected = !accepted.has(s) && s > top - 64;
        assert.equal(fresh, expected, `seq ${s} top ${top}`);
        if (fresh) {
          w.accept(s);
          accepted.add(s);
          top = Math.max(top, s);
        }
      }
    }),
    { numRuns: 300, seed: 11 },
  );
});

test('records replayed after the handshake are dropped and counted', async () => {
  const p = await dtlsPair();
  runHandshake(p, new Link(NONE, 3));
  const [d] = p.client.seal(new Uint8Array([1, 2, 3]));
  assert.ok(d !== undefined);
  assert.equal(p.server.process(d).plaintext.length, 1);
  const before = p.server.drops.replayed;
  assert.equal(p.server.process(d).plaintext.length, 0);
  assert.equal(p.server.drops.replayed, before + 1);
  // A flipped bit fails authentication and is dropped, not fatal.
  const [e] = p.client.seal(new Uint8Array([4]));
  assert.ok(e !== undefined);
  const bad = e.slice();
  bad[bad.length - 1] = (bad[bad.length - 1] as number) ^ 1;
  assert.equal(p.server.process(bad).plaintext.length, 0);
  assert.equal(p.server.failed, undefined);
  assert.equal(p.server.process(e).plaintext.length, 1);
});

test('mutated datagrams (bit flips, truncation, garbage, spliced headers) are dropped or alerted, never a crash', async () => {
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 30 }), fc.double({ min: 0.05, max: 0.6, noNaN: true }), async (seed, rate) => {
      const dtls = { mtu: 300, initialTimeoutMs: 50, maxRetransmissions: 6 };
      const p = await dtlsPair({}, {}, { client: dtls, server: dtls }, 'mutate');
      let s = seed;
      const rand = (): number => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
      const mutate = (d: Uint8Array): Uint8Array => {
        if (rand() >= rate) return d;
        const m = d.slice();
        switch (Math.floor(rand() * 4)) {
          case 0:
          {
            const i = Math.floor(rand() * m.length);
            m[i] = (m[i] as number) ^ (1 << Math.floor(rand() * 8));
            return m;
          }
          case 1:
            return m.subarray(0, Math.floor(rand() * m.length));
          case 2:
            return m.map(() => Math.floor(rand() * 256));
          default:
            // A header field (epoch, sequence number, length or a handshake length) set to something else.
            m[3 + Math.floor(rand() * 22) % m.length] = Math.floor(rand() * 256);
            return m;
        }
      };
      let now = 1_000;
      const toServer = p.client.start(now).datagrams.map(mutate);
      const toClient: Uint8Array[] = [];
      try {
        for (let step = 0; step < 400 && !(p.client.isEstablished && p.server.isEstablished); step++) {
          const a = toServer.shift();
          if (a !== undefined) toClient.push(...p.server.process(a, now).datagrams.map(mutate));
          const b = toClient.shift();
          if (b !== undefined) toServer.push(...p.client.process(b, now).datagrams.map(mutate));
          if (a === undefined && b === undefined) {
            const t = [p.client.nextTimeout(), p.server.nextTimeout()].filter((x): x is number => x !== null);
            if (t.length === 0) break;
            now = Math.min(...t);
            toServer.push(...p.client.handleTimeout(now).datagrams.map(mutate));
            toClient.push(...p.server.handleTimeout(now).datagrams.map(mutate));
          }
        }
      } catch (e) {
        // A fatal error is a TlsError with its alert (a mutated but authenticated-looking message, or a timeout).
        assert.ok(e instanceof TlsError, String(e));
      }
    }),
    { numRuns: 60, seed: 99 },
  );
});
