/**
 * DTLS 1.2 interop on 127.0.0.1 with openssl (s_server / s_client -dtls1_2) and GnuTLS (gnutls-serv / gnutls-cli
 * --udp), both directions:
 *  - every AEAD suite and ECDHE group both sides have (6 suites × 3 groups), a short exchange each;
 *  - through the UDP impairment proxy: 20% loss, reordering and duplication during the handshake, then 1 MiB each
 *    way compared by hash with 20% duplication (DTLS does not retransmit application data: loss or reordering of
 *    bulk data would corrupt the peers' byte streams, so only duplication, which the replay window removes, stays on).
 * GnuTLS's tools refuse a write larger than their DTLS MTU (EMSGSIZE), so gnutls-cli reading 4 KiB of stdin at a
 * time runs with --mtu 5000, and gnutls-serv echoing our 1400-byte datagrams with --mtu 1500.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectDtls, createDtlsServer, type DtlsServer, type DtlsSocket } from '../../src/node/dtls.js';
import { CipherSuite, NamedGroup } from '../../src/wire/registry.js';
import { getPki, type LeafFiles } from '../helpers/pki.js';
import { freePort, gnutlsClient, gnutlsServer, opensslClient, requirePeer, spawnPeer, type Peer } from '../helpers/peers.js';
import { pattern, scope, sha256Hex } from '../helpers/net.js';
import { NO_IMPAIRMENT, UdpProxy } from '../helpers/udp-proxy.js';
import { collect, received, sendWindowed, udpListening, within } from './io.js';

const pki = await getPki();

interface Suite {
  readonly id: number;
  readonly openssl: string;
  readonly gnutls: string;
  readonly leaf: LeafFiles;
}

const SUITES: readonly Suite[] = [
  { id: CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, openssl: 'ECDHE-ECDSA-AES128-GCM-SHA256', gnutls: 'AES-128-GCM', leaf: pki.server.p256 },
  { id: CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, openssl: 'ECDHE-ECDSA-AES256-GCM-SHA384', gnutls: 'AES-256-GCM', leaf: pki.server.p256 },
  { id: CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, openssl: 'ECDHE-ECDSA-CHACHA20-POLY1305', gnutls: 'CHACHA20-POLY1305', leaf: pki.server.p256 },
  { id: CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, openssl: 'ECDHE-RSA-AES128-GCM-SHA256', gnutls: 'AES-128-GCM', leaf: pki.server.rsa2048 },
  { id: CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, openssl: 'ECDHE-RSA-AES256-GCM-SHA384', gnutls: 'AES-256-GCM', leaf: pki.server.rsa2048 },
  { id: CipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, openssl: 'ECDHE-RSA-CHACHA20-POLY1305', gnutls: 'CHACHA20-POLY1305', leaf: pki.server.rsa2048 },
];
const GROUPS: readonly { id: number; openssl: string; gnutls: string }[] = [
  { id: NamedGroup.x25519, openssl: 'X25519', gnutls: 'GROUP-X25519' },
  { id: NamedGroup.secp256r1, openssl: 'P-256', gnutls: 'GROUP-SECP256R1' },
  { id: NamedGroup.secp384r1, openssl: 'P-384', gnutls: 'GROUP-SECP384R1' },
];

/**
 * The client's groups: TLS 1.2 (RFC 8422 §5.1) lets an ECDSA certificate be used only on a curve the client lists,
 * so with the P-256 certificate the client lists P-256 after the group under test (and asks for that one first).
 */
function clientCurves(suite: Suite, group: string): string {
  return suite.leaf === pki.server.p256 && group !== 'P-256' ? `${group}:P-256` : group;
}

/**
 * `openssl s_server -dtls1_2 -brief -nbio` on a free port. `-nbio`: with a blocking socket, a datagram without
 * application data (a repeated handshake record, a duplicate) leaves s_server (and s_client) blocked in SSL_read, deaf
 * to its stdin, until the next record arrives.
 */
/* received data on stdout, stdin is sent as is. */
async function opensslDtlsServer(leaf: LeafFiles, extra: readonly string[] = []): Promise<Peer & { port: number }> {
  const port = await freePort();
  const p = await spawnPeer(requirePeer('openssl', 'openssl'), ['s_server', '-dtls1_2', '-accept', `127.0.0.1:${port}`, '-cert', leaf.certPath, '-key', leaf.keyPath, '-cert_chain', leaf.chainPath, '-brief', '-nbio', ...extra], { name: 'openssl s_server' });
  await udpListening(port);
  return { ...p, port };
}

