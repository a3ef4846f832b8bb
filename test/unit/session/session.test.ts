/**
 * src/session: shared ticket-key sources (static list, secret-and-clock schedule with key erasure), the bounded
 * in-memory store, and the resumer at the Accepted point driven over the idiomatic API: a TLS 1.2 session ID made
 * on server A resumes on server B through a shared store; a failing or silent store costs a full handshake,
 * logged once, never a failed handshake.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TlsClient, TlsServer } from '../../../src/api/connection.js';
import type { ConnectionInfo } from '../../../src/api/types.js';
import { HelloStage } from '../../../src/engine/hello-stage.js';
import { openTicket, sealTicket } from '../../../src/handshake/tickets.js';
import { SessionResumer } from '../../../src/session/resumer.js';
import { MemorySessionStore, type SessionStore } from '../../../src/session/store.js';
import { MAX_STATIC_TICKET_KEYS, parseTicketSecret, RotatingTicketKeys, staticTicketKeys } from '../../../src/session/ticket-keys.js';
import type { SessionState } from '../../../src/vocabulary/session.js';
import { TlsError } from '../../../src/errors.js';
import { DeterministicProvider } from '../../helpers/deterministic-provider.js';
import { doHandshake, pairOptions } from '../../helpers/pair.js';

const STATE: SessionState = {
  version: 0x0304,
  suite: 0x1301,
  secret: new Uint8Array(32).fill(7),
  issuedAt: 1,
  lifetimeSeconds: 60,
  ageAdd: 5,
  alpn: null,
  serverName: 'localhost',
  peerChain: [],
  extendedMasterSecret: false,
};

const SECRET = new Uint8Array(32).map((_, i) => i + 1);
const HOUR = 3600_000;

test('rotating keys: two servers with one secret and one clock issue and accept the same keys; another secret does not', () => {
  const pa = new DeterministicProvider({ seed: 'a', now: 10 * HOUR + 5 });
  const pb = new DeterministicProvider({ seed: 'b', now: 10 * HOUR + 5 });
  const a = new RotatingTicketKeys(pa, SECRET, { periodSeconds: 3600 });
  const b = new RotatingTicketKeys(pb, SECRET, { periodSeconds: 3600 });
  assert.deepEqual(a.current(), b.current());
  const ticket = sealTicket(pa, a, STATE);
  assert.deepEqual(openTicket(pb, b, ticket)?.secret, STATE.secret);
  const other = new RotatingTicketKeys(pb, new Uint8Array(32).fill(9), { periodSeconds: 3600 });
  assert.equal(openTicket(pb, other, ticket), undefined);
});

test('rotating keys: the previous period still opens a ticket, two periods later it is gone and its key zeroed', () => {
  const p = new DeterministicProvider({ seed: 'r', now: 10 * HOUR + 5 });
  const k = new RotatingTicketKeys(p, SECRET, { periodSeconds: 3600, clockSkewSeconds: 0 });
  const first = k.current();
  const key = first.key;
  const ticket = sealTicket(p, k, STATE);
  p.setNow(11 * HOUR + 5);
  assert.notDeepEqual(k.current().id, first.id, 'a new period issues under a new key');
  assert.ok(openTicket(p, k, ticket) !== undefined, 'the previous key still opens');
  p.setNow(12 * HOUR + 5);
  assert.equal(openTicket(p, k, ticket), undefined, 'two periods later: refused');
  assert.ok(key.every((b) => b === 0), 'the dropped key was erased');
});

test('rotating keys: a server whose clock runs ahead is accepted within the skew allowance only', () => {
  const ahead = new DeterministicProvider({ seed: 'x', now: 11 * HOUR + 1000 });
  const behind = new DeterministicProvider({ seed: 'y', now: 11 * HOUR - 10_000 });
  const ticket = sealTicket(ahead, new RotatingTicketKeys(ahead, SECRET, { periodSeconds: 3600 }), STATE);
  assert.ok(openTicket(behind, new RotatingTicketKeys(behind, SECRET, { periodSeconds: 3600, clockSkewSeconds: 30 }), ticket) !== undefined);
  assert.equal(openTicket(behind, new RotatingTicketKeys(behind, SECRET, { periodSeconds: 3600, clockSkewSeconds: 5 }), ticket), undefined);
});

test('rotating keys: short secrets, bad periods and replace() are refused; secret files are hex or raw', () => {
  const p = new DeterministicProvider({ seed: 's' });
  assert.throws(() => new RotatingTicketKeys(p, new Uint8Array(31)), TlsError);
  assert.throws(() => new RotatingTicketKeys(p, SECRET, { periodSeconds: 0 }), TlsError);
  assert.throws(() => new RotatingTicketKeys(p, SECRET).replace(), TlsError);
  assert.deepEqual(parseTicketSecret(new TextEncoder().encode(Buffer.from(SECRET).toString('hex') + '\n')), SECRET);
  assert.deepEqual(parseTicketSecret(SECRET), SECRET);
  assert.throws(() => parseTicketSecret(new TextEncoder().encode('abcd')), TlsError);
});

test('static keys (SESSION_TICKET_KEYS): issue under the first, accept under any; at most 16', () => {
  const p = new DeterministicProvider({ seed: 'k' });
  const keys = [1, 2, 3].map((i) => ({ id: new Uint8Array(16).fill(i), key: new Uint8Array(32).fill(i) }));
  const s = staticTicketKeys(p, keys);
  assert.deepEqual(s.current().id, keys[0]?.id);
  const underThird = sealTicket(p, staticTicketKeys(p, [keys[2] as (typeof keys)[number]]), STATE);
  assert.ok(openTicket(p, s, underThird) !== undefined);
  const many = Array.from({ length: MAX_STATIC_TICKET_KEYS + 1 }, (_, i) => ({ id: new Uint8Array(16).fill(i), key: new Uint8Array(32) }));
  assert.throws(() => staticTicketKeys(p, many), TlsError);
});

test('memory store: TTL, bounded size (least recently used first), value bound, and take is single', async () => {
  let now = 1000;
  const m = new MemorySessionStore({ maxEntries: 2, maxValueBytes: 8, now: () => now });
  await m.set('a', new Uint8Array([1]), 10);
  await m.set('b', new Uint8Array([2]), 10);
  assert.deepEqual(await m.get('a'), new Uint8Array([1]));
  await m.set('c', new Uint8Array([3]), 10);
  assert.equal(await m.get('b'), undefined, 'b was the least recently used');
  assert.equal(m.size, 2);
  await assert.rejects(m.set('d', new Uint8Array(9), 10), RangeError);
  assert.deepEqual(await m.take('a'), new Uint8Array([1]));
  assert.equal(await m.take('a'), undefined);
  now += 10_000;
  assert.equal(await m.get('c'), undefined, 'expired');
});

/** One handshake of `client` against `server`, through the hello stage and the resumer. */
async function viaResumer(server: TlsServer, resumer: SessionResumer, client: TlsClient): Promise<ConnectionInfo> {
  const c = client.connect();
  const accepted = new HelloStage().push(c.takeOutput());
  assert.ok(accepted !== undefined);
  const config = await resumer.configFor(accepted, server.config);
  const s = server.accept(undefined, accepted, config);
  doHandshake({ client: c, server: s });
  // Let the fire-and-forget store writes land.
  await new Promise((r) => setImmediate(r));
  assert.ok(s.info !== undefined);
  return s.info;
}

