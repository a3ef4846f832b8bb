/**
 * `serve --mode http` accepts request heads whose lines end with a bare LF (RFC 9112 §2.2's robustness clause; what
 * tlsfuzzer's http mode sends), without touching message bodies or loosening anything else node:http's parser checks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { annotate, opensslClient, type Peer } from '../helpers/peers.js';
import { framingOf, LfTolerantRequests } from '../../src/cli/http-line-endings.js';
import { startServe } from './run.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder('latin1').decode(b);

/** The normaliser's output for `input` fed in pieces of `size` bytes (0: whole). */
function normalise(input: string, size = 0): string {
  const n = new LfTolerantRequests();
  const bytes = enc(input);
  if (size === 0) return dec(n.push(bytes));
  let out = '';
  for (let i = 0; i < bytes.length; i += size) out += dec(n.push(bytes.subarray(i, i + size)));
  return out;
}

test('bare LF in a request head becomes CRLF; CRLF heads pass byte for byte; any chunking gives the same bytes', () => {
  assert.equal(normalise('GET / HTTP/1.0\n\n'), 'GET / HTTP/1.0\r\n\r\n');
  assert.equal(normalise('GET / HTTP/1.1\nHost: a\r\nX: y\n\n'), 'GET / HTTP/1.1\r\nHost: a\r\nX: y\r\n\r\n');
  const crlf = 'GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n';
  assert.equal(normalise(crlf), crlf);
  const mixed = 'POST /a HTTP/1.1\nHost: x\nContent-Length: 6\n\nab\ncd\nGET /b HTTP/1.1\nHost: x\n\n';
  const want = 'POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\nab\ncd\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n';
  for (const size of [0, 1, 2, 3, 7, 1000]) assert.equal(normalise(mixed, size), want, `pieces of ${size}`);
});

test('bodies are never touched, and what the normaliser does not frame itself passes through as sent', () => {
  // A body framed by Content-Length keeps its bare LFs.
  assert.equal(normalise('POST / HTTP/1.1\nContent-Length: 3\n\n\n\n\n'), 'POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\n\n\n\n');
  // Transfer-Encoding, Upgrade, CONNECT, differing Content-Lengths: the rest of the connection is left as sent.
  assert.equal(normalise('POST / HTTP/1.1\nTransfer-Encoding: chunked\n\n1\nA\n0\n\n'), 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\nA\n0\n\n');
  assert.equal(normalise('GET / HTTP/1.1\nUpgrade: websocket\n\nx\ny\n'), 'GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\nx\ny\n');
  assert.deepEqual(framingOf('CONNECT a:443 HTTP/1.1\r\n\r\n'), { kind: 'raw' });
  assert.deepEqual(framingOf('POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n'), { kind: 'raw' });
  assert.deepEqual(framingOf('POST / HTTP/1.1\r\ncontent-length: 3\r\nContent-Length: 3\r\n\r\n'), { kind: 'body', length: 3 });
  assert.deepEqual(framingOf('POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n'), { kind: 'raw' });
  // A head over 64 KiB is not a head node:http accepts: it goes on as sent.
  const long = `GET / HTTP/1.1\nX: ${'a'.repeat(70 * 1024)}\nY: b\n\n`;
  const out = normalise(long, 4096);
  assert.ok(out.endsWith('\nY: b\n\n') && !out.endsWith('\r\n\r\n'), 'the rest after 64 KiB is untouched');
  // A bare CR is left for node:http to refuse.
  assert.equal(normalise('GET / HTTP/1.1\rHost: a\n\n'), 'GET / HTTP/1.1\rHost: a\r\n\r\n');
});

test('serve --mode http answers LF-only requests (tlsfuzzer\'s GET / HTTP/1.0\\n\\n, and keep-alive with a body), and still refuses Content-Length with Transfer-Encoding', { timeout: 60_000 }, async () => {
  const peers: Peer[] = [];
  try {
    const serve = await startServe(['--mode', 'http']);
    peers.push(serve);
    const ask = async (request: string, expect: RegExp): Promise<string> => {
      const c = await opensslClient(serve.port, ['-quiet', '-ign_eof']);
      peers.push(c);
      c.write(request);
      await c.waitFor(expect, 15_000, 'stdout');
      return c.stdout();
    };
    const one = await ask('GET /lf HTTP/1.0\n\n', /<\/html>/);
    assert.match(one, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(one, /<p id="request">GET \/lf HTTP\/1\.0<\/p>/);
    assert.match(one, /<p id="tls">TLSv1\.3 /, 'the page reports the TLS connection the request came over');

    const body = 'ab\ncd\n';
    const sha = createHash('sha256').update(body).digest('hex');
    const two = await ask(`POST /a HTTP/1.1\nHost: x\nContent-Length: ${body.length}\n\n${body}GET /b HTTP/1.1\nHost: x\nConnection: close\n\n`, /GET \/b HTTP\/1\.1[\s\S]*<\/html>/);
    assert.match(two, new RegExp(`<p id="request">POST /a HTTP/1\\.1</p>\\n<p id="body">received ${body.length} bytes sha256=${sha}</p>`), 'the body reached the server unchanged');
    assert.equal((two.match(/^HTTP\/1\.1 200 OK\r$/gm) ?? []).length, 2);

    const smuggle = await ask('POST / HTTP/1.1\nHost: x\nContent-Length: 3\nTransfer-Encoding: chunked\n\n0\r\n\r\n', /HTTP\/1\.1 400/);
    assert.doesNotMatch(smuggle, /200 OK/);
  } catch (e) {
    throw annotate(e, peers);
  } finally {
    await Promise.all(peers.map((p) => p.stop()));
  }
});
