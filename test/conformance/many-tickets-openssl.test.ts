/**
 * A client must survive a server that sends many NewSessionTickets (issue 14): OpenSSL's `s_server -num_tickets
 * 10000` sends ten thousand after the handshake (Node's client takes them all). Our client keeps the newest few and
 * goes on; before, the 65th post-handshake message without application data was fatal.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TlsClient, TlsConnection } from '../../src/api/connection.js';
import { TlsEngine } from '../../src/engine/connection.js';
import { connectPump } from '../helpers/net.js';
import { getPki } from '../helpers/pki.js';
import { opensslServer } from '../helpers/peers.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

test('openssl s_server -num_tickets 10000: our client takes every ticket and the connection goes on', async () => {
  const pki = await getPki();
  const srv = await opensslServer({ cert: pki.server.p256.certPath, key: pki.server.p256.keyPath, args: ['-tls1_3', '-num_tickets', '10000'] });
  let pump;
  try {
    let tickets = 0;
    const client = new TlsClient({ servername: 'localhost', ca: pki.ca.certPem });
    const conn = new TlsConnection(new TlsEngine({ ...client.config, serverName: 'localhost' }), () => tickets++);
    pump = await connectPump(srv.port, conn, { keepData: true });
    await pump.handshake();
    await srv.waitFor(/CIPHER is/, undefined, 'stdout');
    pump.write(enc('ping\n'));
    await srv.waitFor(/ping/, 30_000);
    srv.write('pong\n');
    await pump.text(/pong\n/, 30_000);
    assert.equal(conn.engine.failed, undefined, 'the client did not fail');
    assert.ok(conn.isHandshakeComplete);
    await pump.until('10000 tickets', () => tickets === 10_000, 30_000);
  } finally {
    pump?.destroy();
    await srv.stop();
  }
});
