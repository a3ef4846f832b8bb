/**
 * The two SSPI examples against real peers on 127.0.0.1: examples/sspi-server.js with openssl s_client, curl,
 * gnutls-cli and node:tls (client certificate required, ALPN, one-byte and chunked delivery); examples/sspi-client.js
 * with openssl s_server, gnutls-serv and a node:tls server (SEC_I_RENEGOTIATE for tickets,
 * SEC_I_CONTEXT_EXPIRED on close_notify). Needs `npm run build` first.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { connect as netConnect } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { getPki, type Pki } from '../helpers/pki.js';
import { freePort, projectRoot, requirePeer, spawnPeer, withPeer } from '../helpers/peers.js';

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
  // Without a certificate the handshake fails on our side with SEC_E_LOGON_DENIED.
  const again = await ourServer(['--client-auth', '--ca', pki.ca.certPath]);
  await withPeer(again.peer, async () => {
    const s = tls.connect({ port: again.port, host: '127.0.0.1', servername: 'localhost', ca: pki.ca.certPem });
    await new Promise<void>((resolve) => {
      s.on('error', () => resolve());
      s.on('close', () => resolve());
    });
    await again.peer.waitFor(/error AcceptSecurityContext 0x8009030c/);
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
