/**
 * getFinished() / getPeerFinished() and getTLSTicket() against node:tls as the peer, both ways, TLS 1.3 and 1.2:
 * one side's own Finished verify_data is byte for byte what the other side reports as the peer's, the values
 * differ between the two sides (RFC 8446 §4.4.4 / RFC 5246 §7.4.9: different labels / keys), and a ticket the client
 * reports starts with the 16-byte key name of the server's ticket keys (node:tls's getTicketKeys() layout: name ‖
 * key material; OpenSSL's tickets and ours both begin with the name).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import * as nodeTls from 'node:tls';
import { connect, createServer, type TlsDuplex } from '../../src/node/index.js';
import { getPki } from '../helpers/pki.js';
import { bounded } from '../helpers/net.js';

const pki = await getPki();
const key = pki.server.p256.keyPem;
const cert = pki.server.p256.chainPem;
const ca = pki.ca.certPem;

interface Side {
  getFinished(): Buffer | undefined;
  getPeerFinished(): Buffer | undefined;
}

function checkFinished(client: Side, server: Side, version: string): void {
  const cf = client.getFinished();
  const cpf = client.getPeerFinished();
  const sf = server.getFinished();
  const spf = server.getPeerFinished();
  assert.ok(cf && cpf && sf && spf, 'all four values after the handshake');
  // TLS 1.2: 12 bytes; TLS 1.3: the suite hash's length (32 or 48).
  assert.ok(version === 'TLSv1.2' ? cf.length === 12 : cf.length === 32 || cf.length === 48, `verify_data length ${cf.length}`);
  assert.equal(sf.length, cf.length);
  assert.deepEqual(cf, spf, "the client's Finished is what the server received");
  assert.deepEqual(sf, cpf, "the server's Finished is what the client received");
  assert.notDeepEqual(cf, sf);
}

for (const version of ['TLSv1.3', 'TLSv1.2'] as const) {

  test(`getFinished/getPeerFinished, ${version}: our client ↔ node:tls server`, async () => {
    const server = nodeTls.createServer({ key, cert, maxVersion: version });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const accepted = once(server, 'secureConnection') as Promise<[nodeTls.TLSSocket]>;
      const c = connect({ port: (server.address() as AddressInfo).port, host: '127.0.0.1', servername: 'localhost', ca, maxVersion: version });
      assert.equal(c.getFinished(), undefined, 'nothing before the handshake');
      assert.equal(c.getPeerFinished(), undefined);
      await bounded(once(c, 'secureConnect'), 10_000, 'secureConnect');
      const [s] = await bounded(accepted, 10_000, 'secureConnection');
      checkFinished(c, s, version);
      c.destroy();
      s.destroy();
    } finally {
      server.close();
    }
  });

  test(`getFinished/getPeerFinished, ${version}: node:tls client ↔ our server`, async () => {
    const server = createServer({ key, cert, maxVersion: version });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const accepted = once(server, 'secureConnection') as Promise<[TlsDuplex]>;
      const c = nodeTls.connect({ port: (server.address() as AddressInfo).port, host: '127.0.0.1', servername: 'localhost', ca, maxVersion: version });
      await bounded(once(c, 'secureConnect'), 10_000, 'secureConnect');
      const [s] = await bounded(accepted, 10_000, 'secureConnection');
      checkFinished(c, s, version);
      c.destroy();
      s.destroy();
    } finally {
      server.close();
    }
  });

  test(`getTLSTicket, ${version}: our client's ticket from a node:tls server begins with its key name; resumed, the same ticket`, async () => {
    const server = nodeTls.createServer({ key, cert, maxVersion: version }, (s) => s.end('x'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const keyName = server.getTicketKeys().subarray(0, 16);
    const port = (server.address() as AddressInfo).port;
    try {
      const first = connect({ port, host: '127.0.0.1', servername: 'localhost', ca });
      const order: string[] = [];
      first.on('secureConnect', () => order.push('secureConnect'));
      first.on('session', () => order.push('session'));
      first.resume();
      // In the 'session' listener, getTLSTicket() is that session's ticket (TLS 1.3 servers send several).
      const [session, ticket] = await bounded(
        new Promise<[Buffer, Buffer | undefined]>((resolve) => first.once('session', (s: Buffer) => resolve([s, first.getTLSTicket()]))),
        10_000,
        'session',
      );
      assert.ok(ticket !== undefined && ticket.length > 16);
      assert.deepEqual(ticket.subarray(0, 16), keyName);
      assert.equal(order[0], 'secureConnect', "node:tls reports the session after 'secureConnect' (TLS 1.2: it came within the handshake)");
      first.destroy();
      const second = connect({ port, host: '127.0.0.1', servername: 'localhost', ca, session });
      second.resume();
      await bounded(once(second, 'secureConnect'), 10_000, 'secureConnect');
      assert.equal(second.isSessionReused(), true);
      assert.deepEqual(second.getTLSTicket(), ticket, 'a resumption without a new ticket reports the one presented');
      second.destroy();
    } finally {
      server.close();
    }
  });

  test(`getTLSTicket, ${version}: node:tls client ↔ our server (ticketKeys): the same bytes both report`, async () => {
    const ticketKeys = Buffer.alloc(48, 7);
    const server = createServer({ key, cert, maxVersion: version, ticketKeys }, (s) => s.end('x'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const c = nodeTls.connect({ port: (server.address() as AddressInfo).port, host: '127.0.0.1', servername: 'localhost', ca });
      c.resume();
      await bounded(once(c, 'session'), 10_000, 'session');
      const ticket = c.getTLSTicket();
      assert.ok(ticket !== undefined);
      assert.deepEqual(ticket.subarray(0, 16), ticketKeys.subarray(0, 16), 'our ticket begins with the key name node:tls sees');
      c.destroy();
    } finally {
      server.close();
    }
  });
}

/** Our server with `extra` options (each connection ends at once), listening on a free port. */
async function endingServer(extra: { readonly resumptionTicketCount?: number } = {}): Promise<{ server: ReturnType<typeof createServer>; port: number }> {
  const server = createServer({ key, cert, ...extra }, (s) => s.end('x'));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port };
}

