/**
 * TLS 1.3 interop with Node's own node:tls (OpenSSL underneath), in process (cases in matrix.ts): our server against
 * `tls.connect`, our client against `tls.createServer`. Node's view is checked too (getProtocol, getCipher,
 * alpnProtocol, getEphemeralKeyInfo on its client side, the certificate it saw).
 *
 * DESIGN.md's trap: tls.connect ignores minVersion/maxVersion/ciphers when a secureContext is also passed, and
 * tls.createServer ignores secureContext: every option here is passed directly, never through a secureContext.
 * Node has no API to send a KeyUpdate (OpenSSL's SSL_key_update is not exposed), so `keyupdate-peer` is not run;
 * `keyupdate-ours` checks that Node answers our update_requested and that data flows both ways after it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { connect as tlsConnect, createServer as tlsCreateServer, type ConnectionOptions, type TlsOptions, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { TlsServer } from '../../src/index.js';
import { getPki, type Pki } from '../helpers/pki.js';
import { connectPump, listenPump, pattern, sha256Hex, DEFAULT_WAIT_MS } from '../helpers/net.js';
import { GROUP_IDS, GROUP_SPELLING, casesFor, unsupported, type InteropCase } from './matrix.js';
import {
  CLIENT_ALPN,
  MiB,
  SERVER_ALPN,
  assertOurInfo,
  leafOf,
  ourClient,
  ourServer,
  runCase,
  serverNameOf,
  type CaseContext,
} from './harness.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

/** What Node's getEphemeralKeyInfo() reports for each group (client side only). */
const EPHEMERAL: Record<string, { name: string; size: number }> = {
  x25519: { name: 'X25519', size: 253 },
  secp256r1: { name: 'prime256v1', size: 256 },
  secp384r1: { name: 'secp384r1', size: 384 },
};

/** Node's end of a connection: received bytes (hashed), end/close, bounded waits. */
class NodeSide {
  readonly socket: TLSSocket;
  received = 0;
  text = '';
  ended = false;
  closed = false;
  error: Error | undefined;
  readonly #hash = createHash('sha256');
  readonly #waiters = new Set<() => void>();
  constructor(socket: TLSSocket, keepText: boolean) {
    this.socket = socket;
    socket.on('data', (d: Buffer) => {
      this.received += d.length;
      this.#hash.update(d);
      if (keepText) this.text += d.toString('latin1');
      this.#notify();
    });
    socket.on('end', () => {
      this.ended = true;
      this.#notify();
    });
    socket.on('close', () => {
      this.closed = true;
      this.#notify();
    });
    socket.on('error', (e) => {
      this.error ??= e;
      this.#notify();
    });
  }
  #notify(): void {
    for (const w of [...this.#waiters]) w();
  }
  digest(): string {
    return this.#hash.copy().digest('hex');
  }
  until(what: string, predicate: () => boolean, timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (predicate()) {
          done();
          resolve();
        } else if (this.error !== undefined) {
          done();
          reject(new Error(`node:tls side: ${this.error.message} while waiting for ${what}`, { cause: this.error }));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`node:tls side: timed out after ${timeoutMs} ms waiting for ${what} (received ${this.received} bytes, ended ${this.ended})`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(check);
      };
      this.#waiters.add(check);
      check();
    });
  }
  textMatch(re: RegExp): Promise<void> {
    return this.until(`text ${re}`, () => re.test(this.text));
  }
}

