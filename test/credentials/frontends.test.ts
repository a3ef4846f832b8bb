/**
 * PFX files and encrypted keys through every front end, against real peers on 127.0.0.1:
 * - the node adapter: `pfx` + `passphrase` as server credentials (openssl s_client, gnutls-cli and node:tls verify
 *   it) and as client credentials (openssl s_server -Verify 1, gnutls-serv --require-client-cert, a node:tls server
 *   with requestCert); `key: [{ pem, passphrase }]`; a keytool keystore as the server credential;
 * - the idiomatic API: `pfx` / `passphrase` for TlsServer and TlsClient (mutual TLS), errors as TlsError InvalidConfig;
 * - the CLI: `serve --pfx --pass env:`, `connect --pfx --pass file:` (mutual TLS with s_server -Verify 1), one-line
 *   errors (exit 2), and `sspi-tls pfx` whose output openssl and Node's OpenSSL read.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as tls from 'node:tls';
import { TlsClient, TlsServer, TlsError } from '../../src/index.js';
import { writePfx } from '../../src/credentials/index.js';
import { connect, createHttpsServer, createServer, type TlsDuplex } from '../../src/node/index.js';
import type { NodeClientOptions } from '../../src/node/options.js';
import { getPki, type Pki } from '../helpers/pki.js';
import { annotate, curl, gnutlsClient, gnutlsServer, javaPeer, opensslClient, opensslServer, withPeer, type Peer } from '../helpers/peers.js';
import { doHandshake } from '../helpers/pair.js';
import { cli, startServe } from '../cli/run.js';
import { openssl, path, tool } from './files.js';

let pki: Pki;
before(async () => {
  pki = await getPki();
});

const pfxOf = (file: string): Buffer => readFileSync(file);

async function echoServer(options: Parameters<typeof createServer>[0]): Promise<{ port: number; close: () => Promise<void> }> {
  const server = createServer(options, (sock: TlsDuplex) => {
    sock.on('data', (d: Buffer) => sock.write(d));
    sock.on('error', () => undefined);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return { port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

function nodeTlsRoundTrip(port: number, ca: string, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca }, () => s.write(text));
    const t = setTimeout(() => {
      s.destroy();
      reject(new Error('node:tls round trip timed out'));
    }, 10_000);
    s.on('data', (d: Buffer) => {
      clearTimeout(t);
      s.end();
      resolve(d.toString());
    });
    s.on('error', (e) => {
      clearTimeout(t);
      reject(e);
    });
  });
}

test('node adapter server from pfx + passphrase: openssl s_client, gnutls-cli and node:tls verify it', { timeout: 60_000 }, async () => {
  const srv = await echoServer({ pfx: pfxOf(pki.server.p256.p12Path), passphrase: pki.server.p256.p12Password });
  try {
    await withPeer(opensslClient(srv.port, ['-CAfile', pki.ca.certPath, '-servername', 'localhost', '-verify_return_error', '-quiet'], { stdin: 'ping-openssl\n' }), async (c) => {
      await c.waitFor(/ping-openssl/, 10_000, 'stdout');
    });
    await withPeer(gnutlsClient(srv.port, ['--x509cafile', pki.ca.certPath]), async (c) => {
      await c.waitFor(/Handshake was completed/, 10_000);
      c.write('ping-gnutls\n');
      await c.waitFor(/Simple Client Mode:[\s\S]*ping-gnutls/, 10_000, 'stdout');
    });
    assert.equal(await nodeTlsRoundTrip(srv.port, pki.ca.certPem, 'ping-node'), 'ping-node');
  } finally {
    await srv.close();
  }
});

function adapterClient(port: number, options: Record<string, unknown>, line: string, expect = line.trim()): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.ca.certPem, ...options } as NodeClientOptions);
    const t = setTimeout(() => {
      s.destroy();
      reject(new Error('adapter client timed out'));
    }, 10_000);
    let got = '';
    s.on('secureConnect', () => s.write(line));
    s.on('data', (d: Buffer) => {
      got += d.toString();
      if (got.includes(expect)) {
        clearTimeout(t);
        s.destroy();
        resolve(got);
      }
    });
    s.on('error', (e: Error) => {
      clearTimeout(t);
      reject(e);
    });
  });
}

test('node adapter client from pfx: mutual TLS with openssl s_server -Verify 1, gnutls-serv --require-client-cert and a node:tls server', { timeout: 60_000 }, async () => {
  const pfx = { pfx: pfxOf(pki.client.p12Path), passphrase: pki.client.p12Password };
  const s1 = await opensslServer({ cert: pki.server.p256.certPath, key: pki.server.p256.keyPath, args: ['-Verify', '1', '-CAfile', pki.ca.certPath, '-rev'] });
  await withPeer(s1, async () => {
    assert.match(await adapterClient(s1.port, pfx, 'olleh\n', 'hello'), /hello/);
    // s_server's verify lines come through a pipe: wait for them (bounded) rather than read what has arrived.
    await s1.waitFor(/CN = test client/, 10_000, 'both');
  });
  const s2 = await gnutlsServer({ cert: pki.server.p256.certPath, key: pki.server.p256.keyPath, args: ['--echo', '--require-client-cert', '--verify-client-cert', '--x509cafile', pki.ca.certPath] });
  await withPeer(s2, async () => {
    assert.match(await adapterClient(s2.port, pfx, 'echo-gnutls\n'), /echo-gnutls/);
  });
  const seen: string[] = [];
  const node = tls.createServer({ key: pki.server.p256.keyPem, cert: pki.server.p256.chainPem, ca: pki.ca.certPem, requestCert: true, rejectUnauthorized: true }, (s) => {
    seen.push(String(s.getPeerCertificate().subject?.CN));
    s.on('data', (d: Buffer) => s.write(d));
  });
  node.listen(0, '127.0.0.1');
  await once(node, 'listening');
  try {
    assert.match(await adapterClient((node.address() as AddressInfo).port, pfx, 'echo-node\n'), /echo-node/);
    assert.deepEqual(seen, ['test client']);
  } finally {
    node.close();
  }
});

test('key: [{ pem, passphrase }], `passphrase` for encrypted keys, pfx: [{ buf, passphrase }], a keytool keystore as server pfx', { timeout: 60_000 }, async () => {
  openssl(['pkcs8', '-topk8', '-v2', 'aes-256-cbc', '-in', pki.server.p256.keyPath, '-passout', 'pass:k-pass', '-out', path('enc-server.pem')]);
  const enc = readFileSync(path('enc-server.pem'), 'utf8');
  const a = await echoServer({ key: [{ pem: enc, passphrase: 'k-pass' }], cert: pki.server.p256.chainPem });
  try {
    assert.equal(await nodeTlsRoundTrip(a.port, pki.ca.certPem, 'enc-1'), 'enc-1');
  } finally {
    await a.close();
  }
  const b = await echoServer({ key: enc, cert: pki.server.p256.chainPem, passphrase: 'k-pass' });
  try {
    assert.equal(await nodeTlsRoundTrip(b.port, pki.ca.certPem, 'enc-2'), 'enc-2');
  } finally {
    await b.close();
  }
  // node:tls's array form: pfx: [{ buf, passphrase }] (each entry its own passphrase).
  const c = await echoServer({ pfx: [{ buf: pfxOf(pki.server.p256.p12Path), passphrase: pki.server.p256.p12Password }], passphrase: 'not this one' });
  try {
    assert.equal(await nodeTlsRoundTrip(c.port, pki.ca.certPem, 'pfx-array'), 'pfx-array');
  } finally {
    await c.close();
  }
  tool('keytool', 'openjdk-17-jdk-headless', ['-genkeypair', '-alias', 'web', '-keyalg', 'RSA', '-keysize', '2048', '-dname', 'CN=localhost',
    '-ext', 'san=dns:localhost,ip:127.0.0.1', '-validity', '2', '-storetype', 'PKCS12', '-keystore', path('web.p12'), '-storepass', 'web-pass']);
  const certPem = tool('keytool', 'openjdk-17-jdk-headless', ['-exportcert', '-rfc', '-alias', 'web', '-keystore', path('web.p12'), '-storepass', 'web-pass']);
  const k = await echoServer({ pfx: readFileSync(path('web.p12')), passphrase: 'web-pass' });
  try {
    assert.equal(await nodeTlsRoundTrip(k.port, certPem.slice(certPem.indexOf('-----BEGIN')), 'from-keytool'), 'from-keytool');
  } finally {
    await k.close();
  }
});

test('idiomatic API: pfx/passphrase for TlsServer and TlsClient (mutual TLS); bad inputs are TlsError InvalidConfig naming the reason', () => {
  const server = new TlsServer({ certificates: [], pfx: new Uint8Array(pfxOf(pki.server.p256.p12Path)), passphrase: pki.server.p256.p12Password, clientAuth: 'required', ca: pki.ca.certPem });
  const client = new TlsClient({ servername: 'localhost', ca: pki.ca.certPem, pfx: new Uint8Array(pfxOf(pki.client.p12Path)), passphrase: pki.client.p12Password });
  const pair = { server: server.accept(), client: client.connect() };
  doHandshake(pair);
  assert.ok(pair.client.isHandshakeComplete && pair.server.isHandshakeComplete);
  const bad = (f: () => unknown, re: RegExp): void => {
    try {
      f();
      assert.fail('expected a TlsError');
    } catch (e) {
      assert.ok(e instanceof TlsError, String(e));
      assert.equal(e.kind, 'InvalidConfig');
      assert.match(e.message, re);
    }
  };
  bad(() => new TlsServer({ certificates: [], pfx: new Uint8Array(pfxOf(pki.server.p256.p12Path)), passphrase: 'wrong' }), /wrong password.*\[BadPassword\]/);
  bad(() => new TlsServer({ certificates: [], pfx: new Uint8Array(pfxOf(pki.server.p256.p12Path)).subarray(0, 50), passphrase: 'x' }), /\[Truncated\]/);
  openssl(['pkcs8', '-topk8', '-v2', 'aes-128-cbc', '-in', pki.server.p256.keyPath, '-passout', 'pass:right', '-out', path('enc-api.pem')]);
  const enc = readFileSync(path('enc-api.pem'), 'utf8');
  bad(() => new TlsServer({ certificates: [{ cert: pki.server.p256.chainPem, key: enc }] }), /no passphrase was given/);
  bad(() => new TlsServer({ certificates: [{ cert: pki.server.p256.chainPem, key: enc, passphrase: 'wrong' }] }), /wrong password/);
  assert.ok(new TlsServer({ certificates: [{ cert: pki.server.p256.chainPem, key: enc, passphrase: 'right' }] }));
});

test('CLI: serve --pfx --pass env:, connect --pfx --pass file: with s_server -Verify 1, one-line errors', { timeout: 90_000 }, async () => {
  const serve = await startServe(['--mode', 'echo', '--pfx', pki.server.p256.p12Path, '--pass', 'env:PFX_PASS'], { env: { PFX_PASS: pki.server.p256.p12Password } });
  try {
    await withPeer(opensslClient(serve.port, ['-CAfile', pki.ca.certPath, '-servername', 'localhost', '-verify_return_error', '-quiet'], { stdin: 'cli-pfx\n' }), async (c) => {
      await c.waitFor(/cli-pfx/, 10_000, 'stdout');
    });
  } catch (e) {
    throw annotate(e, [serve]);
  } finally {
    await serve.stop();
  }
  writeFileSync(path('client-pass.txt'), `${pki.client.p12Password}\n`);
  const s = await opensslServer({ cert: pki.server.p256.certPath, key: pki.server.p256.keyPath, args: ['-Verify', '1', '-CAfile', pki.ca.certPath, '-rev'] });
  let client: Peer | undefined;
  try {
    client = await cli(['connect', `127.0.0.1:${s.port}`, '--servername', 'localhost', '--ca', pki.ca.certPath, '--pfx', pki.client.p12Path, '--pass', `file:${path('client-pass.txt')}`]);
    client.write('abc\n');
    await client.waitFor(/cba/, 15_000, 'stdout');
    await s.waitFor(/CN = test client/, 10_000, 'both'); // the verify lines may come on the other stream, later
  } catch (e) {
    throw annotate(e, client ? [s, client] : [s]);
  } finally {
    await client?.stop();
    await s.stop();
  }
  openssl(['pkcs8', '-topk8', '-v2', 'aes-128-cbc', '-in', pki.server.p256.keyPath, '-passout', 'pass:right', '-out', path('enc-api.pem')]);
  for (const [args, re] of [
    [['serve', '--pfx', pki.server.p256.p12Path, '--pass', 'pass:wrong'], /--pfx '.*': wrong password \(MAC verification failed\)/],
    [['serve', '--pfx', pki.server.p256.p12Path, '--pass', 'bogus'], /--pass: expected pass:TEXT, env:VAR or file:PATH/],
    [['serve', '--pfx', pki.server.p256.p12Path, '--cert', pki.server.p256.certPath, '--key', pki.server.p256.keyPath], /--pfx replaces --cert and --key/],
    [['connect', '127.0.0.1:1', '--pfx', path('client-pass.txt'), '--pass', 'pass:x'], /--pfx '.*': .*not DER/],
    [['pfx', '--info', pki.client.p12Path, '--pass', 'pass:wrong'], /wrong password/],
    [['serve', '--cert', pki.server.p256.p12Path, '--key', pki.server.p256.keyPath], /is a PKCS#12 \(PFX\) file: use --pfx FILE --pass/],
    [['connect', '127.0.0.1:1', '--cert', pki.server.p256.certPath, '--key', path('enc-api.pem')], /--key '.*' is encrypted: give its passphrase with --pass/],
    [['connect', '127.0.0.1:1', '--cert', pki.server.p256.certPath, '--key', path('enc-api.pem'), '--pass', 'pass:nope'], /--key '.*': wrong password/],
  ] as const) {
    const p = await cli(args);
    const exit = await p.waitExit(15_000);
    assert.equal(exit.code, 2, p.output());
    assert.match(p.stderr(), re);
    assert.equal(p.stderr().trim().split('\n').length, 1, p.stderr());
  }
});

test('CLI: sspi-tls pfx makes files openssl and Node read (AES and --legacy), --info describes them', { timeout: 60_000 }, async () => {
  for (const legacy of [false, true]) {
    const out = path(legacy ? 'cli-legacy.p12' : 'cli-aes.p12');
    const p = await cli(['pfx', '--cert', pki.server.p256.chainPath, '--key', pki.server.p256.keyPath, '--out', out, '--pass', 'pass:cli-pass', '--name', 'cli made', ...(legacy ? ['--legacy'] : [])]);
    assert.equal((await p.waitExit(15_000)).code, 0, p.output());
    assert.match(p.stdout(), /wrote .*2 certificate\(s\) and the key/);
    const info = openssl(['pkcs12', '-in', out, '-passin', 'pass:cli-pass', '-info', '-nokeys']);
    assert.match(info, legacy ? /pbeWithSHA1And3-KeyTripleDES-CBC/ : /AES-256-CBC/);
    assert.match(info, /friendlyName: cli made/);
    tls.createSecureContext({ pfx: readFileSync(out), passphrase: 'cli-pass' });
    const d = await cli(['pfx', '--info', out, '--pass', 'pass:cli-pass', '--json']);
    assert.equal((await d.waitExit(15_000)).code, 0, d.output());
    const lines = d.stdout().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines.filter((l) => l['event'] === 'certificate').length, 2);
    assert.ok(lines.some((l) => l['event'] === 'certificate' && l['privateKey'] === true && l['friendlyName'] === 'cli made'));
  }
});

test('real consumers load our PFX: a JSSE server keystore (AES and 3DES) with client-auth need, and curl --cert-type P12', { timeout: 120_000 }, async () => {
  for (const encryption of ['aes', 'legacy'] as const) {
    const file = path(`jsse-${encryption}.p12`);
    writeFileSync(file, writePfx({ chain: [pki.server.p256.certDer, pki.ca.certDer], key: pki.server.p256.keyDer, password: 'jsse-pass', friendlyName: 'jsse', encryption }));
    const server = await javaPeer('server', ['--port', '0', '--cert-p12', file, '--pass', 'jsse-pass', '--client-auth', 'need', '--trust-pem', pki.ca.certPath]);
    await withPeer(server, async () => {
      const got = await adapterClient(server.port, { pfx: pfxOf(pki.client.p12Path), passphrase: pki.client.p12Password }, `java-${encryption}\n`);
      assert.match(got, new RegExp(`java-${encryption}`));
      await server.waitFor(/PROTOCOL TLSv1\.3/, 10_000, 'stdout');
    });
  }
  // curl (OpenSSL) presents our PFX as its client certificate to our HTTPS server built from an openssl PFX.
  const clientPfx = path('curl-client.p12');
  writeFileSync(clientPfx, writePfx({ chain: [pki.client.certDer], key: pki.client.keyDer, password: 'curl-pass' }));
  const seen: string[] = [];
  const https = createHttpsServer({ pfx: pfxOf(pki.server.p256.p12Path), passphrase: pki.server.p256.p12Password, requestCert: true, ca: pki.ca.certPem }, (req, res) => {
    const sock = req.socket as unknown as TlsDuplex;
    seen.push(String(sock.getPeerCertificate().subject?.CN));
    res.end('hello pfx\n');
  });
  https.listen(0, '127.0.0.1');
  await once(https, 'listening');
  try {
    const port = (https.address() as AddressInfo).port;
    const r = await curl(['--cacert', pki.ca.certPath, '--resolve', `localhost:${port}:127.0.0.1`, '--cert-type', 'P12', '--cert', `${clientPfx}:curl-pass`, `https://localhost:${port}/`]);
    assert.equal(r.code, 0, r.output);
    assert.equal(r.stdout, 'hello pfx\n');
    assert.deepEqual(seen, ['test client']);
  } finally {
    https.close();
  }
});
