/**
 * TLS 1.2 interop with Java's own TLS stack (JSSE, Java 17) through test/interop/Peer.java, forced to TLSv1.2:
 *  - our server (ECDSA P-256 and RSA-2048 certificates, ALPN h2/http/1.1, echo) ↔ one Java client per TLS 1.2 suite
 *    both support: handshake, ALPN, 1 MiB echoed and compared on both sides, close_notify both ways;
 *  - our client ↔ one Java TLSv1.2 echo server holding both certificates: an ECDSA and an RSA suite, ALPN, 1 MiB
 *    each way, and a TLS 1.3-capable client of ours that must settle on TLS 1.2.
 * JVM starts are expensive (seconds each): 4 clients + 1 server.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TlsClient, TlsServer, type ClientOptions } from '../../src/index.js';
import { getPki, type LeafFiles } from '../helpers/pki.js';
import { javaPeer, requirePeer } from '../helpers/peers.js';
import { connectPump, listenPump, scope, pattern, sha256Hex } from '../helpers/net.js';

const MiB = 1 << 20;
const JAVA_WAIT_MS = 30_000;
const PROTOCOL_LINE = /PROTOCOL (\S+) CIPHER (\S+) ALPN (\S+) SNI (\S+)/;
const pki = await getPki();
const creds = (l: LeafFiles) => ({ cert: l.chainPem, key: l.keyPem });

/** Every TLS 1.2 suite of ours that Java 17 also implements, with the certificate that serves it. */
const SUITES = [
  ['TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'p256'],
  ['TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', 'p256'],
  ['TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', 'p256'],
  ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'rsa2048'],
] as const;

test('interop: java is installed', () => {
  requirePeer('java', 'openjdk-17-jdk-headless');
});

for (const [suite, leaf] of SUITES) {
  test(`our server ↔ java client --protocols TLSv1.2: ${suite} (${leaf} certificate), ALPN, 1 MiB echoed`, () =>
    scope(async ({ peers, servers }) => {
      // Both certificates are configured: the suite Java offers decides which one we use.
      const server = new TlsServer({ certificates: [creds(pki.server.p256), creds(pki.server.rsa2048)], ALPNProtocols: ['h2', 'http/1.1'] });
      const ps = await listenPump(() => server.accept(), { echo: true, closeOnPeerClose: true });
      servers.push(ps);
      const cl = await javaPeer('client', [
        '--port', String(ps.port),
        '--trust-pem', pki.ca.certPath,
        '--sni', 'localhost',
        '--protocols', 'TLSv1.2',
        '--ciphers', suite,
        '--alpn', 'x-unknown,h2',
        '--send-bytes', String(MiB),
      ]);
      peers.push(cl);
      const pump = await ps.next(JAVA_WAIT_MS);
      const info = await pump.handshake(JAVA_WAIT_MS);
      assert.equal(info.version, 'TLSv1.2');
      assert.equal(info.cipherName, suite);
      assert.equal(info.alpnProtocol, 'h2');
      assert.equal(info.serverName, 'localhost');
      assert.equal(info.resumed, false);
      const line = await cl.waitFor(PROTOCOL_LINE, JAVA_WAIT_MS, 'stdout');
      assert.equal(line[1], 'TLSv1.2', 'Java negotiated TLS 1.2');
      assert.equal(line[2], suite, 'Java negotiated the suite');
      assert.equal(line[3], 'h2', 'Java got ALPN h2');
      const ok = await cl.waitFor(/OK ([0-9a-f]{64})/, JAVA_WAIT_MS, 'stdout');
      assert.equal(ok[1], sha256Hex(pattern(MiB)), 'Java got its 1 MiB back intact');
      assert.equal(pump.receivedBytes, MiB);
      assert.equal(pump.digest(), sha256Hex(pattern(MiB)), 'our server received the 1 MiB intact');
      // Java sends close_notify (shutdownOutput), we answer with ours, Java sees EOF.
      await cl.waitFor(/^CLOSED$/m, JAVA_WAIT_MS, 'stdout');
      assert.equal(pump.peerClosed, true);
      assert.equal((await cl.waitExit(JAVA_WAIT_MS)).code, 0);
      assert.equal(pump.error, undefined);
    }));
}