function connected(c: DtlsSocket, ms = 30_000): Promise<void> {
  return within(ms, 'the DTLS handshake', new Promise<void>((res, rej) => {
    if (c.encrypted) res();
    c.once('secureConnect', res);
    c.once('error', rej);
  }));
}

async function listen(server: DtlsServer): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return server.address().port;
}

function closeServer(server: DtlsServer | undefined): Promise<void> {
  return new Promise<void>((r) => (server !== undefined ? server.close(r) : r()));
}

const text = (b: Uint8Array): string => Buffer.from(b).toString('latin1');

test('our client → openssl s_server -dtls1_2: every shared suite and group', () =>
  scope(async ({ peers }) => {
    for (const leaf of [pki.server.p256, pki.server.rsa2048]) {
      const srv = await opensslDtlsServer(leaf);
      peers.push(srv);
      for (const suite of SUITES.filter((s) => s.leaf === leaf)) {
        for (const group of GROUPS) {
          const c = connectDtls({ host: '127.0.0.1', port: srv.port, servername: 'localhost', ca: pki.ca.certPem, ciphers: suite.openssl, ecdhCurve: clientCurves(suite, group.openssl) });
          try {
            await connected(c);
            assert.equal(c.info?.cipherSuite, suite.id);
            assert.equal(c.info?.group, group.id);
            const line = `hello ${suite.openssl} ${group.openssl}\n`;
            c.write(line);
            await srv.waitFor(new RegExp(`Ciphersuite: ${suite.openssl}[\\s\\S]*${line.trim()}`), 10_000, 'both');
          } finally {
            c.end();
          }
        }
      }
    }
  }));

/** Our server for one suite and group: resolves `got` with the first data it receives, and answers "pong SUITE". */
function pingServer(suite: (typeof SUITES)[number], group: (typeof GROUPS)[number]): { server: DtlsServer; got: Promise<string> } {
  let server: DtlsServer | undefined;
  const got = new Promise<string>((resolve) => {
    server = createDtlsServer({ key: suite.leaf.keyPem, cert: suite.leaf.chainPem, ciphers: suite.openssl, ecdhCurve: group.openssl }, (s) => {
      s.on('data', (d: Buffer) => {
        resolve(d.toString());
        s.write(`pong ${suite.openssl}\n`);
      });
    });
  });
  return { server: server as unknown as DtlsServer, got };
}

test('openssl s_client -dtls1_2 → our server: every shared suite and group', () =>
  scope(async ({ peers }) => {
    for (const suite of SUITES) {
      for (const group of GROUPS) {
        let server: DtlsServer | undefined;
        try {
          const ping = pingServer(suite, group);
          server = ping.server;
          const got = ping.got;
          const port = await listen(server);
          const cl = await opensslClient(port, ['-dtls1_2', '-CAfile', pki.ca.certPath, '-servername', 'localhost', '-verify_return_error', '-quiet', '-nocommands', '-nbio'], { stdin: `ping ${group.openssl}\n` });
          peers.push(cl);
          assert.equal(await within(15_000, 'data from s_client', got), `ping ${group.openssl}\n`);
          await cl.waitFor(new RegExp(`pong ${suite.openssl}`), 10_000, 'stdout');
          await cl.stop();
        } finally {
          await closeServer(server);
        }
      }
    }
  }));

test('our client → gnutls-serv --udp: every shared suite and group (echo)', () =>
  scope(async ({ peers }) => {
    for (const leaf of [pki.server.p256, pki.server.rsa2048]) {
      const srv = await gnutlsServer({ cert: leaf.chainPath, key: leaf.keyPath, args: ['--udp', '--echo'] });
      peers.push(srv);
      for (const suite of SUITES.filter((s) => s.leaf === leaf)) {
        for (const group of GROUPS) {
          const c = connectDtls({ host: '127.0.0.1', port: srv.port, servername: 'localhost', ca: pki.ca.certPem, ciphers: suite.openssl, ecdhCurve: clientCurves(suite, group.openssl) });
          try {
            await connected(c);
            assert.equal(c.info?.cipherSuite, suite.id);
            assert.equal(c.info?.group, group.id);
            const msg = `echo-${suite.openssl}-${group.openssl}`;
            const echoed = collect(c, msg.length);
            c.write(msg);
            assert.equal(text(await within(10_000, 'the echo', echoed)), msg);
          } finally {
            c.end();
          }
        }
      }
    }
  }));

