/**
 * A fleet sharing sessions through Redis (issue 19), end to end: Debian's redis-server started here on a free
 * port, two `sspi-tls serve` processes sharing it and one --ticket-secret-file, and openssl s_client saving a
 * session on one server (-sess_out) and offering it to the other (-sess_in):
 *
 * - TLS 1.3 tickets and TLS 1.2 session IDs are Reused across servers;
 * - a single-use ticket resumes once across the two servers, and the second use is a full handshake;
 * - the keys in Redis carry the session lifetime as TTL and disappear when it runs out;
 * - Redis frozen (SIGSTOP) or stopped mid-test: handshakes continue, full, and the outage is logged once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { annotate, freePort, spawnPeer, type Peer } from '../helpers/peers.js';
import { redisKeys, sClientHandshake, startRedis } from './fleet.js';
import { CLI, startServe, type Serve } from './run.js';

interface Fleet {
  readonly redis: Peer;
  readonly redisPort: number;
  readonly a: Serve;
  readonly b: Serve;
  readonly dir: string;
  readonly peers: Peer[];
}

/** Redis, and two servers sharing it and one ticket secret; always torn down. */
async function withFleet(extra: readonly string[], fn: (f: Fleet) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sspi-tls-fleet-'));
  const peers: Peer[] = [];
  let redis: Peer | undefined;
  try {
    const secretFile = join(dir, 'ticket.secret');
    writeFileSync(secretFile, randomBytes(32).toString('hex') + '\n', { mode: 0o600 });
    const r = await startRedis();
    redis = r.redis;
    peers.push(redis);
    const args = ['--ticket-secret-file', secretFile, '--session-store', `redis://127.0.0.1:${r.port}`, ...(extra.includes('--session-timeout') ? [] : ['--session-timeout', '300']), ...extra];
    const a = await startServe(args, { name: 'serve A' });
    peers.push(a);
    const b = await startServe(args, { name: 'serve B' });
    peers.push(b);
    await fn({ redis, redisPort: r.port, a, b, dir, peers });
  } catch (e) {
    throw annotate(e, peers);
  } finally {
    // A frozen Redis would not stop on SIGTERM: let it run again first.
    if (redis !== undefined && redis.exitInfo() === undefined) redis.proc.kill('SIGCONT');
    await Promise.all(peers.map((p) => p.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One s_client connection through the fleet (its client stopped with the fleet): 'New' or 'Reused'. */
function handshake(f: Fleet, port: number, args: readonly string[]): Promise<'New' | 'Reused'> {
  return sClientHandshake(f.peers, port, args);
}

test('TLS 1.3 and TLS 1.2 (RFC 5077) tickets from server A are Reused on server B (shared ticket secret)', { timeout: 90_000 }, () =>
  withFleet([], async (f) => {
    for (const version of ['-tls1_3', '-tls1_2']) {
      const sess = join(f.dir, `s${version}.pem`);
      assert.equal(await handshake(f, f.a.port, [version, '-sess_out', sess]), 'New');
      assert.equal(await handshake(f, f.b.port, [version, '-sess_in', sess]), 'Reused');
    }
    await f.b.waitFor(/version=TLSv1\.3 .*resumed=yes[\s\S]*version=TLSv1\.2 .*resumed=yes/, 10_000, 'stdout');
  }));

test('TLS 1.2 session ID (no ticket): saved on A, Reused on B through Redis; the key has the session lifetime as TTL', { timeout: 90_000 }, () =>
  withFleet([], async (f) => {
    const sess = join(f.dir, 's12.pem');
    assert.equal(await handshake(f, f.a.port, ['-tls1_2', '-no_ticket', '-sess_out', sess]), 'New');
    const keys = [...(await redisKeys(f.redisPort))].filter(([k]) => k.startsWith('sspi-tls:s12:'));
    assert.equal(keys.length, 1, 'one TLS 1.2 session in Redis');
    const ttl = keys[0]?.[1] ?? -1;
    assert.ok(ttl > 0 && ttl <= 300, `TTL ${ttl} within the 300 s session lifetime`);
    assert.equal(await handshake(f, f.b.port, ['-tls1_2', '-no_ticket', '-sess_in', sess]), 'Reused');
    await f.b.waitFor(/version=TLSv1\.2 .*resumed=yes/, 10_000, 'stdout');
  }));

test('single-use TLS 1.3 tickets: Reused once on B, then a full handshake on A (taken atomically in Redis)', { timeout: 90_000 }, () =>
  withFleet(['--single-use-tickets'], async (f) => {
    const sess = join(f.dir, 's13.pem');
    assert.equal(await handshake(f, f.a.port, ['-tls1_3', '-sess_out', sess]), 'New');
    const issued = [...(await redisKeys(f.redisPort)).keys()].filter((k) => k.startsWith('sspi-tls:t13:'));
    assert.ok(issued.length >= 1, 'issued tickets are recorded');
    assert.equal(await handshake(f, f.b.port, ['-tls1_3', '-sess_in', sess]), 'Reused');
    assert.equal(await handshake(f, f.a.port, ['-tls1_3', '-sess_in', sess]), 'New');
    assert.equal(await handshake(f, f.b.port, ['-tls1_3', '-sess_in', sess]), 'New');
  }));

test('keys expire: with --session-timeout 1 the stored session disappears from Redis', { timeout: 90_000 }, () =>
  withFleet(['--session-timeout', '1'], async (f) => {
    assert.equal(await handshake(f, f.a.port, ['-tls1_2', '-no_ticket']), 'New');
    const before = await redisKeys(f.redisPort);
    assert.equal(before.size, 1, 'the session was stored');
    assert.ok([...before.values()].every((t) => t === 1 || t === 0), `TTL ${[...before.values()].join(',')} ≤ 1 s`);
    // Bounded wait for Redis to expire it (no timing asserted: only that it goes).
    const client = createClient({ url: `redis://127.0.0.1:${f.redisPort}` });
    client.on('error', () => {});
    await client.connect();
    try {
      for (let i = 0; i < 100 && (await client.keys('sspi-tls:*')).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(await client.keys('sspi-tls:*'), []);
    } finally {
      await client.close();
    }
  }));

test('Redis frozen, then stopped mid-test: handshakes continue (full), the outage is logged once, no hang', { timeout: 120_000 }, () =>
  withFleet([], async (f) => {
    const s12 = join(f.dir, 's12.pem');
    const s13 = join(f.dir, 's13.pem');
    assert.equal(await handshake(f, f.a.port, ['-tls1_2', '-no_ticket', '-sess_out', s12]), 'New');
    assert.equal(await handshake(f, f.a.port, ['-tls1_3', '-sess_out', s13]), 'New');
    // Frozen: the store call times out; the handshake goes on as a full one.
    f.redis.proc.kill('SIGSTOP');
    assert.equal(await handshake(f, f.b.port, ['-tls1_2', '-no_ticket', '-sess_in', s12]), 'New');
    f.redis.proc.kill('SIGCONT');
    // Stopped: calls fail at once.
    await f.redis.stop();
    for (let i = 0; i < 3; i++) {
      assert.equal(await handshake(f, f.a.port, ['-tls1_2', '-no_ticket', '-sess_in', s12]), 'New');
      // TLS 1.3 tickets need no store: still Reused with the shared secret.
      assert.equal(await handshake(f, f.b.port, ['-tls1_3', '-sess_in', s13]), 'Reused');
    }
    const logged = (s: Serve): number => (s.stdout().match(/session store: .* failed/g) ?? []).length;
    assert.equal(logged(f.a), 1, f.a.stdout());
    assert.equal(logged(f.b), 1, f.b.stdout());
    assert.doesNotMatch(f.a.output() + f.b.output(), /handshake-failed|error=/);
  }));

test('serve --workers 2: one listening port, a ticket from one worker is Reused on the others, SIGTERM stops them all', { timeout: 90_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sspi-tls-workers-'));
  const peers: Peer[] = [];
  try {
    const s = await startServe(['--workers', '2'], { name: 'serve --workers 2' });
    peers.push(s);
    await s.waitUntil('two workers listening', () => (s.stdout().match(/listening on .* worker=\d+/g) ?? []).length === 2, 15_000);
    const f: Fleet = { redis: s, redisPort: 0, a: s, b: s, dir, peers };
    const sess = join(dir, 's13.pem');
    assert.equal(await handshake(f, s.port, ['-tls1_3', '-sess_out', sess]), 'New');
    const workers = new Set<string>();
    for (let i = 0; i < 8 && workers.size < 2; i++) {
      assert.equal(await handshake(f, s.port, ['-tls1_3', '-sess_in', sess]), 'Reused');
      await s.waitUntil('the resumption logged', () => (s.stdout().match(/resumed=yes/g) ?? []).length === i + 1, 10_000);
      for (const m of s.stdout().matchAll(/resumed=yes worker=(\d+)/g)) workers.add(m[1] as string);
    }
    assert.equal(workers.size, 2, `resumed on both workers: ${[...workers].join(',')}`);
    s.proc.kill('SIGTERM');
    const exit = await s.waitExit(15_000);
    assert.equal(exit.code, 0, s.output());
    assert.equal((s.stdout().match(/^stopped$/gm) ?? []).length, 3, 'the primary and both workers stopped');
  } catch (e) {
    throw annotate(e, peers);
  } finally {
    await Promise.all(peers.map((p) => p.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a Redis that never answers: serve starts, handshakes are full, the outage is logged once, SIGTERM still stops it', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sspi-tls-noredis-'));
  const peers: Peer[] = [];
  try {
    const secretFile = join(dir, 'ticket.secret');
    writeFileSync(secretFile, randomBytes(32).toString('hex'), { mode: 0o600 });
    const deadPort = await freePort();
    const s = await startServe(['--ticket-secret-file', secretFile, '--session-store', `redis://127.0.0.1:${deadPort}`]);
    peers.push(s);
    const f: Fleet = { redis: s, redisPort: deadPort, a: s, b: s, dir, peers };
    const sess = join(dir, 's12.pem');
    assert.equal(await handshake(f, s.port, ['-tls1_2', '-no_ticket', '-sess_out', sess]), 'New');
    assert.equal(await handshake(f, s.port, ['-tls1_2', '-no_ticket', '-sess_in', sess]), 'New');
    assert.equal((s.stdout().match(/session store: .* failed/g) ?? []).length, 1, s.stdout());
    // It listened after a bounded wait for the store, and said so.
    assert.match(s.stdout(), /session store: not connected within \d+ ms; full handshakes until it is/);
    s.proc.kill('SIGTERM');
    const exit = await s.waitExit(15_000);
    assert.equal(exit.code, 0, s.output());
  } catch (e) {
    throw annotate(e, peers);
  } finally {
    await Promise.all(peers.map((p) => p.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
});

test('serve without --workers runs one worker per CPU (availableParallelism), one throwaway certificate for all', { timeout: 60_000 }, async () => {
  const peers: Peer[] = [];
  try {
    const n = availableParallelism();
    const s = await spawnPeer(process.execPath, [CLI, 'serve', '--port', '0'], { name: 'serve (default workers)', readyPattern: /listening on [^\s]+:(\d+)/, stream: 'stdout', timeoutMs: 20_000 });
    peers.push(s);
    if (n === 1) {
      assert.doesNotMatch(s.stdout(), /primary|worker=/);
    } else {
      await s.waitUntil(`${n} workers listening`, () => (s.stdout().match(/listening on .* worker=\d+/g) ?? []).length === n, 20_000);
      assert.match(s.stdout(), new RegExp(`^primary \\d+: starting ${n} worker\\(s\\)$`, 'm'));
      const prints = new Set([...s.stdout().matchAll(/SHA-256 ([0-9A-F:]+)/g)].map((m) => m[1]));
      assert.equal(prints.size, 1, 'every worker serves the same certificate');
    }
    s.proc.kill('SIGTERM');
    assert.equal((await s.waitExit(15_000)).code, 0, s.output());
  } catch (e) {
    throw annotate(e, peers);
  } finally {
    await Promise.all(peers.map((p) => p.stop()));
  }
});