test('our client ↔ java server --protocols TLSv1.2: ECDSA and RSA suites, ALPN, 1 MiB each way, a TLS 1.3-capable client settles on 1.2', () =>
  scope(async ({ peers, pumps }) => {
    // One JVM for every connection: both key pairs in one store; JSSE picks the one the suite needs.
    const srv = await javaPeer('server', [
      '--cert-p12', `${pki.server.p256.p12Path},${pki.server.rsa2048.p12Path}`,
      '--pass', pki.server.p256.p12Password,
      '--protocols', 'TLSv1.2',
      '--alpn', 'h2,http/1.1',
    ]);
    peers.push(srv);
    // Peer.java's SniKeyManager picks the first key whose SAN matches the SNI whatever the suite's key type, so the
    // RSA connection names the server by its IP address (verified against the IP SAN; RFC 6066 sends no SNI for it)
    // and JSSE's own key manager picks the RSA key.
    const cases: { suite: string; leaf: LeafFiles; sni: string; client: ClientOptions }[] = [
      { suite: 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', leaf: pki.server.p256, sni: 'localhost', client: { maxVersion: 'TLSv1.2', ciphers: 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256' } },
      { suite: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', leaf: pki.server.rsa2048, sni: '-', client: { maxVersion: 'TLSv1.2', ciphers: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', servername: '127.0.0.1' } },
      // No maxVersion: we offer TLS 1.3 too, Java answers 1.2 (and must not send the downgrade sentinel, which it
      // only sends when it could have done 1.3 itself).
      { suite: 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', leaf: pki.server.p256, sni: 'localhost', client: { ciphers: 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256' } },
    ];
    let lines = 0;
    for (const c of cases) {
      const client = new TlsClient({ ca: pki.ca.certPem, servername: 'localhost', ALPNProtocols: ['x-unknown', 'h2'], ...c.client });
      const pump = await connectPump(srv.port, client.connect(), { keepData: false });
      pumps.push(pump);
      const info = await pump.handshake(JAVA_WAIT_MS);
      assert.equal(info.version, 'TLSv1.2', c.suite);
      assert.equal(info.cipherName, c.suite);
      assert.equal(info.alpnProtocol, 'h2');
      assert.deepEqual(info.peerCertificates[0], c.leaf.certDer, `server certificate should be ${c.leaf.name}`);
      lines++;
      await srv.waitUntil(`PROTOCOL line ${lines}`, () => (srv.stdout().match(new RegExp(PROTOCOL_LINE, 'g')) ?? []).length >= lines, JAVA_WAIT_MS);
      const line = [...srv.stdout().matchAll(new RegExp(PROTOCOL_LINE, 'g'))][lines - 1] as RegExpMatchArray;
      assert.equal(line[1], 'TLSv1.2', 'Java negotiated TLS 1.2');
      assert.equal(line[2], c.suite, 'Java negotiated the suite');
      assert.equal(line[3], 'h2', 'Java selected h2');
      assert.equal(line[4], c.sni, 'the SNI Java saw');
      pump.writePattern(MiB);
      await pump.bytes(MiB, JAVA_WAIT_MS);
      assert.equal(pump.digest(), sha256Hex(pattern(MiB)), 'the 1 MiB came back intact');
      pump.close();
      await srv.waitUntil(`DONE line ${lines}`, () => (srv.stdout().match(/DONE \d+ [0-9a-f]{64}/g) ?? []).length >= lines, JAVA_WAIT_MS);
      const done = [...srv.stdout().matchAll(/DONE (\d+) ([0-9a-f]{64})/g)][lines - 1] as RegExpMatchArray;
      assert.equal(Number(done[1]), MiB);
      assert.equal(done[2], sha256Hex(pattern(MiB)), 'Java received the 1 MiB intact');
      await pump.peerClose(JAVA_WAIT_MS);
      assert.equal(pump.error, undefined);
      pump.destroy();
    }
    assert.doesNotMatch(srv.stdout(), /ERROR/);
  }));
