/**
 * Pre-authentication cost is linear in the peer's bytes (issue 14): an attacker's bytes must not buy more CPU than
 * a peer's. No timed assertions: each test compares the CPU of the same work at two sizes (16 KiB vs 64 KiB) and
 * checks the ratio is far from quadratic (linear: 4, quadratic: 16; the bound, 10, is generous: the best of five
 * runs on a shared machine measured 3.5 to 6.5).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ContentType, HandshakeType } from '../../src/wire/registry.js';
import type { TlsEngine } from '../../src/engine/connection.js';
import { feed, record, ScriptedClient, testServer } from './scripted-client.js';

/** Every byte of `msg` in its own record of `type`. */
function oneByteRecords(msg: Uint8Array, type: number = ContentType.Handshake): Uint8Array {
  const out = new Uint8Array(msg.length * 6);
  for (let i = 0; i < msg.length; i++) out.set([type, 3, 3, 0, 1, msg[i] as number], i * 6);
  return out;
}

/** A ClientHello of about `size` bytes (a padding extension fills it). */
function helloOfSize(c: ScriptedClient, size: number): Uint8Array {
  const base = c.hello().length;
  const fresh = new ScriptedClient();
  return fresh.hello({ extra: [{ type: 21, data: new Uint8Array(Math.max(0, size - base - 4)) }] });
}

/** Feed `bytes` as a transport would (4 KiB reads, keeping what was not consumed). */
function deliver(server: TlsEngine, bytes: Uint8Array): void {
  let pending = new Uint8Array(0);
  for (let at = 0; at < bytes.length; at += 4096) {
    const chunk = bytes.subarray(at, Math.min(bytes.length, at + 4096));
    const input = pending.length === 0 ? chunk : new Uint8Array([...pending, ...chunk]);
    const r = server.process(input);
    pending = input.slice(r.consumed);
  }
  assert.equal(pending.length, 0, 'every record consumed');
}

/** CPU microseconds of `fn`, best of `runs`. */
async function cpu(runs: number, setup: () => Promise<() => void>): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const fn = await setup();
    const t0 = process.cpuUsage();
    fn();
    const d = process.cpuUsage(t0);
    best = Math.min(best, d.user + d.system);
  }
  return best;
}

describe('pre-authentication work is linear in the bytes received', () => {
  test('a ClientHello in 1-byte records: 64 KiB costs about 4x 16 KiB, not 16x', async () => {
    const measure = (size: number): Promise<number> => cpu(5, async () => {
      const server = await testServer();
      const bytes = oneByteRecords(helloOfSize(new ScriptedClient(), size));
      return () => {
        deliver(server, bytes);
        assert.equal(server.stateName, 'ExpectFinished', 'the hello was answered');
      };
    });
    await measure(4096); // warm-up
    const small = await measure(16 * 1024);
    const large = await measure(64 * 1024);
    const ratio = large / small;
    if (process.env["SHOW_CPU"] !== undefined) console.log(`16 KiB: ${small} µs, 64 KiB: ${large} µs, ratio ${ratio.toFixed(2)}`);
    assert.ok(ratio < 10, `64 KiB / 16 KiB CPU ratio ${ratio.toFixed(2)} (${small} µs vs ${large} µs): superlinear`);
  });

  test('zero-length early-data records after a ClientHello with early_data end within the budget', async () => {
    const server = await testServer();
    const c = new ScriptedClient();
    const hello = c.hello({ earlyData: true });
    assert.equal(feed(server, record(ContentType.Handshake, hello)).error, undefined);
    // 1 MB of empty records: refused long before its end (each one is charged against the early-data budget).
    const empty = new Uint8Array([23, 3, 3, 0, 0]);
    const flood = new Uint8Array(empty.length * 200_000);
    for (let i = 0; i < 200_000; i++) flood.set(empty, i * 5);
    const r = feed(server, flood);
    assert.equal(r.error?.alert, 'bad_record_mac');
  });

  test('every message of a full handshake in 1-byte records completes it', async () => {
    const server = await testServer();
    const c = new ScriptedClient();
    let out: Uint8Array = new Uint8Array(0);
    for (const rec of chunks(oneByteRecords(c.hello()), 6)) {
      const r = feed(server, rec);
      assert.equal(r.error, undefined, r.error?.message);
      if (r.output.length > 0) out = r.output;
    }
    c.serverFlight(out);
    const fin = c.finished();
    for (let i = 0; i < fin.length; i++) {
      const r = feed(server, c.seal(ContentType.Handshake, fin.subarray(i, i + 1)));
      assert.equal(r.error, undefined, r.error?.message);
    }
    assert.equal(server.isEstablished, true);
    assert.equal(c.serverMessages[0]?.[0], HandshakeType.EncryptedExtensions);
  });
});

function* chunks(b: Uint8Array, n: number): Generator<Uint8Array> {
  for (let at = 0; at < b.length; at += n) yield b.subarray(at, at + n);
}
