/**
 * HTTP/2 over the adapter, each side against Node's own: node:http2's client (its `connect`, with our connection as
 * `createConnection`, and with node:tls) against our Http2SecureServer; our connectHttp2 against node:http2's
 * createSecureServer; HTTP/1.1 fallback (allowHTTP1) for a client without h2. The negotiated protocol is asserted on
 * both sides of every connection.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as http2 from 'node:http2';
import { get as httpsGet, type RequestOptions } from 'node:https';
import type { AddressInfo } from 'node:net';
import { connect, connectHttp2, createSecureHttp2Server, type Http2SecureServer, type TlsDuplex } from '../../src/node/index.js';
import { makeSelfSigned, type SelfSigned } from '../../src/cli/selfsigned.js';
import { bounded as boundedBy } from '../helpers/net.js';

const WAIT_MS = 10_000;

function bounded<T>(p: Promise<T>, what: string): Promise<T> {
  return boundedBy(p, WAIT_MS, what);
}

/** GET / on a session: status, body. */
function h2get(session: http2.ClientHttp2Session, path = '/'): Promise<{ status: number; body: string }> {
  return bounded(
    new Promise((resolve, reject) => {
      const req = session.request({ ':path': path });
      let status = 0;
      const parts: Buffer[] = [];
      req.on('response', (h) => (status = Number(h[':status'])));
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => resolve({ status, body: Buffer.concat(parts).toString() }));
      req.on('error', reject);
      req.end();
    }),
    `h2 GET ${path}`,
  );
}

/** Our server answering with the protocol and the TLS connection's ALPN, as it saw them. */
async function ourServer(ss: SelfSigned, allowHTTP1 = false): Promise<{ server: Http2SecureServer; port: number }> {
  const server = createSecureHttp2Server({ key: ss.keyPem, cert: ss.certPem, allowHTTP1 }, (req, res) => {
    const tls = server.tlsSocketOf(req);
    res.end(`HTTP/${req.httpVersion} alpn=${String(tls?.alpnProtocol)}`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

/** https.get options offering only http/1.1 (node:https passes ALPNProtocols on to node:tls). */
function http1Only(port: number, ss: SelfSigned): RequestOptions {
  const o = { host: '127.0.0.1', port, servername: 'localhost', ca: ss.certPem, agent: false, ALPNProtocols: ['http/1.1'] };
  return o as RequestOptions;
}

async function stop(server: Http2SecureServer): Promise<void> {
  server.closeSessions();
  await new Promise<void>((r) => server.shutdown(2000, r));
}

test("node:http2's connect with our connection (createConnection) against our Http2SecureServer: h2 on both sides", async () => {
  const ss = await makeSelfSigned();
  const { server, port } = await ourServer(ss);
  let tls: TlsDuplex | undefined;
  const session = http2.connect(`https://localhost:${port}`, {
    createConnection: () => {
      tls = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: ss.certPem, ALPNProtocols: ['h2'] });
      return tls;
    },
  });
  try {
    const r = await h2get(session);
    assert.equal(r.status, 200);
    assert.equal(r.body, 'HTTP/2.0 alpn=h2', 'the server saw an HTTP/2 request on a TLS connection that negotiated h2');
    assert.equal(tls?.alpnProtocol, 'h2', 'our client negotiated h2');
    assert.equal(tls?.getProtocol(), 'TLSv1.3');
    const second = await h2get(session, '/again');
    assert.equal(second.body, 'HTTP/2.0 alpn=h2', 'a second stream on the same session');
  } finally {
    session.close();
    await stop(server);
  }
});

test("node:http2's own client (node:tls) against our Http2SecureServer: h2", async () => {
  const ss = await makeSelfSigned();
  const { server, port } = await ourServer(ss);
  const session = http2.connect(`https://localhost:${port}`, { ca: ss.certPem, host: '127.0.0.1' } as http2.SecureClientSessionOptions);
  try {
    const r = await h2get(session);
    assert.equal(r.status, 200);
    assert.equal(r.body, 'HTTP/2.0 alpn=h2');
    assert.equal(session.alpnProtocol, 'h2', "node:http2's session negotiated h2");
  } finally {
    session.close();
    await stop(server);
  }
});

test("our connectHttp2 against node:http2's createSecureServer: h2 on both sides", async () => {
  const ss = await makeSelfSigned();
  const server = http2.createSecureServer({ key: ss.keyPem, cert: ss.certPem }, (req, res) => {
    res.end(`HTTP/${req.httpVersion} alpn=${String((req.socket as unknown as { alpnProtocol?: string }).alpnProtocol)}`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const session = connectHttp2(`https://127.0.0.1:${port}`, { servername: 'localhost', ca: ss.certPem });
  try {
    const r = await h2get(session);
    assert.equal(r.status, 200);
    assert.equal(r.body, 'HTTP/2.0 alpn=h2');
  } finally {
    session.close();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test('allowHTTP1: a client that offers only http/1.1 is served HTTP/1.1 by the same server', async () => {
  const ss = await makeSelfSigned();
  const { server, port } = await ourServer(ss, true);
  try {
    const body = await bounded(
      new Promise<string>((resolve, reject) => {
        httpsGet(http1Only(port, ss), (res) => {
          const parts: Buffer[] = [];
          res.on('data', (c: Buffer) => parts.push(c));
          res.on('end', () => resolve(Buffer.concat(parts).toString()));
        }).on('error', reject);
      }),
      'https GET',
    );
    assert.equal(body, 'HTTP/1.1 alpn=http/1.1');
  } finally {
    await stop(server);
  }
});

test('without allowHTTP1 a client that does not offer h2 is refused', async () => {
  const ss = await makeSelfSigned();
  const { server, port } = await ourServer(ss, false);
  try {
    const err = await bounded(
      new Promise<Error & { code?: string }>((resolve) => {
        httpsGet(http1Only(port, ss), () => resolve(new Error('answered')))
          .on('error', resolve);
      }),
      'refusal',
    );
    // RFC 7301 §3.2: no protocol in common is a no_application_protocol alert (120), as node:tls reports it.
    assert.match(err.message, /no application protocol.*SSL alert number 120/, err.message);
  } finally {
    await stop(server);
  }
});
