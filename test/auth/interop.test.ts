/**
 * Issue 3, tests 2 and 3: mutual authentication and resumption with real peers (OpenSSL, GnuTLS, Node's tls).
 * Each peer runs on 127.0.0.1 with a free port and is stopped in `finally`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tls from 'node:tls';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TlsClient, TlsServer } from '../../src/index.js';
import { getPki, type Pki } from '../helpers/pki.js';
import { gnutlsClient, opensslClient, opensslServer, withPeer } from '../helpers/peers.js';
import { connectPump, listenPump, type PumpServer } from '../helpers/net.js';

async function mtlsServer(clientAuth: 'required' | 'optional') {
  const pki = await getPki();
  const server = new TlsServer({
    certificates: [{ cert: pki.server.p256.chainPem, key: pki.server.p256.keyPem }],
    clientAuth,
    ca: pki.ca.certPem,
  });
  return { pki, server, listener: await listenPump(() => server.accept(), { echo: true, keepData: true }) };
}

test('our server requiring a client certificate: openssl s_client -cert/-key is accepted', async () => {
  const { pki, listener } = await mtlsServer('required');
  try {
    await withPeer(opensslClient(listener.port, ['-tls1_3', '-CAfile', pki.ca.certPath, '-servername', 'localhost', '-cert', pki.client.certPath, '-key', pki.client.keyPath]), async (peer) => {
      const pump = await listener.next();
      const info = await pump.handshake();
      assert.ok(info.peerCertificates.length >= 1);
      assert.deepEqual(info.peerCertificates[0], pki.client.certDer);
      peer.write('mutual\n');
      await pump.text(/mutual/);
      // s_client's stdout is block-buffered on a pipe: quit, then read what it printed.
      peer.write('Q\n');
      await peer.waitExit(10_000);
      assert.match(peer.stdout(), /Verify return code: 0 \(ok\)/);
    });
  } finally {
    await listener.close();
  }
});

test('our server requiring a client certificate: openssl without one sees certificate_required', async () => {
  const { pki, listener } = await mtlsServer('required');
  try {
    await withPeer(opensslClient(listener.port, ['-tls1_3', '-CAfile', pki.ca.certPath, '-servername', 'localhost']), async (peer) => {
      const pump = await listener.next();
      peer.write('x\n');
      await pump.until('a TlsError', () => pump.error !== undefined);
      assert.equal((pump.error as { alert?: string }).alert, 'certificate_required');
      await peer.waitFor(/certificate required|alert number 116/, 10_000, 'both');
    });
  } finally {
    await listener.close();
  }
});

test('our server requiring a client certificate: gnutls-cli with an untrusted one sees unknown_ca; with a trusted one, accepted', async () => {
  const { pki, listener } = await mtlsServer('required');
  try {
    await withPeer(
      gnutlsClient(listener.port, ['--x509cafile', pki.ca.certPath, '--x509certfile', pki.untrustedClient.certPath, '--x509keyfile', pki.untrustedClient.keyPath, 'localhost']),
      async (peer) => {
        const pump = await listener.next();
        await pump.until('a TlsError', () => pump.error !== undefined);
        assert.equal((pump.error as { alert?: string }).alert, 'unknown_ca');
        await peer.waitFor(/Unknown CA|unknown_ca|certificate is bad|fatal/i, 10_000, 'both');
      },
    );
    await withPeer(
      gnutlsClient(listener.port, ['--x509cafile', pki.ca.certPath, '--x509certfile', pki.client.certPath, '--x509keyfile', pki.client.keyPath, 'localhost']),
      async (peer) => {
        const pump = await listener.next();
        const info = await pump.handshake();
        assert.deepEqual(info.peerCertificates[0], pki.client.certDer);
        await peer.waitFor(/Handshake was completed/, 10_000, 'both');
        peer.write('gnutls mtls\n');
        await peer.waitFor(/gnutls mtls/, 10_000, 'stdout');
      },
    );
  } finally {
    await listener.close();
  }
});

test("our server requiring a client certificate: Node's tls client accepted with one, refused without", async () => {
  const { pki, listener } = await mtlsServer('required');
  try {
    const ok = tls.connect({ host: '127.0.0.1', port: listener.port, servername: 'localhost', ca: pki.ca.certPem, cert: pki.client.certPem, key: pki.client.keyPem });
    await once(ok, 'secureConnect');
    ok.write('node mtls');
    const [echo] = (await once(ok, 'data')) as [Buffer];
    assert.equal(echo.toString(), 'node mtls');
    ok.destroy();
    const bad = tls.connect({ host: '127.0.0.1', port: listener.port, servername: 'localhost', ca: pki.ca.certPem });
    const [err] = (await Promise.race([once(bad, 'error'), once(bad, 'data').then(() => [new Error('unexpected data')])])) as [Error & { code?: string }];
    assert.match(String(err.code ?? err.message), /CERTIFICATE_REQUIRED|alert number 116/);
    bad.destroy();
  } finally {
    await listener.close();
  }
});

test('our client presents a certificate to openssl s_server -Verify 1 and to a Node tls server with requestCert', async () => {
  const pki = await getPki();
  const client = new TlsClient({ ca: pki.ca.certPem, servername: 'localhost', clientCertificate: { cert: pki.client.chainPem, key: pki.client.keyPem } });
  await withPeer(
    opensslServer({ cert: pki.server.p256.certPath, key: pki.server.p256.keyPath, args: ['-tls1_3', '-Verify', '1', '-CAfile', pki.ca.certPath] }),
    async (peer) => {
      const pump = await connectPump(peer.port, client.connect(), { keepData: true });
      try {
        await pump.handshake();
        pump.write(new TextEncoder().encode('from our client\n'));
        await peer.waitFor(/from our client/, 10_000, 'stdout');
        await peer.waitFor(/Client certificate|subject=.*client|CN ?= ?client/i, 10_000, 'both');
      } finally {
        pump.destroy();
      }
    },
  );
  const srv = tls.createServer({ cert: pki.server.p256.chainPem, key: pki.server.p256.keyPem, ca: pki.ca.certPem, requestCert: true, rejectUnauthorized: true }, (s) => {
    s.end(`authorized=${s.authorized} cn=${(s.getPeerCertificate().subject as { CN?: string }).CN ?? ''}`);
  });
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  try {
    const port = (srv.address() as { port: number }).port;
    const pump = await connectPump(port, client.connect(), { keepData: true });
    try {
      await pump.text(/authorized=true cn=\S+/);
    } finally {
      pump.destroy();
    }
  } finally {
    srv.close();
  }
});

/** A full handshake from `openssl s_client -sess_out FILE` against our listener: one line echoed, then quit. */
async function opensslSessionOut(listener: PumpServer, pki: Pki, sessFile: string): Promise<string> {
  return withPeer(opensslClient(listener.port, ['-tls1_3', '-CAfile', pki.ca.certPath, '-servername', 'localhost', '-sess_out', sessFile]), async (peer) => {
    const pump = await listener.next();
    await pump.handshake();
    peer.write('one\n');
    await pump.text(/one/);
    peer.write('Q\n');
    await peer.waitExit(10_000);
    return peer.stdout();
  });
}

