/**
 * A received TLS 1.3 ticket (src/tls13/received-ticket.ts): its session is made when `data` is first read, and
 * copies of the ticket (spread, structuredClone: what callers do to store one) carry it and resume. Every ticket
 * shares one getter function: a getter closure per ticket gave each its own V8 hidden class, which held the whole
 * connection alive through young-generation collections (docs/performance.md, "promoted garbage").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TlsClient, TlsServer } from '../../../src/index.js';
import { doHandshake } from '../../helpers/pair.js';
import { getPki } from '../../helpers/pki.js';

const pki = await getPki();
type Session = NonNullable<Parameters<TlsClient['connect']>[1]>;

const server = new TlsServer({ certificates: [{ cert: pki.server.p256.chainPem, key: pki.server.p256.keyPem }], ticketCount: 2 });

function tickets(client: TlsClient): Session[] {
  const got: Session[] = [];
  const c = client.connect('localhost');
  c.on('session', (t) => got.push(t));
  doHandshake({ client: c, server: server.accept() });
  return got;
}

test('received tickets: one shared `data` getter, an own enumerable property; copies carry the session and resume', () => {
  const client = new TlsClient({ ca: pki.ca.certPem, servername: 'localhost' });
  client.resume = false;
  const [a, b] = tickets(client);
  assert.ok(a !== undefined && b !== undefined, 'two tickets');
  const da = Object.getOwnPropertyDescriptor(a, 'data');
  const db = Object.getOwnPropertyDescriptor(b, 'data');
  assert.equal(typeof da?.get, 'function');
  assert.equal(da?.enumerable, true);
  assert.equal(da?.get, db?.get, 'one getter function for every ticket');
  assert.ok(a.expiresAt > Date.now());
  assert.equal(a.serverName, 'localhost');
  // Read twice: the same bytes (made once); the two tickets' sessions differ (nonce, ticket).
  assert.equal(a.data, a.data);
  assert.notDeepEqual(a.data, b.data);
  for (const copy of [{ ...a }, structuredClone(a)]) {
    assert.deepEqual(copy.data, a.data);
    const c = client.connect('localhost', copy);
    doHandshake({ client: c, server: server.accept() });
    assert.equal(c.info?.resumed, true);
  }
});
