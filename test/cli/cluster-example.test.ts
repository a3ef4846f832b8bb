/**
 * examples/cluster-shared-sessions.ts run as a test (issue 19): two instances of the example, A with two
 * node:cluster workers and B with one, sharing one ticket secret file and one Debian redis-server. openssl s_client
 * saves a session on one and offers it to the other; what counts is s_client's own "Reused" and the example's
 * per-connection line from the worker that resumed it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { annotate, freePort, projectRoot, spawnPeer, type Peer } from '../helpers/peers.js';
import { getPki } from '../helpers/pki.js';
import { sClientHandshake, startRedis } from './fleet.js';

const EXAMPLE = join(projectRoot, 'dist', 'examples', 'cluster-shared-sessions.js');

interface Instance extends Peer {
  readonly port: number;
}

async function startExample(name: string, args: readonly string[], redisUrl: string): Promise<Instance> {
  const port = await freePort();
  const p = await spawnPeer(process.execPath, [EXAMPLE, '--port', String(port), ...args], {
    name,
    readyPattern: /^READY (\d+)$/m,
    stream: 'stdout',
    timeoutMs: 20_000,
    env: { REDIS_URL: redisUrl },
  });
  return { ...p, port: Number(p.ready?.[1]) };
}

/** The example's per-connection lines: worker pid, version, resumed. */
function connections(p: Peer): { pid: string; version: string; resumed: boolean }[] {
  return [...p.stdout().matchAll(/^worker (\d+) (TLSv1\.[23]) resumed=(yes|no)$/gm)].map((m) => ({ pid: m[1] as string, version: m[2] as string, resumed: m[3] === 'yes' }));
}

test('examples/cluster-shared-sessions: sessions resume across two instances and across workers through Redis; single-use tickets', { timeout: 120_000 }, async () => {
  const pki = await getPki();
  const dir = mkdtempSync(join(tmpdir(), 'sspi-tls-cluster-example-'));
  const peers: Peer[] = [];
  try {
    const secret = join(dir, 'ticket.secret');
    writeFileSync(secret, randomBytes(32).toString('hex') + '\n', { mode: 0o600 });
    const { redis, port: redisPort } = await startRedis();
    peers.push(redis);
    const url = `redis://127.0.0.1:${redisPort}`;
    const creds = ['--cert', pki.server.p256.certPath, '--key', pki.server.p256.keyPath, '--secret', secret];
    const a = await startExample('example A (2 workers)', [...creds, '--workers', '2'], url);
    peers.push(a);
    const b = await startExample('example B (1 worker)', [...creds, '--workers', '1'], url);
    peers.push(b);

    // TLS 1.3 ticket issued by A, resumed by B (shared ticket keys); single-use: A then refuses it.
    const s13 = join(dir, 's13.pem');
    assert.equal(await sClientHandshake(peers, a.port, ['-tls1_3', '-sess_out', s13]), 'New');
    assert.equal(await sClientHandshake(peers, b.port, ['-tls1_3', '-sess_in', s13]), 'Reused');
    await b.waitUntil("B's worker logged the resumption", () => connections(b).some((c) => c.version === 'TLSv1.3' && c.resumed), 10_000);
    assert.equal(await sClientHandshake(peers, a.port, ['-tls1_3', '-sess_in', s13]), 'New', 'a single-use ticket is refused the second time, on the other instance');

    // TLS 1.2 session ID (no ticket): only Redis can carry it. Made on A, resumed on B and on both of A's workers.
    const s12 = join(dir, 's12.pem');
    assert.equal(await sClientHandshake(peers, a.port, ['-tls1_2', '-no_ticket', '-sess_out', s12]), 'New');
    assert.equal(await sClientHandshake(peers, b.port, ['-tls1_2', '-no_ticket', '-sess_in', s12]), 'Reused');
    const resumedOnA = (): Set<string> => new Set(connections(a).filter((c) => c.version === 'TLSv1.2' && c.resumed).map((c) => c.pid));
    for (let i = 0; i < 8 && resumedOnA().size < 2; i++) {
      assert.equal(await sClientHandshake(peers, a.port, ['-tls1_2', '-no_ticket', '-sess_in', s12]), 'Reused');
      await a.waitUntil('A logged the resumption', () => connections(a).filter((c) => c.version === 'TLSv1.2' && c.resumed).length === i + 1, 10_000);
    }
    assert.equal(resumedOnA().size, 2, `both of A's workers resumed the session made on A: ${a.stdout()}`);
    assert.equal(new Set(connections(a).map((c) => c.pid)).size, 2);
    assert.doesNotMatch(a.output() + b.output(), /failed|Error/);
  } catch (e) {
    throw annotate(e, peers);
  } finally {
    await Promise.all(peers.map((p) => p.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
});