test('gnutls-cli --udp → our server: every shared suite and group', () =>
  scope(async ({ peers }) => {
    for (const suite of SUITES) {
      for (const group of GROUPS) {
        let server: DtlsServer | undefined;
        try {
          const ping = pingServer(suite, group);
          server = ping.server;
          const got = ping.got;
          const port = await listen(server);
          const cl = await gnutlsClient(port, ['--udp', '--x509cafile', pki.ca.certPath, '--sni-hostname', 'localhost', '--verify-hostname', 'localhost'], { stdin: `ping ${group.gnutls}\n` });
          peers.push(cl);
          assert.equal(await within(15_000, 'data from gnutls-cli', got), `ping ${group.gnutls}\n`);
          await cl.waitFor(new RegExp(`pong ${suite.openssl}`), 10_000, 'stdout');
          assert.match(cl.output(), new RegExp(`\\(DTLS1\\.2-X\\.509\\)-\\(ECDHE-${group.gnutls.replace('GROUP-', '')}\\)-\\([^)]+\\)-\\(${suite.gnutls}\\)`));
          await cl.stop();
        } finally {
          await closeServer(server);
        }
      }
    }
  }));

const HANDSHAKE_IMPAIRMENT = { loss: 0.2, duplicate: 0.2, reorder: 0.2 };
const BULK_IMPAIRMENT = { ...NO_IMPAIRMENT, duplicate: 0.2 };
const MiB = 1 << 20;
/** Our side's first retransmission timeout in the impaired runs (the peers keep their 1 s): keeps the tests short. */
const FAST_TIMER_MS = 250;

test('impaired: our client ↔ openssl s_server through 20% loss/reorder/duplication, 1 MiB each way by hash', () =>
  scope(async ({ peers }) => {
    const srv = await opensslDtlsServer(pki.server.p256);
    peers.push(srv);
    const proxy = await UdpProxy.start({ host: '127.0.0.1', port: srv.port }, HANDSHAKE_IMPAIRMENT, 61);
    const c = connectDtls({ host: '127.0.0.1', port: proxy.port, servername: 'localhost', ca: pki.ca.certPem, initialTimeoutMs: FAST_TIMER_MS });
    try {
      await connected(c, 120_000);
      const impaired = { ...proxy.stats };
      proxy.impairment = BULK_IMPAIRMENT;
      const up = pattern(MiB, 3);
      const down = pattern(MiB, 4);
      const gotDown = collect(c, MiB);
      const downSeen = received(c);
      // Each sender keeps at most 32 KiB ahead of what its receiver has delivered: DTLS does not resend application
      // data, and a receiver slowed by a loaded machine would lose what overflows its socket buffer.
      await sendWindowed(c, up, () => srv.stdout().length);
      await srv.waitUntil('1 MiB at s_server', () => srv.stdout().length >= MiB, 60_000);
      assert.equal(sha256Hex(Buffer.from(srv.stdout().slice(0, MiB), 'latin1')), sha256Hex(up));
      await sendWindowed(srv, down, downSeen);
      assert.equal(sha256Hex(await within(60_000, '1 MiB from s_server', gotDown)), sha256Hex(down));
      assert.ok(impaired.dropped + impaired.reordered + impaired.duplicated > 0, JSON.stringify(impaired));
      assert.ok(c.engine.drops.replayed > 0, 'duplicates were dropped by the replay window');
    } finally {
      c.destroy();
      await proxy.close();
    }
  }));

test('impaired: openssl s_client ↔ our server through 20% loss/reorder/duplication, 1 MiB each way by hash', () =>
  scope(async ({ peers }) => {
    let server: DtlsServer | undefined;
    let proxy: UdpProxy | undefined;
    try {
      const accepted = new Promise<DtlsSocket>((resolve) => {
        server = createDtlsServer({ key: pki.server.p256.keyPem, cert: pki.server.p256.chainPem, initialTimeoutMs: FAST_TIMER_MS }, resolve);
      });
      const port = await listen(server as unknown as DtlsServer);
      proxy = await UdpProxy.start({ host: '127.0.0.1', port }, HANDSHAKE_IMPAIRMENT, 62);
      const cl = await opensslClient(proxy.port, ['-dtls1_2', '-CAfile', pki.ca.certPath, '-servername', 'localhost', '-verify_return_error', '-quiet', '-nocommands', '-nbio']);
      peers.push(cl);
      const s = await within(120_000, 'the impaired handshake', accepted);
      const impaired = { ...proxy.stats };
      proxy.impairment = BULK_IMPAIRMENT;
      const up = pattern(MiB, 5);
      const down = pattern(MiB, 6);
      const gotUp = collect(s, MiB);
      await sendWindowed(cl, up, received(s));
      assert.equal(sha256Hex(await within(60_000, '1 MiB from s_client', gotUp)), sha256Hex(up));
      await sendWindowed(s, down, () => cl.stdout().length);
      await cl.waitUntil('1 MiB at s_client', () => cl.stdout().length >= MiB, 60_000);
      assert.equal(sha256Hex(Buffer.from(cl.stdout().slice(0, MiB), 'latin1')), sha256Hex(down));
      assert.ok(impaired.dropped + impaired.reordered + impaired.duplicated > 0, JSON.stringify(impaired));
      assert.ok(s.engine.drops.replayed > 0, 'duplicates were dropped by the replay window');
    } finally {
      await proxy?.close();
      await closeServer(server);
    }
  }));