/** Node's own view of the negotiation (either side); `client` adds getEphemeralKeyInfo and the server certificate. */
function assertNodeView(c: InteropCase, socket: TLSSocket, side: 'client' | 'server', pki: Pki): void {
  assert.equal(socket.getProtocol(), 'TLSv1.3', 'node getProtocol()');
  const cipher = socket.getCipher();
  assert.equal(cipher.version, 'TLSv1.3');
  if (c.feature === 'suite') assert.equal(cipher.name, c.suite, 'node getCipher().name');
  assert.equal(socket.alpnProtocol, c.feature === 'alpn' ? 'h2' : false, 'node alpnProtocol');
  if (side === 'server') {
    assert.equal((socket as TLSSocket & { servername?: string | false }).servername, serverNameOf(c), 'node servername');
    return;
  }
  assert.equal(socket.authorized, true, `node authorized (${String(socket.authorizationError)})`);
  const eph = socket.getEphemeralKeyInfo() as { type?: string; name?: string; size?: number };
  const want = EPHEMERAL[c.feature === 'group' || c.feature === 'hrr' ? c.group : 'x25519'];
  assert.deepEqual({ type: eph.type, name: eph.name, size: eph.size }, { type: 'ECDH', ...want }, 'node getEphemeralKeyInfo()');
  const leaf = c.feature === 'sni' ? pki.alt : leafOf(c, pki);
  assert.deepEqual(new Uint8Array(socket.getPeerCertificate().raw), leaf.certDer, `node saw ${leaf.name}`);
}

async function ourServerCase(ctx: CaseContext, c: InteropCase): Promise<void> {
  const pki = await getPki();
  // HRR: our server takes secp384r1 only; Node's client lists it but sends an x25519 share only. (A server that also
  // accepted x25519 would use that share: docs/design/hello-retry-policy.md.)
  const server =
    c.feature === 'hrr'
      ? new TlsServer({
          certificates: [{ cert: leafOf(c, pki).chainPem, key: leafOf(c, pki).keyPem }],
          minVersion: 'TLSv1.3',
          groups: [GROUP_IDS.secp384r1],
          keyLog: (line) => ctx.keyLog.push(line),
        })
      : ourServer(c, pki, ctx.keyLog);
  const transfer = c.feature === 'transfer';
  const ps = await listenPump(() => server.accept(), { keepData: !transfer, closeOnPeerClose: true }, ctx.keyLog);
  ctx.servers.push(ps);
  const opts: ConnectionOptions = {
    host: '127.0.0.1',
    port: ps.port,
    ca: pki.ca.certPem,
    servername: serverNameOf(c),
    minVersion: 'TLSv1.3',
    maxVersion: 'TLSv1.3',
  };
  if (c.feature === 'suite') opts.ciphers = c.suite;
  if (c.feature === 'group') opts.ecdhCurve = GROUP_SPELLING.node[c.group];
  if (c.feature === 'hrr') opts.ecdhCurve = `${GROUP_SPELLING.node.x25519}:${GROUP_SPELLING.node.secp384r1}`;
  if (c.feature === 'alpn') opts.ALPNProtocols = [...CLIENT_ALPN];
  const socket = tlsConnect(opts);
  ctx.cleanups.push(() => void socket.destroy());
  const node = new NodeSide(socket, !transfer);
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('node tls.connect: no secureConnect')), DEFAULT_WAIT_MS);
    socket.once('secureConnect', () => (clearTimeout(t), resolve()));
    socket.once('error', (e) => (clearTimeout(t), reject(e)));
  });
  const pump = await ps.next();
  const info = await pump.handshake();
  assertOurInfo(c, info, pki);
  assertNodeView(c, socket, 'client', pki);

  if (transfer) {
    const payload = pattern(MiB);
    socket.write(payload);
    pump.writePattern(MiB);
    await pump.bytes(MiB, 30_000);
    await node.until('1 MiB', () => node.received >= MiB, 30_000);
    assert.equal(pump.digest(), sha256Hex(payload), 'our server received the 1 MiB intact');
    assert.equal(node.digest(), sha256Hex(payload), 'node received the 1 MiB intact');
  } else {
    socket.write('ping\n');
    await pump.text(/ping\n/);
    pump.write(enc('pong\n'));
    await node.textMatch(/pong\n/);
  }
  if (c.feature === 'keyupdate-ours') {
    pump.updateKeys(true);
    pump.write(enc('after-our-update\n'));
    await node.textMatch(/after-our-update\n/);
    socket.write('reply\n');
    await pump.text(/reply\n/);
    assert.ok(pump.keyUpdates.length >= 1, 'node answered our update_requested with its own KeyUpdate');
    assert.equal(pump.keyUpdates[0], false, "node's answer does not request an update back");
  }

  // Node closes: close_notify reaches us (peerClosed is close_notify, not FIN); we answer with ours, which node
  // sees as 'end' while our TCP side is still open.
  socket.end();
  await pump.peerClose();
  await node.until("'end' (our close_notify)", () => node.ended);
}

