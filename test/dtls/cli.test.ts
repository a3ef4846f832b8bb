/**
 * `sspi-tls serve --dtls` and `sspi-tls connect --dtls`: our CLI client against our CLI server (echo), and openssl
 * s_client -dtls1_2 against the CLI server.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cli, startServe } from '../cli/run.js';
import { getPki } from '../helpers/pki.js';
import { opensslClient } from '../helpers/peers.js';
import { scope } from '../helpers/net.js';

const pki = await getPki();
const leaf = pki.server.p256;

test('sspi-tls connect --dtls ↔ sspi-tls serve --dtls: handshake, the echo of stdin, exit 0', () =>
  scope(async ({ peers }) => {
    const srv = await startServe(['--dtls', '--cert', leaf.chainPath, '--key', leaf.keyPath, '--mtu', '1200']);
    peers.push(srv);
    const c = await cli(['connect', '--dtls', '--tls', '1.2', `127.0.0.1:${srv.port}`, '--servername', 'localhost', '--ca', pki.ca.certPath], { stdin: 'ping over dtls\n', closeStdin: true });
    peers.push(c);
    const exit = await c.waitExit(20_000);
    assert.equal(exit.code, 0, c.output());
    assert.match(c.stderr(), /connected to 127\.0\.0\.1:\d+ .*version=DTLSv1\.2 .*suite=TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256/);
    assert.match(c.stdout(), /^ping over dtls\n$/);
    await srv.waitFor(/conn=1 peer=127\.0\.0\.1:\d+ version=DTLSv1\.2/, 10_000, 'stdout');
  }));

test('openssl s_client -dtls1_2 → sspi-tls serve --dtls (echo)', () =>
  scope(async ({ peers }) => {
    const srv = await startServe(['--dtls', '--cert', leaf.chainPath, '--key', leaf.keyPath]);
    peers.push(srv);
    const c = await opensslClient(srv.port, ['-dtls1_2', '-CAfile', pki.ca.certPath, '-servername', 'localhost', '-verify_return_error', '-quiet', '-nocommands', '-nbio'], { stdin: 'echo me\n' });
    peers.push(c);
    await c.waitFor(/echo me/, 15_000, 'stdout');
  }));

test('sspi-tls --mtu without --dtls, or out of range, is a usage error', () =>
  scope(async ({ peers }) => {
    const a = await cli(['connect', '127.0.0.1:1', '--mtu', '1000']);
    peers.push(a);
    assert.equal((await a.waitExit(10_000)).code, 2);
    const b = await cli(['serve', '--dtls', '--mtu', '100', '--port', '0']);
    peers.push(b);
    assert.equal((await b.waitExit(10_000)).code, 2);
    assert.match(b.output(), /--mtu takes a datagram size/);
  }));
