/**
 * Upgrades from plaintext fail closed when a man in the middle injects bytes around the switch to TLS
 * (CVE-2021-23222 for PostgreSQL clients, the same pattern for LDAP StartTLS), and when the server refuses TLS.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { TlsClient, TlsServer } from '../../src/index.js';
import { PostgresTlsStream } from '../../examples/postgres-tls-stream.js';
import { listenLdap } from '../../examples/ldap-starttls-server.js';
import { encodeMessage, octets, Op, START_TLS_OID, MessageReader } from '../../examples/ldap-protocol.js';
import { getPki } from '../helpers/pki.js';

async function fakeServer(onConnection: (s: Socket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer(onConnection);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const addr = server.address();
  return { server, port: typeof addr === 'object' && addr !== null ? addr.port : 0 };
}

function streamError(port: number): Promise<Error> {
  return new Promise((resolve, reject) => {
    const s = new PostgresTlsStream({ client: new TlsClient({ rejectUnauthorized: false }), servername: 'localhost' });
    const timer = setTimeout(() => reject(new Error('no error within 10 s')), 10_000);
    s.on('error', (e) => {
      clearTimeout(timer);
      resolve(e);
    });
    s.on('connect', () => reject(new Error('connected')));
    s.connect(port, '127.0.0.1');
  });
}

test("PostgreSQL stream: bytes after the server's 'S' and before TLS fail the connection (CVE-2021-23222)", async () => {
  const { server, port } = await fakeServer((sock) => sock.once('data', () => sock.write(Buffer.from('SE\x00\x00\x00\x10injected'))));
  try {
    assert.match((await streamError(port)).message, /CVE-2021-23222/);
  } finally {
    server.close();
  }
});

test("PostgreSQL stream: a server answering 'N' to SSLRequest fails the connection (no plaintext fallback)", async () => {
  const { server, port } = await fakeServer((sock) => sock.once('data', () => sock.write('N')));
  try {
    assert.match((await streamError(port)).message, /does not accept SSL/);
  } finally {
    server.close();
  }
});

test('LDAP server: a message pipelined after StartTLS, before TLS, ends the connection without TLS', async () => {
  const pki = await getPki();
  let tlsStarted = 0;
  const tls = new TlsServer({ certificates: [{ cert: pki.server.p256.chainPem, key: pki.server.p256.keyPem }] });
  const server = await listenLdap(0, { tls, onTls: () => tlsStarted++ });
  try {
    const addr = server.address();
    const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
    const received = await new Promise<Uint8Array[]>((resolve, reject) => {
      const sock = connect({ host: '127.0.0.1', port });
      const got: Uint8Array[] = [];
      const timer = setTimeout(() => reject(new Error('server kept the connection open for 10 s')), 10_000);
      sock.on('data', (d) => got.push(new Uint8Array(d)));
      sock.on('close', () => {
        clearTimeout(timer);
        resolve(got);
      });
      sock.on('error', () => undefined);
      sock.on('connect', () =>
        sock.write(Buffer.concat([
          encodeMessage(1, Op.ExtendedRequest, octets(START_TLS_OID, 0x80)),
          encodeMessage(2, Op.SearchRequest, octets('dc=example,dc=test')),
        ])),
      );
    });
    // At most the StartTLS response went out; no search answer, no TLS.
    const msgs = new MessageReader().push(new Uint8Array(Buffer.concat(received)));
    assert.ok(msgs.every((m) => m.op === Op.ExtendedResponse));
    assert.equal(tlsStarted, 0);
  } finally {
    server.close();
  }
});