/** A first node:tls connection to `port`: its first session and the ticket it reported, after it closed. */
async function firstSession(port: number): Promise<[Buffer, Buffer | undefined]> {
  const first = nodeTls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca });
  first.resume();
  const got = await bounded(
    new Promise<[Buffer, Buffer | undefined]>((resolve) => first.once('session', (s: Buffer) => resolve([s, first.getTLSTicket()]))),
    10_000,
    'session',
  );
  await bounded(once(first, 'close'), 10_000, 'first close');
  return got;
}

test('TLS 1.3 resumption with our server: node:tls resumes, gets no new ticket (as from OpenSSL), and reports the ticket it presented', async () => {
  const { server, port } = await endingServer();
  try {
    const [session, ticket] = await firstSession(port);
    const second = nodeTls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca, session });
    let sessions = 0;
    second.on('session', () => sessions++);
    second.resume();
    await bounded(once(second, 'secureConnect'), 10_000, 'secureConnect');
    assert.equal(second.getProtocol(), 'TLSv1.3');
    assert.equal(second.isSessionReused(), true);
    assert.deepEqual(second.getTLSTicket(), ticket);
    await bounded(once(second, 'close'), 10_000, 'second close');
    assert.equal(sessions, 0, 'no NewSessionTicket after the resumption');
  } finally {
    server.close();
  }
});

test('TLS 1.3 resumption with resumptionTicketCount: 1 (sspi-tls serve): node:tls resumes and gets exactly one new ticket', async () => {
  const { server, port } = await endingServer({ resumptionTicketCount: 1 });
  try {
    const [session] = await firstSession(port);
    const second = nodeTls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca, session });
    const fresh: Buffer[] = [];
    second.on('session', (s: Buffer) => fresh.push(s));
    second.resume();
    await bounded(once(second, 'secureConnect'), 10_000, 'secureConnect');
    assert.equal(second.isSessionReused(), true);
    await bounded(once(second, 'close'), 10_000, 'second close');
    assert.equal(fresh.length, 1, 'one NewSessionTicket after the resumption');
    assert.notDeepEqual(fresh[0], session);
  } finally {
    server.close();
  }
});
