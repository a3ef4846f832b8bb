/**
 * Helpers for the shared-session tests (issue 19): Debian's redis-server on a free port, one openssl s_client
 * connection that reports New or Reused, and the session keys in Redis with their TTLs.
 */
import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import { freePort, opensslClient, requirePeer, spawnPeer, type Peer } from '../helpers/peers.js';

/** redis-server on 127.0.0.1 and a free port, no persistence; retried if the port was taken meanwhile. */
export async function startRedis(): Promise<{ redis: Peer; port: number }> {
  const bin = requirePeer('redis-server', 'redis-server');
  let last: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    try {
      const redis = await spawnPeer(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
        name: 'redis-server',
        readyPattern: /Ready to accept connections/,
        failPattern: /Address already in use|Could not create server/,
        stream: 'stdout',
        timeoutMs: 15_000,
      });
      return { redis, port };
    } catch (e) {
      last = e;
    }
  }
  throw last;
}

/**
 * One s_client connection to an echo server: handshake, one echoed line (so a TLS 1.3 NewSessionTicket, sent
 * before the echo, has been read and saved), then quit. Returns 'New' or 'Reused' as s_client prints it. The client
 * is pushed on `peers` so the caller's finally stops it.
 */
export async function sClientHandshake(peers: Peer[], port: number, args: readonly string[]): Promise<'New' | 'Reused'> {
  const c = await opensslClient(port, ['-servername', 'localhost', ...args]);
  peers.push(c);
  const m = await c.waitFor(/^(New|Reused), TLSv1\.[23], Cipher is/m, 15_000, 'stdout');
  const line = `ping ${randomBytes(4).toString('hex')}`;
  c.write(line + '\n');
  await c.waitFor(new RegExp(line), 15_000, 'stdout');
  c.write('Q\n');
  await c.waitExit(15_000);
  return m[1] as 'New' | 'Reused';
}

/** Every `sspi-tls:*` key in the Redis on `port`, with its TTL in seconds. */
export async function redisKeys(port: number): Promise<Map<string, number>> {
  const client = createClient({ url: `redis://127.0.0.1:${port}` });
  client.on('error', () => {});
  await client.connect();
  try {
    const out = new Map<string, number>();
    for (const k of await client.keys('sspi-tls:*')) out.set(k, await client.ttl(k));
    return out;
  } finally {
    await client.close();
  }
}
