/**
 * The CLI as s_client / s_server users expect it: --version, per-command --help, connect's "connecting…" line and
 * --timeout, one exit code per class of failure (3 network, 1 TLS), serve --save-cert feeding connect --ca,
 * connect --showcerts printing the served certificate as PEM, and a --trace that says no SNI went out for an IP.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { annotate, freePort, runPeer } from '../helpers/peers.js';
import { CLI, startServe } from './run.js';

function sspiTls(args: readonly string[], input = '') {
  return runPeer(process.execPath, [CLI, ...args], { timeoutMs: 20_000, input, name: `sspi-tls ${args[0] ?? ''}` });
}

test('--version and per-command --help: exit 0, on stdout', async () => {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  const v = await sspiTls(['--version']);
  assert.equal(v.code, 0);
  assert.equal(v.stdout.trim(), `sspi-tls ${pkg.version}`);
  const c = await sspiTls(['connect', '--help']);
  assert.equal(c.code, 0, c.output);
  assert.match(c.stdout, /^usage: sspi-tls connect HOST:PORT/);
  assert.match(c.stdout, /--timeout/);
  assert.match(c.stdout, /--showcerts/);
  const s = await sspiTls(['serve', '--help']);
  assert.equal(s.code, 0, s.output);
  assert.match(s.stdout, /--save-cert FILE/);
  const all = await sspiTls(['help']);
  assert.match(all.stdout, /Exit codes: 0 success; 1 TLS failure; 2 usage or configuration mistake; 3 network failure/);
});

test('connect to a closed port: a connecting line, then a network failure, exit 3', async () => {
  const port = await freePort();
  const r = await sspiTls(['connect', `127.0.0.1:${port}`]);
  assert.equal(r.code, 3, r.output);
  assert.match(r.stderr, new RegExp(`^connecting to 127\\.0\\.0\\.1:${port} \\.\\.\\.$`, 'm'));
  assert.match(r.stderr, new RegExp(`^connect: network: connection refused by 127\\.0\\.0\\.1:${port}$`, 'm'));
  assert.doesNotMatch(r.stderr, /handshake/);
});

test('connect --timeout against a server that never answers the ClientHello: a TLS timeout, exit 1', async () => {
  const held: Socket[] = [];
  const silent = createServer((s) => held.push(s)); // accepts TCP, says nothing
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  try {
    const port = (silent.address() as AddressInfo).port;
    const r = await sspiTls(['connect', `127.0.0.1:${port}`, '--timeout', '1s']);
    assert.equal(r.code, 1, r.output);
    assert.match(r.stderr, new RegExp(`^connect: tls: handshake to 127\\.0\\.0\\.1:${port} timed out after 1000 ms$`, 'm'));
    const bad = await sspiTls(['connect', `127.0.0.1:${port}`, '--timeout', 'soon']);
    assert.equal(bad.code, 2, bad.output);
  } finally {
    for (const s of held) s.destroy();
    await new Promise<void>((r) => silent.close(() => r()));
  }
});

test('serve --save-cert, then connect --ca with it (exit 0); --showcerts prints that certificate; --trace shows no SNI for an IP', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sspi-tls-savecert-'));
  const pem = join(dir, 'server.pem');
  const serve = await startServe(['--mode', 'echo', '--save-cert', pem]);
  try {
    await serve.waitFor(/saved to .*server\.pem: use it as --ca/, 5_000, 'stdout');
    const saved = readFileSync(pem, 'utf8');
    assert.match(saved, /^-----BEGIN CERTIFICATE-----\n/);
    const r = await sspiTls(['connect', `127.0.0.1:${serve.port}`, '--ca', pem, '--showcerts', '--trace'], 'ping\n');
    assert.equal(r.code, 0, r.output);
    assert.equal(r.stdout, 'ping\n', 'echoed through the verified connection');
    assert.ok(r.stderr.includes(saved.trim()), '--showcerts printed the served certificate as PEM');
    assert.match(r.stderr, /ClientHello\s+server_name=\(none\)/, 'no SNI was sent for an IP address, and the trace says so');
    assert.match(r.stderr, /connected to .* sni=- /);
    const named = await sspiTls(['connect', `127.0.0.1:${serve.port}`, '--ca', pem, '--servername', 'localhost', '--trace'], 'x\n');
    assert.equal(named.code, 0, named.output);
    assert.match(named.stderr, /ClientHello\s+server_name=localhost/);
    // Without --ca the throwaway certificate is not trusted: a TLS failure, exit 1.
    const untrusted = await sspiTls(['connect', `127.0.0.1:${serve.port}`]);
    assert.equal(untrusted.code, 1, untrusted.output);
    assert.match(untrusted.stderr, /^connect: tls: handshake failed: /m);
  } catch (e) {
    throw annotate(e, [serve]);
  } finally {
    await serve.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
