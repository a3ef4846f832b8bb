/**
 * Starting TLS on bytes already read: a plaintext command and the ClientHello arrive in one chunk (a client that
 * does not wait, or a transport that coalesces). With the idiomatic API the rest simply goes to `receive()`; with
 * the Node adapter the Node idiom works: pause the transport, `unshift()` the rest, wrap it in a TlsDuplex, resume
 * (in the same turn: the adapter listens from its construction).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TlsClient, TlsServer } from '../../src/index.js';
import { TlsDuplex, duplexPair } from '../../src/node/index.js';
import { getPki } from '../helpers/pki.js';

const COMMAND = Buffer.from('STARTTLS\n');

function withTimeout<T>(p: Promise<T>, what: string, ms = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]);
}

test('StartTLS-style upgrade with the ClientHello in the same chunk as the command', async (t) => {
  const pki = await getPki();
  const client = new TlsClient({ ca: pki.ca.certPem, servername: 'localhost' });

  await t.test('idiomatic API on the server: the rest goes to receive()', () => {
    const server = new TlsServer({ certificates: [{ cert: pki.server.p256.chainPem, key: pki.server.p256.keyPem }] });
    const c = client.connect();
    const chunk = Buffer.concat([COMMAND, c.takeOutput()]);
    const nl = chunk.indexOf(0x0a);
    assert.equal(chunk.subarray(0, nl).toString(), 'STARTTLS');
    const s = server.accept();
    s.receive(chunk.subarray(nl + 1));
    c.receive(s.takeOutput());
    s.receive(c.takeOutput());
    assert.ok(c.isHandshakeComplete && s.isHandshakeComplete);
  });

  await t.test('Node adapter on the server: pause, unshift, TlsDuplex, resume', async () => {
    const [clientEnd, serverEnd] = duplexPair();
    const c = client.connect();
    const replies: Uint8Array[] = [];
    c.on('data', (d) => replies.push(d));
    clientEnd.on('data', (d: Buffer) => {
      c.receive(new Uint8Array(d));
      const out = c.takeOutput();
      if (out.length > 0) clientEnd.write(out);
    });
    let restLength = -1;
    const secured = new Promise<TlsDuplex>((resolve) => {
      serverEnd.once('data', (chunk: Buffer) => {
        serverEnd.pause();
        const nl = chunk.indexOf(0x0a);
        assert.equal(chunk.subarray(0, nl).toString(), 'STARTTLS');
        const rest = chunk.subarray(nl + 1);
        restLength = rest.length;
        if (rest.length > 0) serverEnd.unshift(rest);
        const tls = new TlsDuplex(serverEnd, { isServer: true, cert: pki.server.p256.chainPem, key: pki.server.p256.keyPem });
        tls.on('data', (d: Buffer) => tls.write(Buffer.concat([Buffer.from('echo:'), d])));
        tls.once('secure', () => resolve(tls));
        // Resume at once, inside this 'data' handler: Readable's flow loop emits the unshifted chunk right away,
        // and the TlsDuplex must already be listening (it keeps chunks that arrive before it starts).
        serverEnd.resume();
      });
    });
    clientEnd.write(Buffer.concat([COMMAND, c.takeOutput()]));
    const tls = await withTimeout(secured, 'the server handshake');
    assert.ok(restLength > 0, 'the ClientHello came in the same chunk as the command');
    assert.ok(c.isHandshakeComplete);
    c.write(new TextEncoder().encode('hello'));
    clientEnd.write(c.takeOutput());
    await withTimeout(
      new Promise<void>((resolve) => {
        const check = (): void => {
          if (Buffer.concat(replies).toString() === 'echo:hello') resolve();
          else setImmediate(check);
        };
        check();
      }),
      'the echo',
    );
    tls.destroy();
    clientEnd.destroy();
  });
});
