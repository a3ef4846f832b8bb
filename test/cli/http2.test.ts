/**
 * `sspi-tls serve --mode http` speaks HTTP/2 when the client's ALPN asks for it: curl --http2, and headless Chromium
 * (Debian `chromium`) loading the page. The negotiated protocol is asserted on both sides: what the client reports
 * (curl's %{http_version}, the page Chromium rendered) and what the server logged for the connection.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { annotate, curl, requirePeer, runPeer } from '../helpers/peers.js';
import { startServe } from './run.js';

test('curl --http2 against serve --mode http: h2 negotiated and spoken; curl --http1.1 still gets HTTP/1.1', async () => {
  const serve = await startServe(['--mode', 'http']);
  try {
    const r = await curl(['--insecure', '--http2', '--output', '-', '--write-out', '\\nversion=%{http_version}', `https://127.0.0.1:${serve.port}/h2`]);
    assert.equal(r.code, 0, r.output);
    assert.match(r.stdout, /version=2$/, 'curl spoke HTTP/2');
    assert.match(r.stdout, /<p id="tls">TLSv1\.3 \S+ \S+ alpn=h2<\/p>/);
    assert.match(r.stdout, /<p id="request">GET \/h2 HTTP\/2\.0<\/p>/);
    const m = await serve.waitFor(/conn=\d+ peer=\S+ version=\S+ suite=\S+ group=\S+ alpn=(\S+)/, 10_000, 'stdout');
    assert.equal(m[1], 'h2', 'the server logged h2 for the connection');

    const r1 = await curl(['--insecure', '--http1.1', '--output', '-', '--write-out', '\\nversion=%{http_version}', `https://127.0.0.1:${serve.port}/h1`]);
    assert.equal(r1.code, 0, r1.output);
    assert.match(r1.stdout, /version=1\.1$/);
    assert.match(r1.stdout, /alpn=http\/1\.1<\/p>/);
  } catch (e) {
    throw annotate(e, [serve]);
  } finally {
    await serve.stop();
  }
});

test('headless Chromium loads a page from serve --mode http over h2', { timeout: 120_000 }, async () => {
  const chromium = requirePeer('chromium', 'chromium');
  const profile = mkdtempSync(join(tmpdir(), 'sspi-tls-chromium-h2-'));
  const serve = await startServe(['--mode', 'http']);
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
    assert.match(r.stdout, /<p id="tls">TLSv1\.3 \S+ \S+ alpn=h2<\/p>/, 'the page says the request came over h2');
    assert.match(r.stdout, /<p id="request">GET \/ HTTP\/2\.0<\/p>/);
    const m = await serve.waitFor(/conn=\d+ peer=\S+ version=\S+ suite=\S+ group=\S+ alpn=(\S+)/, 10_000, 'stdout');
    assert.equal(m[1], 'h2', 'the server logged h2 for the connection');
  } catch (e) {
    throw annotate(e, [serve]);
  } finally {
    await serve.stop();
    rmSync(profile, { recursive: true, force: true });
  }
});
