/**
 * DTLS version negotiation (src/dtls/negotiate.ts) through every surface: the node:dgram adapter's default client
 * and server speak DTLS 1.3 to each other (through the impairment proxy, 1 MiB each way by hash), our client falls
 * back to DTLS 1.2 against openssl s_server -dtls1_2 and gnutls-serv --udp, openssl s_client -dtls1_2 gets DTLS 1.2
 * from our dual server, a DTLS 1.2 ClientHello with TLS_FALLBACK_SCSV is refused by a server that speaks 1.3, and the
 * CLI negotiates 1.3.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { test } from 'node:test';
import { classifyHello, isDtls12Answer, NegotiatingDtlsClient } from '../../src/dtls/negotiate.js';
import { DtlsEngine } from '../../src/dtls/engine.js';
import { encodeMessage } from '../../src/dtls/handshake.js';
import { encodeHelloVerifyRequest, HELLO_VERIFY_REQUEST } from '../../src/dtls/hello.js';
import { DTLS10, encodeRecordHeader } from '../../src/dtls/record.js';
import { connectDtls, createDtlsServer, type DtlsServer, type DtlsSocket } from '../../src/node/dtls.js';
import { AlertDescription, ContentType } from '../../src/wire/registry.js';
import { cli, startServe } from '../cli/run.js';
import { collect, received, sendWindowed, udpListening, within } from '../dtls/io.js';
import { freePort, gnutlsServer, opensslClient, requirePeer, spawnPeer } from '../helpers/peers.js';
import { getPki } from '../helpers/pki.js';
import { pattern, scope, sha256Hex } from '../helpers/net.js';
import { NO_IMPAIRMENT, UdpProxy } from '../helpers/udp-proxy.js';

const pki = await getPki();
const leaf = pki.server.p256;

function connected(c: DtlsSocket, ms = 30_000): Promise<void> {
  return within(ms, 'the DTLS handshake', new Promise<void>((res, rej) => {
    if (c.encrypted) res();
    c.once('secureConnect', res);
    c.once('error', rej);
  }));
}

function closeServer(server: DtlsServer | undefined): Promise<void> {
  return new Promise<void>((r) => (server !== undefined ? server.close(r) : r()));
}

test('adapter: default client ↔ default server negotiate DTLS 1.3 through loss, reordering and duplication; 1 MiB each way by hash', async () => {
  let server: DtlsServer | undefined;
  let proxy: UdpProxy | undefined;
  let client: DtlsSocket | undefined;
  try {
    const accepted = new Promise<DtlsSocket>((resolve) => {
      server = createDtlsServer({ key: leaf.keyPem, cert: leaf.chainPem, initialTimeoutMs: 100, mtu: 1200 }, resolve);
    });
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
    proxy = await UdpProxy.start({ host: '127.0.0.1', port: server?.address().port ?? 0 }, { loss: 0.2, duplicate: 0.2, reorder: 0.2 }, 7);
    const c = connectDtls({ host: '127.0.0.1', port: proxy.port, servername: 'localhost', ca: pki.ca.certPem, initialTimeoutMs: 100, mtu: 1200 });
    client = c;
    await connected(c, 60_000);
    const s = await within(30_000, 'server accept', accepted);
    assert.equal(c.getProtocol(), 'DTLSv1.3');
    assert.equal(s.getProtocol(), 'DTLSv1.3');
    assert.equal(c.info?.authorized, true);
    assert.match(c.getCipher()?.name ?? '', /^TLS_(AES|CHACHA20)/);
    const impaired = { ...proxy.stats };
    assert.ok(impaired.dropped + impaired.reordered + impaired.duplicated > 0, 'the handshake was impaired');
    proxy.impairment = { ...NO_IMPAIRMENT, duplicate: 0.2 };
    const up = pattern(1 << 20, 3);
    const down = pattern(1 << 20, 4);
    const gotUp = collect(s, up.length);
    const gotDown = collect(c, down.length);
    // Windowed by what the receiver delivered: DTLS does not resend application data.
    await Promise.all([sendWindowed(c, up, received(s)), sendWindowed(s, down, received(c))]);
    assert.equal(sha256Hex(await within(60_000, 'upload', gotUp)), sha256Hex(up));
    assert.equal(sha256Hex(await within(60_000, 'download', gotDown)), sha256Hex(down));
    assert.ok(proxy.stats.duplicated > impaired.duplicated, 'records were duplicated (and the replay windows dropped the copies)');
  } finally {
    client?.destroy();
    await proxy?.close();
    await closeServer(server);
  }
});

test('adapter: minVersion / maxVersion pin one version on either side', async () => {
  let server: DtlsServer | undefined;
  const clients: DtlsSocket[] = [];
  try {
    server = createDtlsServer({ key: leaf.keyPem, cert: leaf.chainPem });
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
    const port = server.address().port;
    const c12 = connectDtls({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.ca.certPem, maxVersion: 'TLSv1.2' });
    clients.push(c12);
    await connected(c12);
    assert.equal(c12.getProtocol(), 'DTLSv1.2');
    const c13 = connectDtls({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.ca.certPem, minVersion: 'TLSv1.3' });
    clients.push(c13);
    await connected(c13);
    assert.equal(c13.getProtocol(), 'DTLSv1.3');
  } finally {
    for (const c of clients) c.destroy();
    await closeServer(server);
  }
  // Our default client against our server pinned to DTLS 1.2: the HelloVerifyRequest makes it fall back, and a server
  // without 1.3 takes the FALLBACK_SCSV ClientHello.
  let only12: DtlsServer | undefined;
  try {
    only12 = createDtlsServer({ key: leaf.keyPem, cert: leaf.chainPem, maxVersion: 'TLSv1.2' });
    await new Promise<void>((r) => only12?.listen(0, '127.0.0.1', r));
    const c = connectDtls({ host: '127.0.0.1', port: only12.address().port, servername: 'localhost', ca: pki.ca.certPem });
    clients.push(c);
    await connected(c);
    assert.equal(c.getProtocol(), 'DTLSv1.2');
  } finally {
    for (const c of clients) c.destroy();
    await closeServer(only12);
  }
  // A DTLS 1.3-only server refuses a DTLS 1.2-only client with protocol_version.
  let only13: DtlsServer | undefined;
  try {
    only13 = createDtlsServer({ key: leaf.keyPem, cert: leaf.chainPem, minVersion: 'TLSv1.3' });
    await new Promise<void>((r) => only13?.listen(0, '127.0.0.1', r));
    const c = connectDtls({ host: '127.0.0.1', port: only13.address().port, servername: 'localhost', ca: pki.ca.certPem, maxVersion: 'TLSv1.2' });
    const err = await within(10_000, 'the refusal', new Promise<Error & { alert?: string }>((res) => c.once('error', res)));
    assert.match(`${err.message} ${String(err.alert)}`, /protocol_version/);
  } finally {
    await closeServer(only13);
  }
});

test('adapter: a DTLS 1.3 client restarting from the same port replaces its old association after the cookie round trip', async () => {
  let server: DtlsServer | undefined;
  const clients: DtlsSocket[] = [];
  try {
    const accepted: DtlsSocket[] = [];
    let onAccept = (): void => undefined;
    server = createDtlsServer({ key: leaf.keyPem, cert: leaf.chainPem }, (s) => {
      accepted.push(s);
      onAccept();
    });
    const acceptedCount = (n: number): Promise<void> => new Promise<void>((res) => {
      onAccept = () => {
        if (accepted.length >= n) res();
      };
      onAccept();
    });
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
    const port = server.address().port;
    const first = connectDtls({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.ca.certPem });
    clients.push(first);
    await connected(first);
    await within(10_000, 'first accept', acceptedCount(1));
    assert.equal(accepted[0]?.getProtocol(), 'DTLSv1.3');
    const used = accepted[0]?.remotePort ?? 0;
    first.destroy();
    const second = connectDtls({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.ca.certPem, localPort: used });
    clients.push(second);
    await connected(second);
    await within(10_000, 'second accept', acceptedCount(2));
    assert.equal(server.connections, 1, 'the old association was replaced');
    const echoed = collect(accepted[1] as DtlsSocket, 5);
    second.write('again');
    assert.equal(Buffer.from(await within(5_000, 'data on the new association', echoed)).toString(), 'again');
  } finally {
    for (const c of clients) c.destroy();
    await closeServer(server);
  }
});

test('our client (DTLS 1.3 and 1.2) → openssl s_server -dtls1_2 falls back to DTLS 1.2', () =>
  scope(async ({ peers }) => {
    const port = await freePort();
    const srv = await spawnPeer(requirePeer('openssl', 'openssl'), ['s_server', '-dtls1_2', '-accept', `127.0.0.1:${port}`, '-cert', leaf.certPath, '-key', leaf.keyPath, '-cert_chain', leaf.chainPath, '-brief', '-nbio'], { name: 'openssl s_server' });
    peers.push(srv);
    await udpListening(port);
    const c = connectDtls({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.ca.certPem });
    try {
      await connected(c);
      assert.equal(c.getProtocol(), 'DTLSv1.2');
      assert.equal(c.info?.authorized, true);
      // The DTLS 1.2 ClientHello answered OpenSSL's HelloVerifyRequest at once, with record numbers after the 1.3
      // attempt's (OpenSSL drops a repeated one): no retransmission was needed on a clean path.
      const engine = (c.engine as NegotiatingDtlsClient).engine;
      assert.ok(engine instanceof DtlsEngine);
      assert.equal(engine.stats.retransmissions, 0);
      c.write('hello from a fallen-back client\n');
      await srv.waitFor(/hello from a fallen-back client/, 10_000, 'stdout');
    } finally {
      c.destroy();
    }
  }));

test('our client (DTLS 1.3 and 1.2) → gnutls-serv --udp falls back to DTLS 1.2 (echo)', () =>
  scope(async ({ peers }) => {
    const srv = await gnutlsServer({ cert: leaf.chainPath, key: leaf.keyPath, args: ['--udp', '--echo'] });
    peers.push(srv);
    const c = connectDtls({ host: '127.0.0.1', port: srv.port, servername: 'localhost', ca: pki.ca.certPem });
    try {
      await connected(c);
      assert.equal(c.getProtocol(), 'DTLSv1.2');
      const echoed = collect(c, 9);
      c.write('gnutls-12');
      assert.equal(Buffer.from(await within(10_000, 'the echo', echoed)).toString(), 'gnutls-12');
    } finally {
      c.destroy();
    }
  }));

test('openssl s_client -dtls1_2 → our dual server gets DTLS 1.2', () =>
  scope(async ({ peers }) => {
    let server: DtlsServer | undefined;
    try {
      const accepted = new Promise<DtlsSocket>((resolve) => {
        server = createDtlsServer({ key: leaf.keyPem, cert: leaf.chainPem }, (s) => {
          s.on('data', (d: Buffer) => s.write(d));
          resolve(s);
        });
      });
      await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
      const c = await opensslClient(server?.address().port ?? 0, ['-dtls1_2', '-CAfile', pki.ca.certPath, '-servername', 'localhost', '-verify_return_error', '-quiet', '-nocommands', '-nbio'], { stdin: 'dual server\n' });
      peers.push(c);
      const s = await within(15_000, 'server accept', accepted);
      assert.equal(s.getProtocol(), 'DTLSv1.2');
      await c.waitFor(/dual server/, 15_000, 'stdout');
    } finally {
      await closeServer(server);
    }
  }));

test('a DTLS 1.2 ClientHello with TLS_FALLBACK_SCSV is refused with inappropriate_fallback by a server that speaks 1.3', async () => {
  let server: DtlsServer | undefined;
  const udp = createSocket('udp4');
  try {
    server = createDtlsServer({ key: leaf.keyPem, cert: leaf.chainPem });
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
    const port = server.address().port;
    // Sans-IO: the client offers DTLS 1.3; a forged HelloVerifyRequest (what an attacker on the path would send)
    // makes it fall back, and its DTLS 1.2 ClientHello carries TLS_FALLBACK_SCSV.
    const client = new NegotiatingDtlsClient({ servername: 'localhost', ca: [pki.ca.certDer] });
    const first = client.start().datagrams[0] as Uint8Array;
    // With the hybrid key share the ClientHello takes two datagrams; the first is a fragment.
    assert.ok(['dtls13', 'fragment'].includes(classifyHello(first)));
    const hvr = encodeMessage(HELLO_VERIFY_REQUEST, 0, encodeHelloVerifyRequest(new Uint8Array([1, 2, 3])));
    const forged = new Uint8Array([...encodeRecordHeader(ContentType.Handshake, DTLS10, 0, 0, hvr.length), ...hvr]);
    assert.ok(isDtls12Answer(forged));
    const fallback = client.process(forged).datagrams[0] as Uint8Array;
    assert.equal(client.version, 'DTLSv1.2');
    assert.equal(classifyHello(fallback), 'dtls12-fallback');
    await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
    const answer = new Promise<Buffer>((res) => udp.once('message', res));
    udp.send(fallback, port, '127.0.0.1');
    const reply = await within(5_000, 'the server answer', answer);
    assert.equal(reply[0], ContentType.Alert);
    assert.deepEqual([...reply.subarray(13)], [2, AlertDescription.inappropriate_fallback]);
    assert.equal(server.connections, 0, 'no state kept');
  } finally {
    udp.close();
    await closeServer(server);
  }
});

test('sspi-tls connect --dtls ↔ sspi-tls serve --dtls negotiate DTLS 1.3; --tls 1.2 pins DTLS 1.2', () =>
  scope(async ({ peers }) => {
    const srv = await startServe(['--dtls', '--cert', leaf.chainPath, '--key', leaf.keyPath]);
    peers.push(srv);
    const c = await cli(['connect', '--dtls', `127.0.0.1:${srv.port}`, '--servername', 'localhost', '--ca', pki.ca.certPath], { stdin: 'ping over dtls 1.3\n', closeStdin: true });
    peers.push(c);
    assert.equal((await c.waitExit(20_000)).code, 0, c.output());
    assert.match(c.stderr(), /connected to 127\.0\.0\.1:\d+ .*version=DTLSv1\.3 .*suite=TLS_AES_128_GCM_SHA256/);
    assert.match(c.stdout(), /^ping over dtls 1\.3\n$/);
    await srv.waitFor(/conn=1 peer=127\.0\.0\.1:\d+ version=DTLSv1\.3/, 10_000, 'stdout');
    const d = await cli(['connect', '--dtls', '--tls', '1.2', `127.0.0.1:${srv.port}`, '--servername', 'localhost', '--ca', pki.ca.certPath], { stdin: 'ping over dtls 1.2\n', closeStdin: true });
    peers.push(d);
    assert.equal((await d.waitExit(20_000)).code, 0, d.output());
    assert.match(d.stderr(), /version=DTLSv1\.2/);
    assert.match(d.stdout(), /^ping over dtls 1\.2\n$/);
  }));

test('classifyHello and isDtls12Answer: any bytes, any mutation of a real ClientHello, never throw', async () => {
  const fc = (await import('fast-check')).default;
  const client = new NegotiatingDtlsClient({ servername: 'localhost', ca: [pki.ca.certDer], maxVersion: 'TLSv1.2' });
  const hello = client.start().datagrams[0] as Uint8Array;
  assert.equal(classifyHello(hello), 'dtls12');
  assert.equal(isDtls12Answer(hello), false);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), fc.nat(), fc.nat({ max: 255 }), (junk, at, value) => {
      const mutated = hello.slice();
      mutated[at % mutated.length] = value;
      for (const d of [junk, mutated, mutated.subarray(0, at % mutated.length)]) {
        assert.ok(['dtls13', 'dtls12', 'dtls12-fallback', 'fragment', 'other'].includes(classifyHello(d)));
        assert.equal(typeof isDtls12Answer(d), 'boolean');
      }
    }),
    { numRuns: 2000 },
  );
});