test('impaired: our client ↔ gnutls-serv --udp --echo through 20% loss/reorder/duplication, 1 MiB each way by hash', () =>
  scope(async ({ peers }) => {
    const srv = await gnutlsServer({ cert: pki.server.p256.chainPath, key: pki.server.p256.keyPath, args: ['--udp', '--echo', '--mtu', '1500'] });
    peers.push(srv);
    const proxy = await UdpProxy.start({ host: '127.0.0.1', port: srv.port }, HANDSHAKE_IMPAIRMENT, 63);
    const c = connectDtls({ host: '127.0.0.1', port: proxy.port, servername: 'localhost', ca: pki.ca.certPem, initialTimeoutMs: FAST_TIMER_MS });
    try {
      await connected(c, 120_000);
      const impaired = { ...proxy.stats };
      proxy.impairment = BULK_IMPAIRMENT;
      const up = pattern(MiB, 7);
      // gnutls-serv --echo sends back each record it receives: 1 MiB up and the same 1 MiB down.
      const gotDown = collect(c, MiB);
      // Windowed by what came back: gnutls-serv drains its socket slowly, and DTLS does not resend application data.
      await sendWindowed(c, up, received(c));
      assert.equal(sha256Hex(await within(60_000, '1 MiB echoed by gnutls-serv', gotDown)), sha256Hex(up));
      assert.ok(impaired.dropped + impaired.reordered + impaired.duplicated > 0, JSON.stringify(impaired));
      assert.ok(c.engine.drops.replayed > 0, 'duplicates were dropped by the replay window');
    } finally {
      c.destroy();
      await proxy.close();
    }
  }));

test('impaired: gnutls-cli --udp ↔ our server through 20% loss/reorder/duplication, 1 MiB each way by hash', () =>
  scope(async ({ peers }) => {
    let server: DtlsServer | undefined;
    let proxy: UdpProxy | undefined;
    try {
      const accepted = new Promise<DtlsSocket>((resolve) => {
        server = createDtlsServer({ key: pki.server.p256.keyPem, cert: pki.server.p256.chainPem, initialTimeoutMs: FAST_TIMER_MS }, resolve);
      });
      const port = await listen(server as unknown as DtlsServer);
      proxy = await UdpProxy.start({ host: '127.0.0.1', port }, HANDSHAKE_IMPAIRMENT, 64);
      const cl = await gnutlsClient(proxy.port, ['--udp', '--mtu', '5000', '--x509cafile', pki.ca.certPath, '--sni-hostname', 'localhost', '--verify-hostname', 'localhost']);
      peers.push(cl);
      const s = await within(120_000, 'the impaired handshake', accepted);
      await cl.waitFor(/Handshake was completed/, 30_000, 'both');
      const impaired = { ...proxy.stats };
      proxy.impairment = BULK_IMPAIRMENT;
      const up = pattern(MiB, 8);
      const down = pattern(MiB, 9);
      const gotUp = collect(s, MiB);
      await sendWindowed(cl, up, received(s));
      assert.equal(sha256Hex(await within(60_000, '1 MiB from gnutls-cli', gotUp)), sha256Hex(up));
      const before = cl.stdout().length;
      // gnutls-cli drains its socket slowly (about 300 datagrams a second here, fewer on a loaded machine); faster,
      // the kernel drops what overflows its receive buffer, and DTLS does not resend application data: so the
      // sender keeps at most 32 KiB ahead of what gnutls-cli has written to its stdout.
      await sendWindowed(s, down, () => cl.stdout().length - before);
      await cl.waitUntil('1 MiB at gnutls-cli', () => cl.stdout().length - before >= MiB, 60_000);
      assert.equal(sha256Hex(Buffer.from(cl.stdout().slice(before, before + MiB), 'latin1')), sha256Hex(down));
      assert.ok(impaired.dropped + impaired.reordered + impaired.duplicated > 0, JSON.stringify(impaired));
      assert.ok(s.engine.drops.replayed > 0, 'duplicates were dropped by the replay window');
    } finally {
      await proxy?.close();
      await closeServer(server);
    }
  }));