test('openssl s_client -sess_out then -sess_in resumes against our server ("Reused, TLSv1.3")', async () => {
  const pki = await getPki();
  const server = new TlsServer({ certificates: [{ cert: pki.server.p256.chainPem, key: pki.server.p256.keyPem }] });
  const listener = await listenPump(() => server.accept(), { echo: true, keepData: true });
  const sess = join(mkdtempSync(join(tmpdir(), 'sspi-tls-sess-')), 'sess.pem');
  try {
    const firstOutput = await opensslSessionOut(listener, pki, sess);
    assert.match(firstOutput, /TLS session ticket lifetime hint: 7200/);
    await withPeer(opensslClient(listener.port, ['-tls1_3', '-CAfile', pki.ca.certPath, '-servername', 'localhost', '-sess_in', sess]), async (peer) => {
      const pump = await listener.next();
      const info = await pump.handshake();
      assert.equal(info.resumed, true);
      peer.write('Q\n');
      await peer.waitExit(10_000);
      assert.match(peer.stdout(), /Reused, TLSv1\.3/);
    });
  } finally {
    await listener.close();
  }
});

test('our client resumes against openssl s_server and a Node tls server', async () => {
  const pki = await getPki();
  const client = new TlsClient({ ca: pki.ca.certPem, servername: 'localhost' });
  await withPeer(opensslServer({ cert: pki.server.p256.certPath, key: pki.server.p256.keyPath, args: ['-tls1_3'] }), async (peer) => {
    const first = await connectPump(peer.port, client.connect(), {});
    const tickets: unknown[] = [];
    first.conn.on('session', (t) => tickets.push(t));
    try {
      await first.handshake();
      await first.until('a ticket', () => tickets.length > 0);
    } finally {
      first.destroy();
    }
    const second = await connectPump(peer.port, client.connect(), {});
    try {
      const info = await second.handshake();
      assert.equal(info.resumed, true);
      await peer.waitFor(/Reused session-id|reused/i, 10_000, 'both').catch(() => undefined);
    } finally {
      second.destroy();
    }
  });
  const srv = tls.createServer({ cert: pki.server.p256.chainPem, key: pki.server.p256.keyPem }, (s) => {
    s.end(`reused=${s.isSessionReused()}`);
  });
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  try {
    const port = (srv.address() as { port: number }).port;
    const client2 = new TlsClient({ ca: pki.ca.certPem, servername: 'localhost' });
    const a = await connectPump(port, client2.connect(), { keepData: true });
    const tickets: unknown[] = [];
    a.conn.on('session', (t) => tickets.push(t));
    try {
      await a.text(/reused=false/);
      await a.until('a ticket', () => tickets.length > 0);
    } finally {
      a.destroy();
    }
    const b = await connectPump(port, client2.connect(), { keepData: true });
    try {
      await b.text(/reused=true/);
      assert.equal(b.info?.resumed, true);
    } finally {
      b.destroy();
    }
  } finally {
    srv.close();
  }
});

test('psk_ke when configured: openssl s_client -allow_no_dhe_kex resumes without a key exchange', async () => {
  const pki = await getPki();
  const server = new TlsServer({ certificates: [{ cert: pki.server.p256.chainPem, key: pki.server.p256.keyPem }], allowPskKe: true });
  const listener = await listenPump(() => server.accept(), { echo: true, keepData: true });
  const sess = join(mkdtempSync(join(tmpdir(), 'sspi-tls-sess-')), 'sess.pem');
  try {
    await opensslSessionOut(listener, pki, sess);
    await withPeer(opensslClient(listener.port, ['-tls1_3', '-CAfile', pki.ca.certPath, '-servername', 'localhost', '-sess_in', sess, '-allow_no_dhe_kex']), async (peer) => {
      const pump = await listener.next();
      const info = await pump.handshake();
      assert.equal(info.resumed, true);
      assert.equal(info.group, undefined, 'psk_ke: no key exchange group');
      peer.write('Q\n');
      await peer.waitExit(10_000);
      assert.match(peer.stdout(), /Reused, TLSv1\.3/);
      assert.doesNotMatch(peer.stdout(), /Server Temp Key/);
    });
  } finally {
    await listener.close();
  }
});
