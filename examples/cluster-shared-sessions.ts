/**
 * `createServer` on every core, sharing sessions: a node:cluster primary forks one worker per CPU; each worker runs
 * an echo server on the shared port with ticket keys derived from one secret file (so any worker, and any other
 * machine with the same file, resumes any other's tickets) and, when REDIS_URL is set, TLS 1.2 session IDs and
 * single-use tickets in Redis.
 *
 *   head -c 32 /dev/urandom | xxd -p -c 64 > ticket.secret
 *   node dist/examples/cluster-shared-sessions.js --cert server.pem --key server.key --secret ticket.secret [--port 8443] [--workers 2]
 *   REDIS_URL=redis://127.0.0.1:6379 node dist/examples/cluster-shared-sessions.js …
 *
 * Prints `READY <port>` from the primary once every worker listens (with REDIS_URL, each worker first waits up to
 * 2 s for Redis), one `worker <pid> <version> resumed=<yes|no>` line per connection, and stops on SIGINT/SIGTERM.
 * test/cli/cluster-example.test.ts runs it: two instances, one Redis, sessions resumed across both.
 */
import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { getDefaultProvider } from '../src/index.js';
import { createServer, parseTicketSecret, RedisSessionStore, RotatingTicketKeys, SessionResumer } from '../src/node/index.js';

const { values } = parseArgs({
  options: {
    cert: { type: 'string' },
    key: { type: 'string' },
    secret: { type: 'string' },
    port: { type: 'string', default: '8443' },
    workers: { type: 'string' },
  },
});
if (values.cert === undefined || values.key === undefined || values.secret === undefined) {
  process.stderr.write('usage: cluster-shared-sessions --cert FILE --key FILE --secret FILE [--port N] [--workers N]\n');
  process.exit(2);
}
const port = Number(values.port);
const sessionLifetime = 7200;

if (cluster.isPrimary) {
  const n = values.workers !== undefined ? Number(values.workers) : availableParallelism();
  let listening = 0;
  cluster.on('listening', (_w, address) => {
    if (++listening === n) console.log(`READY ${address.port}`);
  });
  for (let i = 0; i < n; i++) cluster.fork();
  const stop = (): void => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
} else {
  const redisUrl = process.env['REDIS_URL'];
  const store = redisUrl !== undefined ? new RedisSessionStore({ url: redisUrl }) : undefined;
  const server = createServer({
    cert: readFileSync(values.cert, 'utf8'),
    key: readFileSync(values.key, 'utf8'),
    sessionTimeout: sessionLifetime,
    ticketKeySource: new RotatingTicketKeys(getDefaultProvider(), parseTicketSecret(readFileSync(values.secret)), { periodSeconds: sessionLifetime }),
    ...(store !== undefined ? { singleUseTickets: true, sessionResumer: new SessionResumer(store, { log: (l) => console.error(`worker ${process.pid}: ${l}`) }) } : {}),
  });
  server.on('secureConnection', (s) => {
    console.log(`worker ${process.pid} ${s.getProtocol() ?? '?'} resumed=${s.isSessionReused() ? 'yes' : 'no'}`);
    s.on('error', () => {});
    s.pipe(s);
  });
  // Listen once Redis is connected (bounded: without it, handshakes are full until it comes).
  if (store !== undefined && !(await store.connected(2000))) console.error(`worker ${process.pid}: Redis not connected yet; full handshakes until it is`);
  server.listen(port, '127.0.0.1');
  process.on('SIGTERM', () => {
    server.close();
    void store?.close();
    process.exit(0);
  });
}
