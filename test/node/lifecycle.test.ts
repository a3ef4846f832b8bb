/**
 * Socket and server lifecycle of the node adapter, as node:tls / node:https users rely on it: data delivered in
 * order to a listener that writes (node:http answering inside its parser), junk from a peer that does not speak TLS
 * (no alert, the connection closed, 'tlsClientError'), a client that leaves before the handshake ('socket hang up'),
 * 'close' with `hadError`, a write waiting for a handshake that never comes (ECANCELED), `signal`, a clean
 * `destroy()` (close_notify: the peer reads a clean end), and https.Server's timeouts and idle-connection close.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { request as httpsRequest } from 'node:https';
import { connect as netConnect, createServer as netCreateServer, type AddressInfo, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { connect, createHttpsServer, createServer, duplexPair, TlsDuplex } from '../../src/node/index.js';
import { makeSelfSigned, type SelfSigned } from '../../src/cli/selfsigned.js';
import { bounded } from '../helpers/net.js';

let creds: SelfSigned | undefined;
async function pki(): Promise<SelfSigned> {
  creds ??= await makeSelfSigned();
  return creds;
}

function listening(server: { listen: (port: number, host: string, cb: () => void) => unknown; address: () => unknown }): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

test("records that arrive together: a 'data' listener that writes never gets the next chunk before it returns", async () => {
  const c = await pki();
  const [a, b] = duplexPair();
  // The client's transport: passes b's bytes through, or holds them to hand over several records in one chunk.
  let hold = false;
  const held: Buffer[] = [];
  const transport = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      b.write(chunk, cb);
    },
    final(cb) {
      b.end(cb);
    },
  });
  b.on('data', (d: Buffer) => {
    if (hold) held.push(d);
    else transport.push(d);
  });
  b.on('end', () => transport.push(null));
  const server = new TlsDuplex(a, { isServer: true, key: c.keyPem, cert: c.certPem });
  const client = new TlsDuplex(transport, { ca: c.certPem, servername: 'localhost' });
  await bounded(
    Promise.all([new Promise((r) => server.once('secure', r)), new Promise((r) => client.once('secureConnect', r))]),
    10_000,
    'handshake',
  );
  const seen: string[] = [];
  let inHandler = false;
  let reentered = false;
  // Flowing before the records come (as node:http's socket is).
  const both = new Promise<void>((resolve) => {
    client.on('data', (d: Buffer) => {
      if (inHandler) reentered = true;
      inHandler = true;
      seen.push(d.toString());
      // A listener that answers at once (node:http's parser does, inside its execute()).
      client.write('ack');
      inHandler = false;
      if (seen.join('') === 'onetwo') resolve();
    });
  });
  await new Promise((r) => setImmediate(r));
  hold = true;
  await new Promise<void>((r) => server.write('one', () => r()));
  await new Promise<void>((r) => server.write('two', () => r()));
  await new Promise((r) => setImmediate(r));
  assert.ok(held.length >= 2, 'two records held');
  hold = false;
  transport.push(Buffer.concat(held));
  await bounded(both, 10_000, 'both records');
  assert.equal(reentered, false, "a second 'data' was emitted inside the first listener");
  assert.deepEqual(seen, ['one', 'two']);
  client.destroy();
  server.destroy();
});

test('a POST echoed by createHttpsServer while the response is paused: every byte back, in order (no re-entrant delivery)', async () => {
  const c = await pki();
  const server = createHttpsServer({ key: c.keyPem, cert: c.certPem }, (req, res) => {
    res.writeHead(200);
    req.pipe(res);
  });
  const port = await listening(server);
  try {
    const sent = createHash('sha256');
    const got = createHash('sha256');
    let sentBytes = 0;
    let gotBytes = 0;
    await bounded(
      new Promise<void>((resolve, reject) => {
        const req = httpsRequest({ host: '127.0.0.1', port, method: 'POST', ca: c.certPem, servername: 'localhost', agent: false }, (res) => {
          res.pause();
          // Write until the request says it is full (node:http's chunked framing around each write), then read.
          const send = (): void => {
            for (;;) {
              const chunk = randomBytes(256 * 1024);
              sent.update(chunk);
              sentBytes += chunk.length;
              if (!req.write(chunk)) break;
              if (sentBytes > 32 * 1024 * 1024) break;
            }
            res.resume();
          };
          res.on('data', (d: Buffer) => {
            got.update(d);
            gotBytes += d.length;
            if (gotBytes === sentBytes) req.end();
          });
          res.on('end', () => resolve());
          res.on('error', reject);
          send();
        });
        req.on('error', reject);
        req.write('a');
        sent.update('a');
        sentBytes += 1;
      }),
      60_000,
      'echo of the POST body',
    );
    assert.equal(gotBytes, sentBytes);
    assert.equal(got.digest('hex'), sent.digest('hex'));
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test("bytes that are not TLS: 'tlsClientError' (wrong version number), no alert sent, the connection closed", async () => {
  const c = await pki();
  const server = createServer({ key: c.keyPem, cert: c.certPem }, () => assert.fail('no handshake can complete'));
  const clientErrors: (Error & { code?: string })[] = [];
  server.on('tlsClientError', (err: Error & { code?: string }) => clientErrors.push(err));
  const port = await listening(server);
  try {
    const received: Buffer[] = [];
    await bounded(
      new Promise<void>((resolve) => {
        const s = netConnect(port, '127.0.0.1', () => s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
        s.on('data', (d: Buffer) => received.push(d));
        s.on('error', () => undefined);
        s.on('close', () => resolve());
      }),
      10_000,
      'the server closes the connection',
    );
    assert.equal(Buffer.concat(received).length, 0, 'no TLS alert to a peer that does not speak TLS');
    assert.equal(clientErrors.length, 1);
    assert.equal(clientErrors[0]?.code, 'ERR_SSL_WRONG_VERSION_NUMBER');
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test("a client that leaves before the handshake: 'tlsClientError' socket hang up (ECONNRESET)", async () => {
  const c = await pki();
  const server = createServer({ key: c.keyPem, cert: c.certPem });
  const port = await listening(server);
  try {
    const [err] = await bounded(
      new Promise<[Error & { code?: string }, TlsDuplex]>((resolve) => {
        server.once('tlsClientError', (e: Error & { code?: string }, s: TlsDuplex) => resolve([e, s]));
        const s = netConnect(port, '127.0.0.1', () => s.end());
      }),
      10_000,
      'tlsClientError',
    );
    assert.equal(err.message, 'socket hang up');
    assert.equal(err.code, 'ECONNRESET');
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test("a failed handshake: 'error' then 'close' with hadError; a write waiting for the handshake is canceled (ECANCELED)", async () => {
  const c = await pki();
  const server = createServer({ key: c.keyPem, cert: c.certPem });
  server.on('tlsClientError', () => undefined);
  const port = await listening(server);
  try {
    const order: string[] = [];
    // Not trusted (no ca): the client refuses the server's certificate.
    const sock = connect({ host: '127.0.0.1', port, servername: 'localhost' });
    const done = new Promise<void>((resolve) => {
      sock.on('error', (e: Error & { code?: string }) => order.push(`error ${e.code ?? ''}`));
      sock.on('close', (hadError: boolean) => {
        order.push(`close ${String(hadError)}`);
        resolve();
      });
    });
    const written = new Promise<string>((resolve) => sock.write('early', (err) => resolve((err as (Error & { code?: string }) | null | undefined)?.code ?? 'none')));
    await bounded(done, 10_000, 'close');
    assert.equal(await bounded(written, 10_000, 'write callback'), 'ECANCELED');
    assert.deepEqual(order, ['error DEPTH_ZERO_SELF_SIGNED_CERT', 'close true']);
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test('signal: an aborted signal destroys the socket with an AbortError (before and after connect)', async () => {
  const server = netCreateServer((s: Socket) => s.on('error', () => undefined));
  const port = await listening(server);
  try {
    for (const pre of [true, false]) {
      const ac = new AbortController();
      if (pre) ac.abort();
      const sock = connect({ host: '127.0.0.1', port, servername: 'localhost', signal: ac.signal });
      if (!pre) ac.abort();
      const err = await bounded(new Promise<Error>((resolve) => sock.once('error', resolve)), 10_000, 'AbortError');
      assert.equal(err.name, 'AbortError', `pre-aborted: ${String(pre)}`);
    }
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test("a clean destroy() after the handshake sends close_notify: the peer reads 'end', not a truncation", async () => {
  const c = await pki();
  const server = createServer({ key: c.keyPem, cert: c.certPem }, (s: TlsDuplex) => s.destroy());
  const port = await listening(server);
  try {
    const sock = connect({ host: '127.0.0.1', port, ca: c.certPem, servername: 'localhost' });
    const outcome = await bounded(
      new Promise<string>((resolve) => {
        sock.on('error', (e: Error & { code?: string }) => resolve(`error ${e.code ?? e.message}`));
        sock.on('end', () => resolve('end'));
        sock.resume();
      }),
      10_000,
      'end',
    );
    assert.equal(outcome, 'end');
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test("https.Server: setTimeout's 'timeout' gets the idle socket; close() ends idle keep-alive connections", async () => {
  const c = await pki();
  const server = createHttpsServer({ key: c.keyPem, cert: c.certPem }, (_req, res) => res.end('ok'));
  const port = await listening(server);
  try {
    const timedOut = new Promise<unknown>((resolve) => server.setTimeout(200, resolve));
    const sock = connect({ host: '127.0.0.1', port, ca: c.certPem, servername: 'localhost' });
    sock.on('error', () => undefined);
    const closed = new Promise<void>((resolve) => sock.on('close', () => resolve()));
    let reply = '';
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => (reply += d));
    sock.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
    const idle = await bounded(timedOut, 10_000, "the server's 'timeout'");
    assert.equal((idle as { encrypted?: boolean }).encrypted, true, 'the TLS socket');
    assert.match(reply, /^HTTP\/1\.1 200 OK\r\n/);
    // Keep-alive: the connection is still open; closing the server closes it (idle).
    server.close();
    await bounded(closed, 10_000, 'the idle connection closed by server.close()');
  } finally {
    server.closeAllConnections();
  }
});

test("onread: plaintext into the caller's buffers, no 'data'; a callback returning false waits for resume()", async () => {
  const c = await pki();
  const message = Buffer.from('hello world, in small buffers');
  const server = createServer({ key: c.keyPem, cert: c.certPem }, (s: TlsDuplex) => s.end(message));
  const port = await listening(server);
  try {
    const pool = [Buffer.alloc(4), Buffer.alloc(4)];
    let at = -1;
    let asked = 0;
    const got: Buffer[] = [];
    let stopped = false;
    const sock = connect({
      host: '127.0.0.1',
      port,
      ca: c.certPem,
      servername: 'localhost',
      onread: {
        buffer: () => {
          asked++;
          at = (at + 1) % pool.length;
          return pool[at]!;
        },
        callback: (n, buf) => {
          assert.equal(buf, pool[at], 'the buffer handed out last');
          got.push(Buffer.from(buf.subarray(0, n)));
          if (!stopped) {
            stopped = true;
            setImmediate(() => sock.resume());
            return false;
          }
          return true;
        },
      },
    });
    sock.on('data', () => assert.fail("no 'data' with onread"));
    await bounded(new Promise<void>((resolve) => sock.on('end', () => resolve())), 10_000, 'end');
    assert.deepEqual(Buffer.concat(got), message);
    assert.equal(got.length, Math.ceil(message.length / 4));
    assert.equal(asked, got.length + 1, 'one buffer at the start, then one after each callback (as net.Socket)');
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test('tls.Server options of net.Server: allowHalfOpen and pauseOnConnect (the handshake runs, the TLS socket is handed over paused); ALPNProtocols in wire format', async () => {
  const c = await pki();
  const server = createServer({ key: c.keyPem, cert: c.certPem, allowHalfOpen: true, pauseOnConnect: true, ALPNProtocols: ['h2', 'http/1.1'] });
  assert.equal(server.allowHalfOpen, true);
  assert.equal(server.pauseOnConnect, true);
  assert.deepEqual(server.ALPNProtocols, Buffer.from('\x02h2\x08http/1.1', 'latin1'));
  const port = await listening(server);
  try {
    const secured = new Promise<TlsDuplex>((resolve) => server.once('secureConnection', resolve));
    const sock = connect({ host: '127.0.0.1', port, ca: c.certPem, servername: 'localhost', ALPNProtocols: ['http/1.1'] });
    sock.on('error', () => undefined);
    const s = await bounded(secured, 10_000, 'secureConnection');
    assert.equal(s.isPaused(), true, 'handed over paused');
    assert.equal(s.allowHalfOpen, true);
    assert.equal(s.alpnProtocol, 'http/1.1');
    // Paused: nothing is read until resumed; then the client's bytes arrive.
    sock.write('after resume');
    const got = new Promise<string>((resolve) => s.once('data', (d: Buffer) => resolve(d.toString())));
    s.resume();
    assert.equal(await bounded(got, 10_000, 'data after resume'), 'after resume');
    sock.destroy();
    s.destroy();
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test('https.Server: await server[Symbol.asyncDispose]() closes it', async () => {
  const c = await pki();
  const server = createHttpsServer({ key: c.keyPem, cert: c.certPem });
  await listening(server);
  const closed = new Promise<void>((resolve) => server.once('close', () => resolve()));
  await bounded(server[Symbol.asyncDispose](), 10_000, 'asyncDispose');
  await bounded(closed, 10_000, "'close'");
  assert.equal(server.listening, false);
});

test("write() then destroy() in the same tick: the written bytes were sealed, so close_notify follows them and the peer reads them, then 'end'", async () => {
  const c = await pki();
  const server = createServer({ key: c.keyPem, cert: c.certPem }, (s: TlsDuplex) => {
    s.write('bye');
    s.destroy();
  });
  const port = await listening(server);
  try {
    const sock = connect({ host: '127.0.0.1', port, ca: c.certPem, servername: 'localhost' });
    let got = '';
    const outcome = await bounded(
      new Promise<string>((resolve) => {
        sock.on('error', (e: Error & { code?: string }) => resolve(`error ${e.code ?? e.message}`));
        sock.on('data', (d: Buffer) => (got += d.toString()));
        sock.on('end', () => resolve('end'));
      }),
      10_000,
      'end',
    );
    assert.equal(outcome, 'end');
    assert.equal(got, 'bye');
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
});
