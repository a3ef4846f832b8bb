/**
 * `sspi-tls` end to end: argument and file errors (one line, exit 2), the demo, `serve` against curl and
 * openssl s_client, `connect` against openssl s_server, serve and connect against each other, and a tshark
 * decryption of a captured CLI session with the key log.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getPki } from '../helpers/pki.js';
import { annotate, opensslClient, opensslServer, requirePeer, runPeer, spawnPeer, type Peer } from '../helpers/peers.js';
import { CLI, cli, startServe } from './run.js';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'sspi-tls-cli-'));
}

async function usageError(args: readonly string[], pattern: RegExp): Promise<void> {
  const r = await runPeer(process.execPath, [CLI, ...args], { timeoutMs: 15_000 });
  assert.equal(r.code, 2, `exit code of sspi-tls ${args.join(' ')}: ${r.output}`);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line: ${r.stderr}`);
  assert.match(lines[0] ?? '', pattern);
  assert.doesNotMatch(r.stderr, /\s+at /, 'no stack trace');
}

test('bad arguments, missing files, a mismatched key and a busy port: one line, exit 2', async () => {
  const dir = tmp();
  try {
    const pki = await getPki();
    await usageError([], /missing command/);
    await usageError(['frobnicate'], /unknown command 'frobnicate'/);
    await usageError(['serve', '--bogus'], /unknown option '--bogus'/);
    await usageError(['serve', '--port'], /'--port' needs a value/);
    await usageError(['serve', '--port', '70000'], /not a port number/);
    await usageError(['serve', '--tls', '1.1'], /'--tls 1.1' is not one of 1.2, 1.3/);
    await usageError(['serve', '--cert', join(dir, 'nope.pem'), '--key', join(dir, 'nope.key')], /cannot read --cert .*no such file/);
    await usageError(['serve', '--cert', pki.server.p256.certPath], /--cert and --key go together/);
    await usageError(['serve', '--cert', pki.server.p256.certPath, '--key', pki.server.rsa2048.keyPath], /does not match the certificate/);
    await usageError(['connect'], /expected HOST:PORT/);
    await usageError(['connect', 'localhost'], /expected HOST:PORT/);
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    try {
      const port = (blocker.address() as { port: number }).port;
      await usageError(['serve', '--port', String(port)], new RegExp(`port ${port} on 127.0.0.1 is already in use`));
    } finally {
      blocker.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sspi-tls demo exits 0: the SSPI loop, TlsServer and HTTPS each serve a real client', { timeout: 60_000 }, async () => {
  const r = await runPeer(process.execPath, [CLI, 'demo'], { timeoutMs: 45_000 });
  assert.equal(r.code, 0, r.output);
  // 1. the Schannel loop, as the calls a Windows program makes, and Node's client's answer
  assert.match(r.stdout, /AcquireCredentialsHandle\(UNISP_NAME, SECPKG_CRED_INBOUND\) -> SEC_E_OK/);
  assert.match(r.stdout, /AcceptSecurityContext\(input \d+ bytes\) -> SEC_I_CONTINUE_NEEDED, output token \d+ bytes/);
  assert.match(r.stdout, /AcceptSecurityContext\(input \d+ bytes\) -> SEC_E_OK/);
  assert.match(r.stdout, /DecryptMessage\(\d+ bytes\) -> SEC_E_OK, SECBUFFER_DATA 15 bytes/);
  assert.match(r.stdout, /node:tls client got "HELLO, SCHANNEL"/);
  // 2. the idiomatic API
  assert.match(r.stdout, /node:tls client got "HELLO, TLSSERVER"/);
  assert.doesNotMatch(r.stdout, /0x8009/, 'no SSPI error status anywhere');
  assert.match(r.stdout, /client negotiated: version=TLSv1\.3/);
  assert.match(r.stdout, /node:https negotiated: version=TLSv1\.3 .*authorized=yes/);
  assert.match(r.stdout, /ClientHello/);
  assert.match(r.stdout, /demo: every client got its answer/);
  assert.match(r.stdout, /Next:/);
});

test('curl against serve --mode http: GET over HTTP/1.1 and 1.0, and a 10 MiB POST checked by its hash', { timeout: 90_000 }, async () => {
  requirePeer('curl', 'curl');
  const dir = tmp();
  const serve = await startServe(['--mode', 'http']);
  try {
    const url = `https://127.0.0.1:${serve.port}/`;
    const get = await runPeer('curl', ['-sS', '-k', '--http1.1', '--tlsv1.3', url, url], { timeoutMs: 20_000 });
    assert.equal(get.code, 0, get.output);
    assert.equal(get.stdout.match(/Hello from sspi-tls/g)?.length, 2, 'two pages on one keep-alive connection');
    const v10 = await runPeer('curl', ['-sS', '-k', '--http1.0', url], { timeoutMs: 20_000 });
    assert.equal(v10.code, 0, v10.output);
    assert.match(v10.stdout, /GET \/ HTTP\/1\.0/);
    const body = randomBytes(10 * 1024 * 1024);
    const file = join(dir, 'body.bin');
    writeFileSync(file, body);
    const post = await runPeer('curl', ['-sS', '-k', '--http1.1', '--data-binary', `@${file}`, `${url}upload`], { timeoutMs: 60_000 });
    assert.equal(post.code, 0, post.output);
    const sha = createHash('sha256').update(body).digest('hex');
    assert.match(post.stdout, new RegExp(`received ${body.length} bytes sha256=${sha}`));
    // One log line per connection; curl's keep-alive connection served both GETs.
    await serve.waitFor(/conn=3 peer=127\.0\.0\.1:\d+ version=TLSv1\.3 suite=TLS_\w+ group=x25519 alpn=http\/1\.1/, 10_000, 'stdout');
  } catch (e) {
    throw annotate(e, [serve]);
  } finally {
    await serve.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('openssl s_client against serve --mode echo', { timeout: 60_000 }, async () => {
  const serve = await startServe(['--mode', 'echo', '--alpn', 'echo,h2']);
  let client: Peer | undefined;
  try {
    client = await opensslClient(serve.port, ['-tls1_3', '-alpn', 'h2', '-servername', 'localhost', '-quiet'], { timeoutMs: 15_000 });
    client.write('hello through s_client\n');
    await client.waitFor(/hello through s_client/, 15_000, 'stdout');
    client.closeStdin();
    await serve.waitFor(/version=TLSv1\.3 .*alpn=h2 sni=localhost/, 10_000, 'stdout');
  } catch (e) {
    throw annotate(e, client ? [serve, client] : [serve]);
  } finally {
    await client?.stop();
    await serve.stop();
  }
});

test('sspi-tls connect against openssl s_server', { timeout: 60_000 }, async () => {
  const pki = await getPki();
  const server = await opensslServer({ cert: pki.server.p256.certPath, key: pki.server.p256.keyPath, args: ['-rev', '-tls1_3'] });
  let client: Peer | undefined;
  try {
    client = await cli(['connect', `127.0.0.1:${server.port}`, '--servername', 'localhost', '--ca', pki.ca.certPath]);
    await client.waitFor(/connected to 127\.0\.0\.1:\d+ version=TLSv1\.3/, 15_000, 'stderr');
    await client.waitFor(/subject: .*\n\s+issuer: .*\n\s+valid: .*\n\s+sha256: [0-9A-F:]+/, 5_000, 'stderr');
    client.write('abcdef\n');
    await client.waitFor(/fedcba/, 15_000, 'stdout');
  } catch (e) {
    throw annotate(e, client ? [server, client] : [server]);
  } finally {
    await client?.stop();
    await server.stop();
  }
});

test('serve and connect against each other (echo, --json, client certificate required)', { timeout: 60_000 }, async () => {
  const pki = await getPki();
  const serve = await startServe([
    '--mode', 'echo', '--cert', pki.server.p256.certPath, '--key', pki.server.p256.keyPath,
    '--ca', pki.ca.certPath, '--client-auth', 'required', '--json', '--trace',
  ]);
  let client: Peer | undefined;
  try {
    client = await cli([
      'connect', `127.0.0.1:${serve.port}`, '--servername', 'localhost', '--ca', pki.ca.certPath,
      '--cert', pki.client.certPath, '--key', pki.client.keyPath, '--json',
    ]);
    await client.waitFor(/"event":"connected"/, 15_000, 'stderr');
    client.write('round trip\n');
    await client.waitFor(/round trip/, 10_000, 'stdout');
    client.closeStdin();
    const exit = await client.waitExit(10_000);
    assert.equal(exit.code, 0, client.output());
    const m = await serve.waitFor(/\{"event":"connection".*\}/, 10_000, 'stdout');
    const line = JSON.parse(m[0]) as Record<string, unknown>;
    assert.equal(line['version'], 'TLSv1.3');
    assert.match(String(line['client-cert']), /CN=/);
    assert.match(serve.stdout(), /"event":"trace".*"message":"ClientHello"/);
    assert.doesNotMatch(serve.stdout(), /secret/i);
  } catch (e) {
    throw annotate(e, client ? [serve, client] : [serve]);
  } finally {
    await client?.stop();
    await serve.stop();
  }
});

test('serve shuts down cleanly on SIGTERM', { timeout: 30_000 }, async () => {
  const serve = await startServe(['--mode', 'echo']);
  try {
    serve.proc.kill('SIGTERM');
    const e = await serve.waitExit(10_000);
    assert.equal(e.code, 0, serve.output());
    assert.match(serve.stdout(), /SIGTERM: shutting down/);
  } finally {
    await serve.stop();
  }
});

test('tshark decrypts a captured CLI session with the key log and shows the HTTP request', { timeout: 90_000 }, async () => {
  requirePeer('tshark', 'tshark');
  const dir = tmp();
  const keylog = join(dir, 'keylog.txt');
  const pcap = join(dir, 'capture.pcapng');
  const serve = await startServe(['--mode', 'http'], { env: { SSLKEYLOGFILE: keylog } });
  let capture: Peer | undefined;
  try {
    capture = await spawnPeer('tshark', ['-i', 'lo', '-f', `tcp port ${serve.port}`, '-w', pcap], {
      name: 'tshark capture',
      readyPattern: /Capturing on|permission|denied|don't have permission|Couldn't|error/i,
      timeoutMs: 15_000,
    });
    if (!/Capturing on/i.test(capture.output())) {
      assert.fail(
        `tshark cannot capture on the loopback interface here (${capture.output().trim()}): packet capture needs root or ` +
          'CAP_NET_RAW+CAP_NET_ADMIN for dumpcap (Debian package `tshark`, wireshark-common install-setuid)',
      );
    }
    // dumpcap reports 'Capturing on' a moment before packets flow: give it a second (bounded, not a readiness wait).
    await new Promise((res) => setTimeout(res, 1500));
    const r = await runPeer('curl', ['-sS', '-k', '--http1.1', `https://127.0.0.1:${serve.port}/decrypt-me`], { timeoutMs: 20_000 });
    assert.equal(r.code, 0, r.output);
    await new Promise((res) => setTimeout(res, 1000));
    await capture.stop();
    assert.ok(existsSync(pcap), 'capture file written');
    assert.match(readFileSync(keylog, 'latin1'), /^CLIENT_TRAFFIC_SECRET_0 /m);
    const read = await runPeer('tshark', ['-r', pcap, '-d', `tcp.port==${serve.port},tls`, '-o', `tls.keylog_file:${keylog}`, '-Y', 'http'], {
      timeoutMs: 30_000,
    });
    assert.equal(read.code, 0, read.output);
    assert.match(read.stdout, /HTTP.*GET \/decrypt-me HTTP\/1\.1/, `tshark shows the request in clear:\n${read.output}`);
  } catch (e) {
    throw annotate(e, capture ? [serve, capture] : [serve]);
  } finally {
    await capture?.stop();
    await serve.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
