/**
 * The two SSPI examples against real peers on 127.0.0.1: examples/sspi-server.js with openssl s_client, curl,
 * gnutls-cli, node:tls and Java 17 (JSSE) clients (client certificate required, ALPN, one-byte and chunked delivery,
 * TLS 1.3 resumption across contexts, TLS 1.2 and its renegotiation attempts); examples/sspi-client.js with openssl
 * s_server, gnutls-serv, a node:tls server and a Java server (SEC_I_RENEGOTIATE for tickets and HelloRequest,
 * SEC_I_CONTEXT_EXPIRED on close_notify). Needs `npm run build` first.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { connect as netConnect } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { getPki, type Pki } from '../helpers/pki.js';
import { freePort, javaPeer, projectRoot, requirePeer, spawnPeer, withPeer } from '../helpers/peers.js';

let pki: Pki;
before(async () => {
  pki = await getPki();
});
const serverJs = join(projectRoot, 'dist', 'examples', 'sspi-server.js');
const clientJs = join(projectRoot, 'dist', 'examples', 'sspi-client.js');

async function ourServer(extra: string[] = []): Promise<{ port: number; peer: Awaited<ReturnType<typeof spawnPeer>> }> {
  const port = await freePort();
  const peer = await spawnPeer(process.execPath, [serverJs, '--port', String(port), '--cert', pki.server.p256.chainPath, '--key', pki.server.p256.keyPath, ...extra], {
    readyPattern: /listening on \d+/,
    name: 'sspi-server',
  });
  return { port, peer };
}

test('sspi-server ↔ openssl s_client: echo, TLS 1.3', async () => {
  requirePeer('openssl', 'openssl');
  const { port, peer } = await ourServer();
  await withPeer(peer, async () => {
    const c = await spawnPeer('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-CAfile', pki.ca.certPath, '-servername', 'localhost', '-quiet', '-verify_return_error'], { stdin: 'ping-openssl\n', name: 's_client' });
    await withPeer(c, async () => {
      await c.waitFor(/ping-openssl/, 10_000, 'stdout');
    });
    await peer.waitFor(/handshake TLS_AES_\d+_GCM_SHA\d+/);
  });
});

test('sspi-server ↔ curl: an HTTP request answered through it, with ALPN http/1.1', async () => {
  requirePeer('curl', 'curl');
  const { port, peer } = await ourServer(['--alpn', 'http/1.1']);
  await withPeer(peer, async () => {
    const c = await spawnPeer('curl', ['-sS', '--cacert', pki.ca.certPath, '--resolve', `localhost:${port}:127.0.0.1`, `https://localhost:${port}/sspi`], { name: 'curl' });
    await withPeer(c, async () => {
      await c.waitFor(/GET \/sspi HTTP\/1\.1/, 10_000, 'stdout');
      const exit = await c.waitExit(10_000);
      assert.equal(exit.code, 0, c.tail());
    });
    await peer.waitFor(/alpn=http\/1\.1/);
  });
});

test('sspi-server ↔ gnutls-cli: echo', async () => {
  requirePeer('gnutls-cli', 'gnutls-bin');
  const { port, peer } = await ourServer();
  await withPeer(peer, async () => {
    const c = await spawnPeer('gnutls-cli', ['--x509cafile', pki.ca.certPath, '-p', String(port), 'localhost'], { stdin: 'ping-gnutls\n', name: 'gnutls-cli' });
    await withPeer(c, async () => {
      await c.waitFor(/ping-gnutls/, 10_000, 'stdout');
    });
  });
});

test('sspi-server ↔ node:tls with a required client certificate, mapped by subject; byte-at-a-time delivery', async () => {
  const { port, peer } = await ourServer(['--client-auth', '--ca', pki.ca.certPath]);
  await withPeer(peer, async () => {
    // node:tls over a socket that writes one byte at a time
    const raw = netConnect(port, '127.0.0.1');
    const origWrite = raw.write.bind(raw);
    raw.write = ((chunk: Uint8Array | string, ...rest: unknown[]): boolean => {
      const b = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk);
      for (let i = 0; i < b.length; i++) origWrite(b.subarray(i, i + 1));
      const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      cb?.();
      return true;
    }) as typeof raw.write;
    const s = tls.connect({ socket: raw, servername: 'localhost', ca: pki.ca.certPem, cert: pki.client.chainPem, key: pki.client.keyPem });
    const echoed = await new Promise<string>((resolve, reject) => {
      let got = '';
      s.on('secureConnect', () => s.write('ping-node'));
      s.on('data', (d: Buffer) => {
        got += d.toString();
        if (got.includes('ping-node')) resolve(got);
      });
      s.on('error', reject);
      setTimeout(() => reject(new Error('timeout')), 10_000);
    });
    assert.equal(echoed, 'ping-node');
    s.destroy();
    await peer.waitFor(/user=CN=/);
  });
  // Without a certificate the handshake completes (ASC_REQ_MUTUAL_AUTH, as on Windows); the server finds no
  // REMOTE_CERT_CONTEXT (SEC_E_NO_CREDENTIALS) and refuses the connection with an access_denied alert.
  const again = await ourServer(['--client-auth', '--ca', pki.ca.certPath]);
  await withPeer(again.peer, async () => {
    const s = tls.connect({ port: again.port, host: '127.0.0.1', servername: 'localhost', ca: pki.ca.certPem });
    await new Promise<void>((resolve) => {
      s.on('error', () => resolve());
      s.on('close', () => resolve());
    });
    await again.peer.waitFor(/error no client certificate \(REMOTE_CERT_CONTEXT\) 0x8009030e/);
  });
});

test('sspi-client ↔ openssl s_server: data both ways, SEC_I_RENEGOTIATE for tickets', async () => {
  requirePeer('openssl', 'openssl');
  const srv = await spawnPeer('openssl', ['s_server', '-accept', '127.0.0.1:0', '-cert', pki.server.p256.chainPath, '-key', pki.server.p256.keyPath, '-naccept', '1'], { readyPattern: /ACCEPT 127\.0\.0\.1:(\d+)/, stream: 'stdout', name: 's_server' });
  await withPeer(srv, async () => {
    const port = (srv.ready as RegExpMatchArray)[1] as string;
    const c = await spawnPeer(process.execPath, [clientJs, `127.0.0.1:${port}`, '--servername', 'localhost', '--ca', pki.ca.certPath], { stdin: 'hello-s_server\n', name: 'sspi-client' });
    await withPeer(c, async () => {
      await c.waitFor(/handshake TLS_/, 10_000, 'stderr');
      await c.waitFor(/SEC_I_RENEGOTIATE/, 10_000, 'stderr');
      await srv.waitFor(/hello-s_server/, 10_000, 'stdout');
    });
  });
});

test('sspi-client ↔ gnutls-serv (echo)', async () => {
  requirePeer('gnutls-serv', 'gnutls-bin');
  const port = await freePort();
  const srv = await spawnPeer('gnutls-serv', ['--echo', '-p', String(port), '--x509certfile', pki.server.p256.chainPath, '--x509keyfile', pki.server.p256.keyPath], { readyPattern: /listening/, name: 'gnutls-serv' });
  await withPeer(srv, async () => {
    const c = await spawnPeer(process.execPath, [clientJs, `127.0.0.1:${port}`, '--servername', 'localhost', '--ca', pki.ca.certPath], { stdin: 'hello-gnutls\n', name: 'sspi-client' });
    await withPeer(c, async () => {
      await c.waitFor(/hello-gnutls/, 10_000, 'stdout');
    });
  });
});

test('sspi-client ↔ node:tls server: NewSessionTicket → SEC_I_RENEGOTIATE, close_notify → SEC_I_CONTEXT_EXPIRED, wrong name → SEC_E_WRONG_PRINCIPAL', async () => {
  const server = tls.createServer({ cert: readFileSync(pki.server.p256.chainPath), key: readFileSync(pki.server.p256.keyPath) }, (s) => {
    s.once('data', (d: Buffer) => {
      s.write(`echo:${d.toString()}`);
      s.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  try {
    const c = await spawnPeer(process.execPath, [clientJs, `127.0.0.1:${port}`, '--servername', 'localhost', '--ca', pki.ca.certPath], { stdin: 'hello-node\n', name: 'sspi-client' });
    await withPeer(c, async () => {
      await c.waitFor(/echo:hello-node/, 10_000, 'stdout');
      await c.waitFor(/SEC_I_RENEGOTIATE/, 10_000, 'stderr');
      await c.waitFor(/SEC_I_CONTEXT_EXPIRED/, 10_000, 'stderr');
    });
    const w = await spawnPeer(process.execPath, [clientJs, `127.0.0.1:${port}`, '--servername', 'wrong.test', '--ca', pki.ca.certPath], { stdin: 'x\n', name: 'sspi-client' });
    await withPeer(w, async () => {
      await w.waitFor(/error InitializeSecurityContext 0x80090322/, 10_000, 'stderr');
    });
  } finally {
    server.close();
  }
});

// ---- TLS 1.3 resumption across contexts (one credential for all connections) --------------------------------

test('sspi-server ↔ openssl s_client -sess_out/-sess_in: the second connection resumes (SSL_SESSION_RECONNECT)', async () => {
  requirePeer('openssl', 'openssl');
  const { port, peer } = await ourServer();
  await withPeer(peer, async () => {
    const sess = join(pki.dir, `sspi-sess-${port}.pem`);
    const base = ['s_client', '-connect', `127.0.0.1:${port}`, '-CAfile', pki.ca.certPath, '-servername', 'localhost', '-verify_return_error'];
    const first = await spawnPeer('openssl', [...base, '-sess_out', sess, '-quiet'], { stdin: 'first\n', name: 's_client 1' });
    await withPeer(first, async () => {
      await first.waitFor(/first/, 10_000, 'stdout');
    });
    await peer.waitFor(/reconnect=0/);
    const second = await spawnPeer('openssl', [...base, '-sess_in', sess], { stdin: 'second\n', name: 's_client 2' });
    await withPeer(second, async () => {
      await second.waitFor(/Reused, TLSv1\.3/, 10_000, 'stdout');
    });
    await peer.waitFor(/reconnect=1/);
  });
});

// ---- TLS 1.2 --------------------------------------------------------------------------------------------

test('sspi-server --tls12 ↔ openssl s_client -tls1_2: echo, STREAM_SIZES 13/16, renegotiation refused (SEC_I_RENEGOTIATE)', async () => {
  requirePeer('openssl', 'openssl');
  const { port, peer } = await ourServer(['--tls12']);
  await withPeer(peer, async () => {
    const c = await spawnPeer('openssl', ['s_client', '-tls1_2', '-connect', `127.0.0.1:${port}`, '-CAfile', pki.ca.certPath, '-servername', 'localhost', '-verify_return_error'], { stdin: 'ping-tls12\n', name: 's_client -tls1_2' });
    await withPeer(c, async () => {
      await c.waitFor(/Extended master secret: yes[\s\S]*ping-tls12/, 10_000, 'stdout'); // the echo
      await peer.waitFor(/handshake TLS_ECDHE_ECDSA_WITH_AES_\d+_GCM_SHA\d+ proto=0x00000303 .* sizes=13\/16/);
      c.write('R\n'); // s_client: renegotiate → SEC_I_RENEGOTIATE, ASC answers no_renegotiation
      await peer.waitFor(/renegotiate/);
      await c.waitFor(/no renegotiation/, 10_000); // OpenSSL aborts its own renegotiation on that warning
    });
  });
});

test('sspi-client --tls12 ↔ openssl s_server -tls1_2: data, SP_PROT_TLS1_2_CLIENT, HelloRequest → SEC_I_RENEGOTIATE', async () => {
  requirePeer('openssl', 'openssl');
  const srv = await spawnPeer('openssl', ['s_server', '-tls1_2', '-accept', '127.0.0.1:0', '-cert', pki.server.p256.chainPath, '-key', pki.server.p256.keyPath, '-naccept', '1'], { readyPattern: /ACCEPT 127\.0\.0\.1:(\d+)/, stream: 'stdout', name: 's_server -tls1_2' });
  await withPeer(srv, async () => {
    const port = (srv.ready as RegExpMatchArray)[1] as string;
    const c = await spawnPeer(process.execPath, [clientJs, `127.0.0.1:${port}`, '--servername', 'localhost', '--ca', pki.ca.certPath, '--tls12'], { stdin: 'hello-tls12\n', name: 'sspi-client' });
    await withPeer(c, async () => {
      await c.waitFor(/handshake TLS_ECDHE_\w+ proto=0x00000303 .*sizes=13\/16 check=0x00000000/, 10_000, 'stderr');
      await srv.waitFor(/hello-tls12/, 10_000, 'stdout');
      srv.write('r\n'); // s_server: send HelloRequest
      await c.waitFor(/SEC_I_RENEGOTIATE/, 10_000, 'stderr');
    });
  });
});

test('sspi-server --tls12 ↔ node:tls: renegotiate() → SEC_I_RENEGOTIATE, refused with no_renegotiation', async () => {
  const { port, peer } = await ourServer(['--tls12']);
  await withPeer(peer, async () => {
    const s = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: pki.ca.certPem, maxVersion: 'TLSv1.2' });
    try {
      await new Promise<void>((resolve, reject) => {
        s.once('secureConnect', resolve);
        s.once('error', reject);
      });
      assert.equal(s.getProtocol(), 'TLSv1.2');
      const echo = (text: string): Promise<string> =>
        new Promise((resolve, reject) => {
          let got = '';
          const onData = (d: Buffer): void => {
            got += d.toString();
            if (got.includes(text)) {
              s.off('data', onData);
              resolve(got);
            }
          };
          s.on('data', onData);
          s.write(text);
          setTimeout(() => reject(new Error('timeout')), 10_000);
        });
      assert.equal(await echo('before'), 'before');
      // OpenSSL (node:tls) treats the no_renegotiation warning as fatal for its own renegotiation.
      const result = new Promise<Error | null>((resolve) => {
        s.renegotiate({}, (err) => resolve(err));
        s.once('error', (e) => resolve(e));
      });
      await peer.waitFor(/renegotiate/);
      const err = await result;
      assert.match(String(err), /renegotiation/i);
    } finally {
      s.destroy();
    }
  });
});

// ---- curl (TLS 1.2, ALPN) ------------------------------------------------------------------------------

test('sspi-server ↔ curl --tls-max 1.2 with ALPN h2,http/1.1: HTTP/1.1 selected', async () => {
  requirePeer('curl', 'curl');
  const { port, peer } = await ourServer(['--alpn', 'http/1.1']);
  await withPeer(peer, async () => {
    const c = await spawnPeer('curl', ['-sS', '--tls-max', '1.2', '--cacert', pki.ca.certPath, '--resolve', `localhost:${port}:127.0.0.1`, `https://localhost:${port}/tls12`], { name: 'curl' });
    await withPeer(c, async () => {
      await c.waitFor(/GET \/tls12 HTTP\/1\.1/, 10_000, 'stdout');
      assert.equal((await c.waitExit(10_000)).code, 0, c.tail());
    });
    await peer.waitFor(/proto=0x00000303 alpn=http\/1\.1/);
  });
});

// ---- Java 17 (JSSE) ------------------------------------------------------------------------------------

for (const protocol of ['TLSv1.3', 'TLSv1.2'] as const) {
  test(`sspi-server ↔ Java client (${protocol}): 100 kB echoed, ALPN`, async () => {
    const { port, peer } = await ourServer(['--alpn', 'http/1.1']);
    await withPeer(peer, async () => {
      const j = await javaPeer('client', ['--host', '127.0.0.1', '--port', String(port), '--trust-pem', pki.ca.certPath, '--sni', 'localhost', '--protocols', protocol, '--alpn', 'http/1.1', '--send-bytes', '100000'], { timeoutMs: 60_000 });
      await withPeer(j, async () => {
        await j.waitFor(new RegExp(`PROTOCOL ${protocol.replace('.', '\\.')} CIPHER \\S+ ALPN http/1\\.1 SNI localhost`), 60_000, 'stdout');
        await j.waitFor(/OK [0-9a-f]{64}/, 30_000, 'stdout');
      });
      await peer.waitFor(protocol === 'TLSv1.3' ? /proto=0x00000304/ : /proto=0x00000303/);
    });
  });

  test(`sspi-client ↔ Java server (${protocol}): data echoed, close_notify`, async () => {
    const srv = await javaPeer('server', ['--port', '0', '--cert-p12', pki.server.p256.p12Path, '--pass', pki.server.p256.p12Password, '--protocols', protocol]);
    await withPeer(srv, async () => {
      const c = await spawnPeer(process.execPath, [clientJs, `127.0.0.1:${srv.port}`, '--servername', 'localhost', '--ca', pki.ca.certPath], { stdin: 'hello-java\n', name: 'sspi-client' });
      await withPeer(c, async () => {
        await c.waitFor(/hello-java/, 30_000, 'stdout');
        await srv.waitFor(new RegExp(`PROTOCOL ${protocol.replace('.', '\\.')} `), 10_000, 'stdout');
        c.closeStdin();
        await srv.waitFor(/DONE 11 /, 10_000, 'stdout');
      });
    });
  });
}
