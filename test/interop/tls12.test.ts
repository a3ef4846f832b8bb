/**
 * TLS 1.2 interop: our server with openssl s_client (every suite × group, resumption, renegotiation refused, 1 MiB
 * each way), gnutls-cli, Node's tls and curl; our client with openssl s_server, gnutls-serv and Node's tls server.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { TlsClient, TlsServer, type ServerOptions } from '../../src/index.js';
import { getPki, type LeafFiles } from '../helpers/pki.js';
import { curl, gnutlsClient, gnutlsServer, opensslClient, opensslServer, requirePeer } from '../helpers/peers.js';
import { connectPump, listenPump, scope, pattern, sha256Hex } from '../helpers/net.js';

const MiB = 1 << 20;
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const latin1 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
const pki = await getPki();
const creds = (l: LeafFiles) => ({ cert: l.chainPem, key: l.keyPem });

function server12(extra: Partial<ServerOptions> = {}): TlsServer {
  return new TlsServer({ certificates: [creds(pki.server.p256), creds(pki.server.rsa2048)], ALPNProtocols: ['h2', 'http/1.1'], ...extra });
}

const OPENSSL_SUITES = [
  ['ECDHE-ECDSA-AES128-GCM-SHA256', 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'],
  ['ECDHE-ECDSA-AES256-GCM-SHA384', 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384'],
  ['ECDHE-ECDSA-CHACHA20-POLY1305', 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256'],
  ['ECDHE-RSA-AES128-GCM-SHA256', 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'],
  ['ECDHE-RSA-AES256-GCM-SHA384', 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384'],
  ['ECDHE-RSA-CHACHA20-POLY1305', 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256'],
] as const;
const OPENSSL_CURVES = [['X25519', 0x1d], ['P-256', 0x17], ['P-384', 0x18]] as const;

test('interop: openssl, gnutls and curl are installed', () => {
  requirePeer('openssl', 'openssl');
  requirePeer('gnutls-cli', 'gnutls-bin');
  requirePeer('curl', 'curl');
});

test('our server ↔ openssl s_client -tls1_2: every suite × group', () =>
  scope(async ({ peers, servers }) => {
    for (const [curve, group] of OPENSSL_CURVES) {
      // Our server does only `group`; s_client also lists P-256, which RFC 8422 §5.1 needs for our ECDSA certificate.
      const server = server12({ groups: [group] });
      const ps = await listenPump(() => server.accept(), { keepData: true, closeOnPeerClose: true });
      servers.push(ps);
      for (const [ossl, iana] of OPENSSL_SUITES) {
        const curves = curve === 'P-256' ? curve : `${curve}:P-256`;
        const cl = await opensslClient(ps.port, ['-tls1_2', '-cipher', ossl, '-curves', curves, '-CAfile', pki.ca.certPath, '-servername', 'localhost', '-verify_return_error', '-brief']);
        peers.push(cl);
        const pump = await ps.next();
        const info = await pump.handshake();
        assert.equal(info.version, 'TLSv1.2');
        assert.equal(info.cipherName, iana);
        assert.equal(info.group, group);
        await cl.waitFor(/Protocol version: TLSv1\.2/, undefined, 'stderr');
        await cl.waitFor(new RegExp(`Ciphersuite: ${ossl}`), undefined, 'stderr');
        await cl.waitFor(/Verification: OK/, undefined, 'stderr');
        await cl.waitFor(new RegExp(`Server Temp Key: ${curve === 'X25519' ? 'X25519' : curve === 'P-256' ? 'ECDH, prime256v1' : 'ECDH, secp384r1'}`), undefined, 'stderr');
        cl.write('ping\n');
        await pump.text(/ping\n/);
        pump.write(enc('pong\n'));
        await cl.waitFor(/pong/, undefined, 'stdout');
        await cl.stop();
      }
    }
  }));

test('our server ↔ openssl s_client -tls1_2: 1 MiB each way', () =>
  scope(async ({ peers, servers }) => {
    const server = server12();
    const ps = await listenPump(() => server.accept(), { closeOnPeerClose: true });
    servers.push(ps);
    const cl = await opensslClient(ps.port, ['-tls1_2', '-CAfile', pki.ca.certPath, '-servername', 'localhost', '-verify_return_error', '-brief', '-quiet']);
    peers.push(cl);
    const pump = await ps.next();
    await pump.handshake();
    const payload = pattern(MiB);
    cl.write(payload);
    pump.writePattern(MiB);
    await pump.bytes(MiB, 30_000);
    assert.equal(pump.digest(), sha256Hex(payload), 'our server received the 1 MiB intact');
    const head = latin1(payload.subarray(0, 64));
    await cl.waitUntil('1 MiB on s_client stdout', () => {
      const out = cl.stdout();
      const i = out.indexOf(head);
      return i >= 0 && out.length - i >= MiB;
    }, 30_000);
    const out = cl.stdout();
    const i = out.indexOf(head);
    assert.equal(sha256Hex(new Uint8Array(Buffer.from(out.slice(i, i + MiB), 'latin1'))), sha256Hex(payload), 's_client received the 1 MiB intact');
  }));

for (const mode of ['ticket', 'session id'] as const) {
  test(`our server ↔ openssl s_client: resumption by ${mode} (-sess_out / -sess_in shows Reused)`, () =>
    scope(async ({ peers, servers }) => {
      const server = server12();
      const ps = await listenPump(() => server.accept(), { keepData: true });
      servers.push(ps);
      const sess = join(mkdtempSync(join(tmpdir(), 'sspi-tls12-sess-')), 'sess.pem');
      const base = ['-tls1_2', '-CAfile', pki.ca.certPath, '-servername', 'localhost', '-verify_return_error', ...(mode === 'session id' ? ['-no_ticket'] : [])];
      const first = await opensslClient(ps.port, [...base, '-sess_out', sess]);
      peers.push(first);
      await first.waitFor(/New, TLSv1\.2, Cipher is/, undefined, 'stdout');
      await (await ps.next()).handshake();
      first.write('Q\n');
      await first.waitExit();
      const second = await opensslClient(ps.port, [...base, '-sess_in', sess]);
      peers.push(second);
      await second.waitFor(/Reused, TLSv1\.2, Cipher is/, undefined, 'stdout');
      const pump = await ps.next();
      const info = await pump.handshake();
      assert.equal(info.resumed, true);
      second.write('after resume\n');
      await pump.text(/after resume\n/);
    }));
}

test('our server ↔ openssl s_client / gnutls-cli: renegotiation is refused with no_renegotiation; our side does not fail', () =>
  scope(async ({ peers, servers }) => {
    const server = server12();
    const ps = await listenPump(() => server.accept(), { keepData: true });
    servers.push(ps);
    const cl = await opensslClient(ps.port, ['-tls1_2', '-CAfile', pki.ca.certPath, '-servername', 'localhost', '-verify_return_error']);
    peers.push(cl);
    const pump = await ps.next();
    await pump.handshake();
    cl.write('before\n');
    await pump.text(/before\n/);
    const warnings: number[] = [];
    pump.conn.on('warning', (d) => warnings.push(d));
    cl.write('R\n');
    // OpenSSL reports our warning as "no renegotiation" and, having asked for it, gives up the connection itself
    // (rec_layer_s3.c: a refused renegotiation is fatal for the requester). We sent no fatal alert.
    await cl.waitExit();
    assert.match(cl.output(), /RENEGOTIATING[\s\S]*no renegotiation/);
    await pump.ended();
    const err = pump.error as { kind?: string } | undefined;
    assert.ok(err === undefined || err.kind === 'AlertReceived', `our server did not fail on its own: ${String(err)}`);
    assert.equal(pump.conn.engine.failed === undefined || pump.conn.engine.failed.kind === 'AlertReceived', true);

    // gnutls-cli --rehandshake: GnuTLS takes the warning as a failed rehandshake.
    const g = await gnutlsClient(ps.port, ['--priority', 'NORMAL:-VERS-TLS1.3', '--x509cafile', pki.ca.certPath, '--sni-hostname', 'localhost', '--rehandshake']);
    peers.push(g);
    const p2 = await ps.next();
    await p2.handshake();
    await g.waitFor(/ReHandshake has failed|rehandshake|No renegotiation|renegotiation/i);
    assert.ok(p2.error === undefined || (p2.error as { kind?: string }).kind === 'AlertReceived', `our server did not fail: ${String(p2.error)}`);
  }));

test('our server ↔ gnutls-cli --priority NORMAL:-VERS-TLS1.3', () =>
  scope(async ({ peers, servers }) => {
    const server = server12();
    const ps = await listenPump(() => server.accept(), { keepData: true });
    servers.push(ps);
    const cl = await gnutlsClient(ps.port, ['--priority', 'NORMAL:-VERS-TLS1.3', '--x509cafile', pki.ca.certPath, '--sni-hostname', 'localhost', '--alpn', 'h2']);
    peers.push(cl);
    const pump = await ps.next();
    const info = await pump.handshake();
    assert.equal(info.version, 'TLSv1.2');
    assert.equal(info.alpnProtocol, 'h2');
    await cl.waitFor(/Description: \(TLS1\.2/);
    cl.write('ping\n');
    await pump.text(/ping\n/);
    pump.write(enc('pong\n'));
    await cl.waitFor(/pong/);
  }));

test('our server ↔ Node tls.connect({maxVersion: "TLSv1.2"}): data, exporter and session resumption', () =>
  scope(async ({ servers }) => {
    const server = server12();
    const ps = await listenPump(() => server.accept(), { keepData: true });
    servers.push(ps);
    const connect = (session?: Buffer, onSession?: (s: Buffer) => void): Promise<tls.TLSSocket> =>
      new Promise((resolve, reject) => {
        const s = tls.connect({ host: '127.0.0.1', port: ps.port, servername: 'localhost', ca: pki.ca.certPem, maxVersion: 'TLSv1.2', ...(session ? { session } : {}) });
        if (onSession) s.on('session', onSession);
        s.once('secureConnect', () => resolve(s));
        s.once('error', reject);
      });
    let session: Buffer | undefined;
    const a = await connect(undefined, (s) => (session = s));
    assert.equal(a.getProtocol(), 'TLSv1.2');
    const pa = await ps.next();
    await pa.handshake();
    const payload = pattern(MiB);
    a.write(payload);
    await pa.bytes(MiB, 30_000);
    assert.equal(pa.digest(), sha256Hex(payload));
    const ekm = a.exportKeyingMaterial(32, 'EXPERIMENTAL sspi', Buffer.from([1, 2, 3]));
    assert.deepEqual(new Uint8Array(ekm), pa.conn.exportKeyingMaterial(32, 'EXPERIMENTAL sspi', new Uint8Array([1, 2, 3])));
    const got: Buffer[] = [];
    a.on('data', (d: Buffer) => got.push(d));
    pa.writePattern(MiB);
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('node client: 1 MiB not received')), 30_000);
      a.on('data', () => {
        if (got.reduce((n, b) => n + b.length, 0) >= MiB) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    assert.equal(sha256Hex(Buffer.concat(got)), sha256Hex(payload));
    for (let i = 0; i < 50 && session === undefined; i++) await new Promise((r) => setTimeout(r, 10));
    a.destroy();
    assert.ok(session, 'node got a session');
    const b = await connect(session);
    assert.equal(b.isSessionReused(), true);
    const pb = await ps.next();
    assert.equal((await pb.handshake()).resumed, true);
    b.destroy();
  }));

test('our server ↔ curl --tlsv1.2 --tls-max 1.2', () =>
  scope(async ({ servers }) => {
    const server = server12();
    const ps = await listenPump(() => server.accept(), {
      keepData: true,
      onData: (pump) => {
        if (/\r\n\r\n/.test(pump.receivedText()) && pump.info !== undefined && !(pump as { answered?: boolean }).answered) {
          (pump as { answered?: boolean }).answered = true;
          pump.write(enc('HTTP/1.1 200 OK\r\nContent-Length: 11\r\nConnection: close\r\n\r\nhello tls12'));
          pump.close();
        }
      },
    });
    servers.push(ps);
    const r = await curl(['-v', '--http1.1', '--tlsv1.2', '--tls-max', '1.2', '--cacert', pki.ca.certPath, '--resolve', `localhost:${ps.port}:127.0.0.1`, `https://localhost:${ps.port}/`]);
    assert.equal(r.code, 0, r.output);
    assert.match(r.stdout, /hello tls12/);
    assert.match(r.stderr, /TLSv1\.2/);
  }));

test('our client ↔ openssl s_server -tls1_2: suites, 1 MiB each way, resumption by ticket and by session id', () =>
  scope(async ({ peers, pumps }) => {
    for (const [ossl, iana, leaf] of [
      ['ECDHE-ECDSA-AES256-GCM-SHA384', 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', pki.server.p384],
      ['ECDHE-RSA-CHACHA20-POLY1305', 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256', pki.server.rsa2048],
      ['ECDHE-ECDSA-AES128-GCM-SHA256', 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', pki.server.p256],
    ] as const) {
      const srv = await opensslServer({ cert: leaf.certPath, key: leaf.keyPath, args: ['-tls1_2', '-cipher', ossl] });
      peers.push(srv);
      const client = new TlsClient({ ca: pki.ca.certPem, maxVersion: 'TLSv1.2', servername: 'localhost' });
      const pump = await connectPump(srv.port, client.connect(), { keepData: true });
      pumps.push(pump);
      const info = await pump.handshake();
      assert.equal(info.version, 'TLSv1.2');
      assert.equal(info.cipherName, iana);
      await srv.waitFor(new RegExp(`CIPHER is ${ossl}`), undefined, 'stdout');
      pump.write(enc('ping\n'));
      await srv.waitFor(/ping/, undefined, 'stdout');
      srv.write('pong\n');
      await pump.text(/pong\n/);
      pump.close();
      await srv.stop();
    }
    // 1 MiB each way (s_server -quiet: raw data on stdout; we send it hex-free binary, it answers with text).
    const big = await opensslServer({ cert: pki.server.p256.certPath, key: pki.server.p256.keyPath, args: ['-tls1_2'] });
    peers.push(big);
    const client = new TlsClient({ ca: pki.ca.certPem, maxVersion: 'TLSv1.2', servername: 'localhost' });
    const pump = await connectPump(big.port, client.connect(), {});
    pumps.push(pump);
    await pump.handshake();
    const payload = pattern(MiB);
    pump.writePattern(MiB);
    const head = latin1(payload.subarray(0, 64));
    await big.waitUntil('1 MiB on s_server stdout', () => {
      const out = big.stdout();
      const i = out.indexOf(head);
      return i >= 0 && out.length - i >= MiB;
    }, 30_000);
    const out = big.stdout();
    const i = out.indexOf(head);
    assert.equal(sha256Hex(new Uint8Array(Buffer.from(out.slice(i, i + MiB), 'latin1'))), sha256Hex(payload), 's_server received the 1 MiB intact');
    const text = 'x'.repeat(1023) + '\n';
    big.write(text.repeat(MiB / 1024));
    await pump.bytes(MiB, 30_000);
    assert.equal(pump.digest(), sha256Hex(enc(text.repeat(MiB / 1024))), 'our client received the 1 MiB intact');
    await big.stop();
    // Resumption against s_server, by ticket (default) and by session id (-no_ticket).
    for (const extra of [[], ['-no_ticket']]) {
      const srv = await opensslServer({ cert: pki.server.p256.certPath, key: pki.server.p256.keyPath, args: ['-tls1_2', ...extra] });
      peers.push(srv);
      const c = new TlsClient({ ca: pki.ca.certPem, maxVersion: 'TLSv1.2', servername: 'localhost' });
      const p1 = await connectPump(srv.port, c.connect(), {});
      pumps.push(p1);
      await p1.handshake();
      await new Promise((r) => setTimeout(r, 50));
      p1.close();
      await srv.waitFor(/DONE|CONNECTION CLOSED|shutting down/i).catch(() => undefined);
      p1.destroy();
      const p2 = await connectPump(srv.port, c.connect(), {});
      pumps.push(p2);
      const info2 = await p2.handshake();
      assert.equal(info2.resumed, true, `resumed against s_server ${extra.join(' ') || '(tickets)'}`);
      await srv.waitFor(/Reused session-id: yes|Reused/i).catch(() => undefined);
      await srv.stop();
    }
  }));

test('our client ↔ gnutls-serv --priority NORMAL:-VERS-TLS1.3 --echo', () =>
  scope(async ({ peers, pumps }) => {
    const srv = await gnutlsServer({ cert: pki.server.p256.chainPath, key: pki.server.p256.keyPath, args: ['--priority', 'NORMAL:-VERS-TLS1.3', '--echo'] });
    peers.push(srv);
    const client = new TlsClient({ ca: pki.ca.certPem, maxVersion: 'TLSv1.2', servername: 'localhost' });
    const pump = await connectPump(srv.port, client.connect(), { keepData: true });
    pumps.push(pump);
    const info = await pump.handshake();
    assert.equal(info.version, 'TLSv1.2');
    pump.write(enc('echo me\n'));
    await pump.text(/echo me\n/);
    // A second connection resumes (GnuTLS issues tickets).
    const p2 = await connectPump(srv.port, client.connect(), { keepData: true });
    pumps.push(p2);
    assert.equal((await p2.handshake()).resumed, true);
  }));

test('our client ↔ Node tls.createServer({maxVersion: "TLSv1.2"}): 1 MiB each way, exporter, resumption, client certificate', () =>
  scope(async ({ pumps }) => {
    const received: Buffer[] = [];
    const sockets: tls.TLSSocket[] = [];
    const node = tls.createServer({ cert: pki.server.rsa2048.chainPem, key: pki.server.rsa2048.keyPem, maxVersion: 'TLSv1.2', requestCert: true, ca: pki.ca.certPem }, (s) => {
      sockets.push(s);
      s.on('data', (d: Buffer) => received.push(d));
    });
    const raw: import('node:net').Socket[] = [];
    node.on('connection', (s) => raw.push(s));
    await new Promise<void>((r) => node.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (node.address() as { port: number }).port;
      const client = new TlsClient({ ca: pki.ca.certPem, maxVersion: 'TLSv1.2', servername: 'localhost', clientCertificate: creds(pki.client) });
      const pump = await connectPump(port, client.connect(), {});
      pumps.push(pump);
      const info = await pump.handshake();
      assert.match(info.cipherName, /ECDHE_RSA/);
      for (let i = 0; i < 100 && sockets.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      const peer = sockets[0] as tls.TLSSocket;
      assert.equal(peer.getProtocol(), 'TLSv1.2');
      assert.equal(peer.authorized, true, 'Node verified our client certificate');
      assert.deepEqual(new Uint8Array(peer.exportKeyingMaterial(20, 'EXPERIMENTAL x', Buffer.from('ctx'))), pump.conn.exportKeyingMaterial(20, 'EXPERIMENTAL x', enc('ctx')));
      const payload = pattern(MiB);
      pump.writePattern(MiB);
      peer.write(Buffer.from(payload));
      await pump.bytes(MiB, 30_000);
      assert.equal(pump.digest(), sha256Hex(payload));
      for (let i = 0; i < 500 && received.reduce((n, b) => n + b.length, 0) < MiB; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(sha256Hex(Buffer.concat(received)), sha256Hex(payload));
      const p2 = await connectPump(port, client.connect(), {});
      pumps.push(p2);
      assert.equal((await p2.handshake()).resumed, true);
    } finally {
      for (const p of pumps) p.destroy();
      for (const s of [...sockets, ...raw]) s.destroy();
      await new Promise<void>((r) => node.close(() => r()));
    }
  }));

test('our client ↔ Node tls server whose CertificateRequest lists 289 authorities (its trust store): accepted in TLS 1.2 and 1.3', () =>
  scope(async ({ pumps }) => {
    // RFC 5246 §7.4.4 / RFC 8446 §4.2.4 bound the list by its 16-bit length only; a server with requestCert and
    // a large `ca` (here Node's bundled roots twice, then our CA) names them all, as OpenSSL does.
    const ca = [...tls.rootCertificates, ...tls.rootCertificates, pki.ca.certPem];
    for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
      const sockets: tls.TLSSocket[] = [];
      const node = tls.createServer({ cert: pki.server.p256.chainPem, key: pki.server.p256.keyPem, minVersion: version, maxVersion: version, requestCert: true, ca }, (s) => sockets.push(s));
      await new Promise<void>((r) => node.listen(0, '127.0.0.1', () => r()));
      try {
        const port = (node.address() as { port: number }).port;
        const client = new TlsClient({ ca: pki.ca.certPem, minVersion: version, maxVersion: version, servername: 'localhost', clientCertificate: creds(pki.client) });
        const conn = client.connect();
        const names: number[] = [];
        conn.on('certificateRequest', (authorities: readonly Uint8Array[]) => names.push(authorities.length));
        const pump = await connectPump(port, conn, {});
        pumps.push(pump);
        await pump.handshake();
        assert.ok((names[0] ?? 0) > 256, `the server listed ${names[0]} authorities`);
        for (let i = 0; i < 100 && sockets.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
        assert.equal(sockets[0]?.authorized, true, `${version}: Node verified our client certificate`);
      } finally {
        for (const s of sockets) s.destroy();
        await new Promise<void>((r) => node.close(() => r()));
      }
    }
  }));