async function twoServers(store: SessionStore, log: string[]): Promise<{ a: TlsServer; b: TlsServer; client: TlsClient; resumer: SessionResumer }> {
  const o = await pairOptions({ ticketCount: 0 }, { maxVersion: 'TLSv1.2' });
  const keys = (): RotatingTicketKeys => new RotatingTicketKeys(o.serverProvider, SECRET);
  return {
    a: new TlsServer({ ...o.server, ticketKeySource: keys() }),
    b: new TlsServer({ ...o.server, ticketKeySource: keys() }),
    client: new TlsClient(o.client),
    resumer: new SessionResumer(store, { timeoutMs: 50, log: (l) => log.push(l) }),
  };
}

test('resumer: a TLS 1.2 session ID made on server A resumes on server B through the shared store', async () => {
  const store = new MemorySessionStore();
  const log: string[] = [];
  const { a, b, client, resumer } = await twoServers(store, log);
  assert.equal((await viaResumer(a, resumer, client)).resumed, false);
  assert.equal(store.size, 1, 'the session went to the store');
  const info = await viaResumer(b, resumer, client);
  assert.equal(info.version, 'TLSv1.2');
  assert.equal(info.resumed, true);
  assert.deepEqual(log, []);
});

test('resumer: a failing store and a silent one cost full handshakes, logged once per outage, then recover', async () => {
  const mem = new MemorySessionStore();
  let mode: 'fail' | 'hang' | 'ok' = 'ok';
  const flaky: SessionStore = {
    get: (k) => (mode === 'fail' ? Promise.reject(new Error('down')) : mode === 'hang' ? new Promise(() => {}) : mem.get(k)),
    set: (k, v, t) => (mode === 'fail' ? Promise.reject(new Error('down')) : mode === 'hang' ? new Promise(() => {}) : mem.set(k, v, t)),
    take: (k) => mem.take(k),
  };
  const log: string[] = [];
  const { a, b, client, resumer } = await twoServers(flaky, log);
  assert.equal((await viaResumer(a, resumer, client)).resumed, false);
  mode = 'fail';
  assert.equal((await viaResumer(b, resumer, client)).resumed, false);
  mode = 'hang';
  assert.equal((await viaResumer(b, resumer, client)).resumed, false);
  assert.equal(log.length, 1, log.join('\n'));
  assert.match(log[0] ?? '', /session store: lookup failed \(down\); continuing with full handshakes/);
  mode = 'ok';
  assert.equal((await viaResumer(a, resumer, client)).resumed, false);
  assert.equal((await viaResumer(b, resumer, client)).resumed, true);
  assert.equal(log[1], 'session store: available again');
});

test('resumer: a single-use TLS 1.3 ticket is taken once across servers; identities we cannot open cost no store call', async () => {
  const mem = new MemorySessionStore();
  let takes = 0;
  const counting: SessionStore = {
    get: (k) => mem.get(k),
    set: (k, v, t) => mem.set(k, v, t),
    take: (k) => {
      takes++;
      return mem.take(k);
    },
  };
  const o = await pairOptions({ singleUseTickets: true, ticketCount: 1 });
  const server = (secret: Uint8Array): TlsServer => new TlsServer({ ...o.server, ticketKeySource: new RotatingTicketKeys(o.serverProvider, secret) });
  const a = server(SECRET);
  const b = server(SECRET);
  const other = server(new Uint8Array(32).fill(3));
  const client = new TlsClient(o.client);
  const resumer = new SessionResumer(counting);
  assert.equal((await viaResumer(a, resumer, client)).resumed, false);
  assert.equal(mem.size, 1, 'the issued ticket was recorded');
  assert.equal((await viaResumer(b, resumer, client)).resumed, true);
  assert.equal(takes, 1);
  assert.equal((await viaResumer(other, resumer, client)).resumed, false);
  assert.equal(takes, 1, 'a ticket this server cannot open is not looked up');
});
