/**
 * Headless Chromium (Debian `chromium`) loads a page from `sspi-tls serve --mode http` over TLS 1.3; the test reads
 * the page text back, and the server's log line shows what Chromium negotiated. Chromium offers X25519MLKEM768 and
 * x25519 key shares plus GREASE; our server prefers the hybrid group, so it must be X25519MLKEM768 (issue 8).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { annotate, requirePeer, runPeer } from '../helpers/peers.js';
import { startServe } from '../cli/run.js';

test('headless Chromium loads a page from sspi-tls serve over TLS 1.3', { timeout: 120_000 }, async () => {
  const chromium = requirePeer('chromium', 'chromium');
  const profile = mkdtempSync(join(tmpdir(), 'sspi-tls-chromium-'));
  // HTTP/1.1 on purpose (serve offers h2 first by default; test/cli/http2.test.ts covers that).
  const serve = await startServe(['--mode', 'http', '--tls', '1.3', '--alpn', 'http/1.1']);
  try {
    const r = await runPeer(
      chromium,
      [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, '--ignore-certificate-errors',
        '--dump-dom', `https://127.0.0.1:${serve.port}/`,
      ],
      { timeoutMs: 90_000, name: 'chromium' },
    );
    assert.equal(r.code, 0, r.output);
    assert.match(r.stdout, /Hello from sspi-tls/);
    assert.match(r.stdout, /<p id="tls">TLSv1\.3 TLS_AES_\d+_GCM_SHA\d+ X25519MLKEM768 alpn=http\/1\.1<\/p>/);
    const m = await serve.waitFor(/conn=\d+ peer=\S+ version=(\S+) suite=(\S+) group=(\S+) alpn=(\S+)/, 10_000, 'stdout');
    assert.equal(m[1], 'TLSv1.3');
    assert.match(m[2] ?? '', /^TLS_AES_\d+_GCM_SHA\d+$|^TLS_CHACHA20_POLY1305_SHA256$/);
    assert.equal(m[3], 'X25519MLKEM768');
    assert.equal(m[4], 'http/1.1');
  } catch (e) {
    throw annotate(e, [serve]);
  } finally {
    await serve.stop();
    rmSync(profile, { recursive: true, force: true });
  }
});
