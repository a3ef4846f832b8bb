/**
 * HTTPS through node:http with our TLS: Node's https client against createHttpsServer, and https.get with our
 * Agent against Node's own https server (keep-alive: two requests, one connection). Plus node:tls interop of
 * createServer/connect.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as nodeHttpsServer, get as httpsGet, type RequestOptions } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect as nodeTlsConnect } from 'node:tls';
import { Agent, connect, createHttpsServer, createServer, type TlsDuplex } from '../../src/node/index.js';
import { makeSelfSigned } from '../../src/cli/selfsigned.js';

function fetch(opts: RequestOptions): Promise<{ status: number; body: string; res: IncomingMessage; socket: unknown }> {
  return new Promise((resolve, reject) => {
    const req = httpsGet(opts, (res) => {
      const parts: Buffer[] = [];
      const socket: unknown = res.socket;
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString(), res, socket }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

test("Node's https client against createHttpsServer (node:http over TlsDuplex)", async () => {
  const ss = await makeSelfSigned();
  const server = createHttpsServer({ key: ss.keyPem, cert: ss.certPem }, (req, res) => res.end(`hi ${(req.socket as unknown as TlsDuplex).getProtocol() ?? '?'}`));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const port = (server.address() as AddressInfo).port;
    const r = await fetch({ host: '127.0.0.1', port, path: '/', ca: ss.certPem, servername: 'localhost', agent: false });
    assert.equal(r.status, 200);
    assert.equal(r.body, 'hi TLSv1.3');
  } finally {
    server.http.closeAllConnections();
    await new Promise<void>((r) => server.shutdown(2000, r));
  }
});

test("https.get with our Agent against Node's https server; keep-alive reuses the connection", async () => {
  const ss = await makeSelfSigned();
  const server = nodeHttpsServer({ key: ss.keyPem, cert: ss.certPem }, (req, res) => res.end(`port ${req.socket.remotePort ?? 0}`));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const agent = new Agent({ ca: ss.certPem, servername: 'localhost', keepAlive: true });
  try {
    const port = (server.address() as AddressInfo).port;
    const a = await fetch({ host: '127.0.0.1', port, path: '/', agent });
    const b = await fetch({ host: '127.0.0.1', port, path: '/', agent });
    assert.equal(a.status, 200);
    assert.equal(a.body, b.body, 'same client port: one kept-alive connection');
    const sock = a.socket as TlsDuplex;
    assert.equal(sock.getProtocol(), 'TLSv1.3');
    assert.equal(sock.alpnProtocol, 'http/1.1', "node's https server selects http/1.1");
  } finally {
    agent.destroy();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test('node:tls client ↔ our createServer, and our connect ↔ node:tls server, with SNI callback and ALPN', async () => {
  const def = await makeSelfSigned({ commonName: 'default.test', altNames: ['default.test'] });
  const alt = await makeSelfSigned({ commonName: 'localhost' });
  const server = createServer(
    {
      key: def.keyPem,
      cert: def.certPem,
      ALPNProtocols: ['h2', 'http/1.1'],
      SNICallback: (name, cb) => setImmediate(() => cb(null, name === 'localhost' ? { key: alt.keyPem, cert: alt.certPem } : null)),
    },
    (s) => s.pipe(s),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const port = (server.address() as AddressInfo).port;
    const echoed = await new Promise<string>((resolve, reject) => {
      server.on('tlsClientError', reject);
      const c = nodeTlsConnect({ host: '127.0.0.1', port, servername: 'localhost', ca: alt.certPem, ALPNProtocols: ['http/1.1'] }, () => {
        assert.equal(c.alpnProtocol, 'http/1.1');
        c.end('echo me');
      });
      let got = '';
      c.on('data', (d: Buffer) => (got += d.toString()));
      c.on('end', () => resolve(got));
      c.on('error', reject);
    });
    assert.equal(echoed, 'echo me');
    // Our client against node:tls.
    const nodeServer = (await import('node:tls')).createServer({ key: alt.keyPem, cert: alt.certPem, ALPNProtocols: ['x', 'h2'] }, (s) => s.once('data', () => s.end('from node')));
    await new Promise<void>((r) => nodeServer.listen(0, '127.0.0.1', r));
    try {
      const np = (nodeServer.address() as AddressInfo).port;
      const got = await new Promise<string>((resolve, reject) => {
        const c = connect({ host: '127.0.0.1', port: np, servername: 'localhost', ca: alt.certPem, ALPNProtocols: ['h2'] });
        let s = '';
        c.on('secureConnect', () => {
          assert.equal(c.alpnProtocol, 'h2');
          c.write('hello');
        });
        c.on('data', (d: Buffer) => (s += d.toString()));
        c.on('end', () => resolve(s));
        c.on('error', reject);
      });
      assert.equal(got, 'from node');
    } finally {
      nodeServer.close();
    }
  } finally {
    await new Promise<void>((r) => server.shutdown(2000, r));
  }
});
