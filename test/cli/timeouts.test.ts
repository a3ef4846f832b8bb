/**
 * serve --handshake-timeout and --idle-timeout (issue 14: an attacker's silent connection must not be held open
 * forever; node:tls's defaults otherwise: 120 s for a handshake, no idle limit).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as tcpConnect } from 'node:net';
import { requirePeer, withPeer, opensslClient } from '../helpers/peers.js';
import { cli, startServe } from './run.js';

test('serve --handshake-timeout 1: a TCP connection that never sends a ClientHello is closed', { timeout: 30_000 }, async () => {
  const serve = await startServe(['--handshake-timeout', '1']);
  try {
    const closedAfter = await new Promise<number>((resolve, reject) => {
      const t0 = Date.now();
      const s = tcpConnect(serve.port, '127.0.0.1');
      const guard = setTimeout(() => {
        s.destroy();
        reject(new Error('the silent connection was still open after 15 s'));
      }, 15_000);
      s.on('error', () => undefined);
      s.on('close', () => {
        clearTimeout(guard);
        resolve(Date.now() - t0);
      });
    });
    assert.ok(closedAfter >= 900, `closed after ${closedAfter} ms, not before the timeout`);
    await serve.waitFor(/handshake-failed="TLS handshake timeout"/, 10_000, 'stdout');
  } finally {
    await serve.stop();
  }
});

test('serve --idle-timeout 1: an established connection that stays quiet is closed with close_notify', { timeout: 30_000 }, async () => {
  requirePeer('openssl', 'openssl');
  const serve = await startServe(['--idle-timeout', '1']);
  try {
    await withPeer(opensslClient(serve.port, ['-servername', 'localhost']), async (c) => {
      await c.waitFor(/Verify return code|SSL-Session/, 10_000, 'stdout');
      await serve.waitFor(/idle for 1 s: closing/, 10_000, 'stdout');
      await c.waitFor(/closed|DONE|read:errno=0|CLOSE_NOTIFY|close notify/i, 10_000, 'both');
    });
  } finally {
    await serve.stop();
  }
});

test('serve rejects a bad --idle-timeout with one line, exit 2', { timeout: 30_000 }, async () => {
  const p = await cli(['serve', '--idle-timeout', 'soon']);
  const r = await Promise.race([p.exited, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('serve did not exit')), 10_000))]);
  assert.equal(r.code, 2);
  assert.match(p.output(), /--idle-timeout must be a number of seconds/);
});