async function ourClientCase(ctx: CaseContext, c: InteropCase): Promise<void> {
  const pki = await getPki();
  const leaf = leafOf(c, pki);
  const transfer = c.feature === 'transfer';
  const opts: TlsOptions = { key: leaf.keyPem, cert: leaf.chainPem, minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' };
  if (c.feature === 'suite') opts.ciphers = c.suite;
  if (c.feature === 'group' || c.feature === 'hrr') opts.ecdhCurve = GROUP_SPELLING.node[c.group];
  if (c.feature === 'alpn') opts.ALPNProtocols = [...SERVER_ALPN];
  const sides: NodeSide[] = [];
  let notify = (): void => undefined;
  const srv = tlsCreateServer(opts, (s) => {
    sides.push(new NodeSide(s, !transfer));
    notify();
  });
  if (c.feature === 'sni') srv.addContext('alt.test', { key: pki.alt.keyPem, cert: pki.alt.chainPem });
  const errors: Error[] = [];
  srv.on('tlsClientError', (e) => errors.push(e));
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  ctx.cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sides) s.socket.destroy();
        srv.close(() => resolve());
      }),
  );
  const port = (srv.address() as AddressInfo).port;
  const client = ourClient(c, pki, ctx.keyLog);
  const pump = await connectPump(port, client.connect(), { keepData: !transfer }, ctx.keyLog);
  ctx.pumps.push(pump);
  const info = await pump.handshake();
  assertOurInfo(c, info, pki);
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`node tls server: no secureConnection (${errors.map((e) => e.message).join('; ')})`)), DEFAULT_WAIT_MS);
    notify = () => (clearTimeout(t), resolve());
    if (sides.length > 0) notify();
  });
  const node = sides[0] as NodeSide;
  assertNodeView(c, node.socket, 'server', pki);

  if (transfer) {
    const payload = pattern(MiB);
    pump.writePattern(MiB);
    node.socket.write(payload);
    await pump.bytes(MiB, 30_000);
    await node.until('1 MiB', () => node.received >= MiB, 30_000);
    assert.equal(pump.digest(), sha256Hex(payload), 'our client received the 1 MiB intact');
    assert.equal(node.digest(), sha256Hex(payload), 'node received the 1 MiB intact');
  } else {
    pump.write(enc('ping\n'));
    await node.textMatch(/ping\n/);
    node.socket.write('pong\n');
    await pump.text(/pong\n/);
  }
  if (c.feature === 'keyupdate-ours') {
    pump.updateKeys(true);
    pump.write(enc('after-our-update\n'));
    await node.textMatch(/after-our-update\n/);
    node.socket.write('reply\n');
    await pump.text(/reply\n/);
    assert.ok(pump.keyUpdates.length >= 1, 'node answered our update_requested with its own KeyUpdate');
  }

  // We close: node sees close_notify as 'end' (our TCP side stays open), ends its side, and its close_notify
  // reaches us.
  pump.close();
  await node.until("'end' (our close_notify)", () => node.ended);
  await pump.peerClose();
}

for (const c of casesFor('node')) {
  // A case the peer cannot perform (node:tls cannot send a KeyUpdate) is not a test: the README table says n/a.
  if (unsupported(c.peer, c.feature) !== undefined) continue;
  test(c.title, () => runCase((ctx) => (c.ours === 'server' ? ourServerCase(ctx, c) : ourClientCase(ctx, c))));
}
