/**
 * The node:dgram adapter: our DTLS client and server over UDP on 127.0.0.1, through the impairment proxy (loss,
 * reordering and duplication during the handshake; duplication during bulk data, which DTLS does not retransmit).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectDtls, createDtlsServer, type DtlsServer, type DtlsSocket } from '../../src/node/dtls.js';
import { getPki } from '../helpers/pki.js';
import { pattern, sha256Hex } from '../helpers/net.js';
import { NO_IMPAIRMENT, UdpProxy } from '../helpers/udp-proxy.js';
import { collect, received, sendWindowed, within } from './io.js';

test('adapter: client and server through 20% loss, reordering and duplication; 1 MiB each way by hash', async () => {
  const pki = await getPki();
  const leaf = pki.server.p256;
  let server: DtlsServer | undefined;
  let proxy: UdpProxy | undefined;
  let client: DtlsSocket | undefined;
  try {
    const accepted = new Promise<DtlsSocket>((resolve) => {
      server = createDtlsServer({ key: leaf.keyPem, cert: leaf.chainPem, initialTimeoutMs: 100, mtu: 1200 }, resolve);
    });
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
    const port = server?.address().port ?? 0;
    proxy = await UdpProxy.start({ host: '127.0.0.1', port }, { loss: 0.2, duplicate: 0.2, reorder: 0.2 }, 20);
    const c = connectDtls({ host: '127.0.0.1', port: proxy.port, servername: 'localhost', ca: pki.ca.certPem, initialTimeoutMs: 100, mtu: 1200, maxVersion: 'TLSv1.2' });
    client = c;
    await within(60_000, 'client handshake', new Promise<void>((res, rej) => { c.once('secureConnect', res); c.once('error', rej); }));
    const s = await within(30_000, 'server accept', accepted);
    assert.equal(c.getProtocol(), 'DTLSv1.2');
    const stats = { ...proxy.stats };
    assert.ok(stats.dropped > 0 || stats.reordered > 0 || stats.duplicated > 0, 'the handshake was impaired');
    proxy.impairment = { ...NO_IMPAIRMENT, duplicate: 0.2 };
    const up = pattern(1 << 20, 1);
    const down = pattern(1 << 20, 2);
    const gotUp = collect(s, up.length);
    const gotDown = collect(c, down.length);
    // Windowed by what the receiver delivered: DTLS does not resend application data (a loaded machine's slow reader
    // would otherwise lose what overflows its socket buffer).
    await Promise.all([sendWindowed(c, up, received(s)), sendWindowed(s, down, received(c))]);
    assert.equal(sha256Hex(await within(60_000, 'upload', gotUp)), sha256Hex(up));
    assert.equal(sha256Hex(await within(60_000, 'download', gotDown)), sha256Hex(down));
    assert.ok(c.engine.drops.replayed + s.engine.drops.replayed > 0, 'duplicated records were dropped by the replay window');
  } finally {
    client?.destroy();
    await proxy?.close();
    await new Promise<void>((r) => (server !== undefined ? server.close(r) : r()));
  }
});

test('adapter: a client restarting from the same port replaces its old association after the cookie round trip', async () => {
  const pki = await getPki();
  const leaf = pki.server.p256;
  let server: DtlsServer | undefined;
  const clients: DtlsSocket[] = [];
  try {
    const accepted: DtlsSocket[] = [];
    server = createDtlsServer({ key: leaf.keyPem, cert: leaf.chainPem }, (s) => accepted.push(s));
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
    const port = server.address().port;
    const first = connectDtls({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.ca.certPem, maxVersion: 'TLSv1.2' });
    clients.push(first);
    await within(10_000, 'first handshake', new Promise<void>((res, rej) => { first.once('secureConnect', res); first.once('error', rej); }));
    assert.equal(server.connections, 1);
    // Same local port, new state: the old socket is closed without close_notify, a new one binds the port.
    // The first client's port, as the server saw it.
    const used = accepted[0]?.remotePort ?? 0;
    first.destroy();
    const second = connectDtls({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.ca.certPem, localPort: used, maxVersion: 'TLSv1.2' });
    clients.push(second);
    await within(10_000, 'second handshake from the same port', new Promise<void>((res, rej) => { second.once('secureConnect', res); second.once('error', rej); }));
    assert.equal(accepted.length, 2);
    assert.equal(server.connections, 1, 'the old association was replaced');
    const echoed = collect(accepted[1] as DtlsSocket, 5);
    second.write('again');
    assert.equal(Buffer.from(await within(5_000, 'data on the new association', echoed)).toString(), 'again');
  } finally {
    for (const c of clients) c.destroy();
    await new Promise<void>((r) => (server !== undefined ? server.close(r) : r()));
  }
});
