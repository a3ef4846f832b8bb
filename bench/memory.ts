/**
 * Memory per established idle connection, in a child process: `node --expose-gc dist/bench/memory.js <kind> <n>`
 * with kind ours | node | transport | duplex. Makes n client+server pairs over memory, keeps them all, and prints
 * one JSON line: bytes per connection (each side counts as one connection) of JS heap, RSS and
 * external + array buffers, after full GCs, relative to a baseline taken after a warm-up batch was made and freed.
 */
import { makeCerts } from './certs.js';
import { handshake, makePair } from './ours.js';
import { memPair, nodeContexts, nodeHandshake } from './node-tls.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc');
const kind = process.argv[2] ?? 'ours';
const n = Number(process.argv[3] ?? 2000);

async function settle(): Promise<void> {
  for (let i = 0; i < 4; i++) {
    await new Promise((r) => setImmediate(r));
    gc?.();
  }
}
function usage(): { heap: number; rss: number; ext: number } {
  const m = process.memoryUsage();
  return { heap: m.heapUsed, rss: m.rss, ext: m.external + m.arrayBuffers };
}

async function make(count: number, keep: unknown[]): Promise<void> {
  const cert = certs.ecdsa;
  if (kind === 'ours') {
    for (let i = 0; i < count; i++) keep.push(handshake(pair));
  } else if (kind === 'node') {
    for (let i = 0; i < count; i += 20) {
      const batch = await Promise.all(Array.from({ length: Math.min(20, count - i) }, () => nodeHandshake(ctx, 2)));
      for (const c of batch) keep.push({ s: c.server, c: c.client });
    }
  } else if (kind === 'transport') {
    for (let i = 0; i < count; i++) keep.push(memPair());
  } else if (kind === 'duplex') {
    const spec = '../src/node/index.js';
    const m = (await import(spec)) as { TlsDuplex: new (t: unknown, o: Record<string, unknown>) => import('node:stream').Duplex; duplexPair: () => [unknown, unknown]; };
    for (let i = 0; i < count; i += 20) {
      const batch = await Promise.all(Array.from({ length: Math.min(20, count - i) }, async () => {
        const [a, b] = m.duplexPair();
        const s = new m.TlsDuplex(a, { isServer: true, cert: cert.cert, key: cert.key, handshakeTimeout: 0 });
        const c = new m.TlsDuplex(b, { ca: cert.ca, servername: 'localhost', handshakeTimeout: 0 });
        await Promise.all([new Promise((r) => s.once('secure', r)), new Promise((r) => c.once('secureConnect', r))]);
        await new Promise((r) => setImmediate(r));
        return { s, c };
      }));
      keep.push(...batch);
    }
  } else throw new Error(`unknown kind ${kind}`);
}

const certs = makeCerts();
const pair = makePair(certs.ecdsa);
const ctx = nodeContexts(certs.ecdsa);

try {
  let warm: unknown[] | null = [];
  await make(Math.min(200, n), warm);
  warm = null;
  void warm;
  await settle();
  const before = usage();
  const keep: unknown[] = [];
  await make(n, keep);
  await settle();
  const after = usage();
  const conns = 2 * n;
  process.stdout.write(JSON.stringify({ kind, n, heap: (after.heap - before.heap) / conns, rss: (after.rss - before.rss) / conns, ext: (after.ext - before.ext) / conns, kept: keep.length }) + '\n');
} catch (e) {
  process.stdout.write(JSON.stringify({ error: String((e as Error).stack ?? e) }) + '\n');
}
