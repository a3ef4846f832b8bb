/**
 * TLS 1.2 secure renegotiation (RFC 5746) with real peers on 127.0.0.1: openssl s_server renegotiating (`R`: with
 * a CertificateRequest) against our idiomatic client and our SSPI client example; our server renegotiating (with
 * `renegotiate({ requestCert })`) against openssl s_client; a client-initiated renegotiation (s_client `R`) run
 * when allowed; node:tls's `tlsSocket.renegotiate()` against our client.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { createServer as createNetServer, type Socket } from 'node:net';
import * as S from '../../src/sspi/index.js';
import { TlsClient, TlsServer, type ServerOptions } from '../../src/index.js';
import type { ConnectionInfo } from '../../src/vocabulary/connection-info.js';
import { getPki, type LeafFiles } from '../helpers/pki.js';
import { gnutlsServer, opensslClient, opensslServer, projectRoot, spawnPeer } from '../helpers/peers.js';
import { connectPump, listenPump, scope, type Pump } from '../helpers/net.js';
import { createServer, type TlsDuplex } from '../../src/node/index.js';

const pki = await getPki();
const creds = (l: LeafFiles) => ({ cert: l.chainPem, key: l.keyPem });
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const clientJs = join(projectRoot, 'dist', 'examples', 'sspi-client.js');
/** s_server / s_client `-msg` lines for a handshake message received. */
const received = (name: string): RegExp => new RegExp(`^<<< TLS 1\\.[23], Handshake \\[length [0-9a-f]+\\], ${name}$`, 'gm');
const count = (text: string, re: RegExp): number => (text.match(re) ?? []).length;

/** Resolves with the info of the next `renegotiated` event of a pump's connection. */
function renegotiated(pump: Pump): { done: () => ConnectionInfo | undefined } {
  let info: ConnectionInfo | undefined;
  pump.conn.on('renegotiated', (i) => {
    info = i;
  });
  return { done: () => info };
}

test('our client ↔ openssl s_server -tls1_2, `R`: renegotiation with a CertificateRequest; our certificate reaches s_server', () =>
  scope(async ({ peers, pumps }) => {
    const srv = await opensslServer({ cert: pki.server.p256.chainPath, key: pki.server.p256.keyPath, args: ['-tls1_2', '-CAfile', pki.ca.certPath, '-msg'] });
    peers.push(srv);
    const client = new TlsClient({ ca: pki.ca.certPem, servername: 'localhost', clientCertificate: creds(pki.client) });
    const pump = await connectPump(srv.port, client.connect(), { keepData: true });
    pumps.push(pump);
    const info = await pump.handshake();
    assert.equal(info.version, 'TLSv1.2');
    const r = renegotiated(pump);
    await srv.waitFor(/CIPHER is/, undefined, 'stdout');
    assert.equal(count(srv.stdout(), received('Certificate')), 0, 'no client certificate in the first handshake');
    srv.write('R\n'); // s_server: SSL_VERIFY_PEER + renegotiate (HelloRequest)
    await pump.until('renegotiated', () => r.done() !== undefined);
    await srv.waitUntil('the second client Finished', () => count(srv.stdout(), received('Finished')) >= 2);
    assert.equal(count(srv.stdout(), received('ClientHello')), 2);
    assert.equal(count(srv.stdout(), received('Certificate')), 1, 'our certificate, in the renegotiation');
    assert.equal(count(srv.stdout(), received('CertificateVerify')), 1);
    // Data both ways under the new keys.
    pump.write(enc('after renegotiation\n'));
    await srv.waitFor(/after renegotiation/, undefined, 'stdout');
    srv.write('from s_server\n');
    await pump.text(/from s_server/);
  }));

test('SSPI client example ↔ openssl s_server -tls1_2, `R`: SEC_I_RENEGOTIATE, ISC completes the renegotiation with its certificate', () =>
  scope(async ({ peers }) => {
    const srv = await opensslServer({ cert: pki.server.p256.chainPath, key: pki.server.p256.keyPath, args: ['-tls1_2', '-CAfile', pki.ca.certPath, '-msg', '-naccept', '1'] });
    peers.push(srv);
    const c = await spawnPeer(process.execPath, [clientJs, `127.0.0.1:${srv.port}`, '--servername', 'localhost', '--ca', pki.ca.certPath, '--tls12', '--cert', pki.client.chainPath, '--key', pki.client.keyPath], {
      stdin: 'hello-tls12\n',
      name: 'sspi-client',
    });
    peers.push(c);
    await c.waitFor(/handshake TLS_ECDHE_\w+ proto=0x00000303/, undefined, 'stderr');
    await srv.waitFor(/hello-tls12/, undefined, 'stdout');
    srv.write('R\n');
    await c.waitFor(/SEC_I_RENEGOTIATE/, undefined, 'stderr');
    await srv.waitUntil('the second client Finished', () => count(srv.stdout(), received('Finished')) >= 2);
    assert.equal(count(srv.stdout(), received('Certificate')), 1, 'the SSPI client certificate, in the renegotiation');
    srv.write('after-reneg\n');
    await c.waitFor(/after-reneg/, undefined, 'stdout');
    c.write('client-after\n');
    await srv.waitFor(/client-after/, undefined, 'stdout');
  }));

function server12(extra: Partial<ServerOptions> = {}): TlsServer {
  return new TlsServer({ certificates: [creds(pki.server.p256)], ca: pki.ca.certPem, maxVersion: 'TLSv1.2', ...extra });
}

test('our server ↔ openssl s_client -tls1_2: renegotiate({ requestCert: true }) gets s_client\'s certificate', () =>
  scope(async ({ peers, servers }) => {
    const server = server12();
    const ps = await listenPump(() => server.accept(), { keepData: true });
    servers.push(ps);
    const cl = await opensslClient(ps.port, ['-tls1_2', '-CAfile', pki.ca.certPath, '-servername', 'localhost', '-verify_return_error', '-cert', pki.client.chainPath, '-key', pki.client.keyPath, '-msg']);
    peers.push(cl);
    const pump = await ps.next();
    const first = await pump.handshake();
    assert.equal(first.peerCertificates.length, 0);
    const result = new Promise<Error | null>((resolve) => {
      assert.equal(pump.conn.renegotiate({ requestCert: true, rejectUnauthorized: true }, resolve), true);
    });
    pump.flush();
    assert.equal(await result, null);
    assert.equal(pump.conn.engine.info?.peerCertificates.length, 2);
    assert.equal(pump.conn.engine.info?.authorized, true);
    // s_client's -msg lines reach us through a pipe: wait (bounded) for them before counting.
    await cl.waitUntil('s_client printed the CertificateRequest', () => count(cl.stdout(), received('CertificateRequest')) >= 1);
    assert.equal(count(cl.stdout(), received('HelloRequest')), 1);
    assert.equal(count(cl.stdout(), received('CertificateRequest')), 1);
    cl.write('after\n');
    await pump.text(/after\n/);
  }));

test('our server with allowClientRenegotiation ↔ openssl s_client -tls1_2 `R`: the client-initiated renegotiation is run', () =>
  scope(async ({ peers, servers }) => {
    const server = server12({ allowClientRenegotiation: true });
    const ps = await listenPump(() => server.accept(), { keepData: true });
    servers.push(ps);
    const cl = await opensslClient(ps.port, ['-tls1_2', '-CAfile', pki.ca.certPath, '-servername', 'localhost', '-verify_return_error', '-msg']);
    peers.push(cl);
    const pump = await ps.next();
    await pump.handshake();
    const r = renegotiated(pump);
    cl.write('R\n');
    await pump.until('renegotiated', () => r.done() !== undefined);
    await cl.waitUntil('the second server Finished', () => count(cl.stdout(), received('Finished')) >= 2);
    cl.write('after\n');
    await pump.text(/after\n/);
  }));

test('node:tls server (TLS 1.2) tlsSocket.renegotiate({ requestCert }) ↔ our client: completes, node sees our certificate', () =>
  scope(async ({ pumps }) => {
    let resolveSock!: (s: tls.TLSSocket) => void;
    const sockP = new Promise<tls.TLSSocket>((r) => (resolveSock = r));
    const srv = tls.createServer({ cert: pki.server.p256.chainPem, key: pki.server.p256.keyPem, ca: pki.ca.certPem, maxVersion: 'TLSv1.2' }, resolveSock);
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    try {
      const port = (srv.address() as { port: number }).port;
      const client = new TlsClient({ ca: pki.ca.certPem, servername: 'localhost', clientCertificate: creds(pki.client) });
      const pump = await connectPump(port, client.connect(), { keepData: true });
      pumps.push(pump);
      await pump.handshake();
      const sock = await sockP;
      assert.equal(sock.getProtocol(), 'TLSv1.2');
      assert.equal(sock.getPeerCertificate().subject?.CN, undefined);
      const r = renegotiated(pump);
      const err = await new Promise<Error | null>((resolve) => {
        const timer = setTimeout(() => resolve(new Error('renegotiate: no callback within 15 s')), 15_000);
        sock.renegotiate({ requestCert: true, rejectUnauthorized: true }, (e) => {
          clearTimeout(timer);
          resolve(e);
        });
      });
      assert.equal(err, null);
      assert.equal(sock.getPeerCertificate().subject?.CN, 'test client');
      assert.equal(sock.authorized, true);
      await pump.until('renegotiated', () => r.done() !== undefined);
      sock.write('node after\n');
      await pump.text(/node after/);
      sock.destroy();
    } finally {
      await new Promise<void>((r) => srv.close(() => r()));
    }
  }));

test('node adapter server (TLS 1.2) socket.renegotiate({ requestCert }) ↔ node:tls client: callback(null), getPeerCertificate() shows the client', async () => {
  let resolveSock!: (s: TlsDuplex) => void;
  const sockP = new Promise<TlsDuplex>((r) => (resolveSock = r));
  const srv = createServer({ cert: pki.server.p256.chainPem, key: pki.server.p256.keyPem, ca: pki.ca.certPem, maxVersion: 'TLSv1.2' }, resolveSock);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  const c = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: pki.ca.certPem, cert: pki.client.chainPem, key: pki.client.keyPem });
  try {
    await new Promise<void>((resolve, reject) => {
      c.once('secureConnect', resolve);
      c.once('error', reject);
    });
    assert.equal(c.getProtocol(), 'TLSv1.2');
    const sock = await sockP;
    sock.on('error', () => {}); // the client's destroy() at the end has no close_notify
    assert.equal(sock.getPeerCertificate().subject?.['CN'], undefined);
    const err = await new Promise<Error | null>((resolve) => {
      const timer = setTimeout(() => resolve(new Error('renegotiate: no callback within 15 s')), 15_000);
      assert.equal(
        sock.renegotiate({ requestCert: true, rejectUnauthorized: true }, (e) => {
          clearTimeout(timer);
          resolve(e);
        }),
        true,
      );
    });
    assert.equal(err, null);
    assert.equal(sock.getPeerCertificate().subject?.['CN'], 'test client');
    const got = new Promise<string>((resolve) => c.once('data', (d: Buffer) => resolve(d.toString())));
    sock.write('after renegotiation');
    assert.equal(await got, 'after renegotiation');
  } finally {
    c.destroy();
    await new Promise<void>((r) => srv.close(() => r()));
  }
});

test('our client refuses an insecure peer: gnutls-serv with %DISABLE_SAFE_RENEGOTIATION (no renegotiation_info) → handshake_failure', () =>
  scope(async ({ peers, pumps }) => {
    const srv = await gnutlsServer({ cert: pki.server.p256.chainPath, key: pki.server.p256.keyPath, args: ['--priority', 'NORMAL:-VERS-ALL:+VERS-TLS1.2:%DISABLE_SAFE_RENEGOTIATION'] });
    peers.push(srv);
    const client = new TlsClient({ ca: pki.ca.certPem, servername: 'localhost' });
    const pump = await connectPump(srv.port, client.connect());
    pumps.push(pump);
    await assert.rejects(pump.handshake(), (e: unknown) => /RenegotiationInfoInvalid/.test(String((e as { cause?: unknown }).cause ?? e)));
    // gnutls-serv reports the fatal alert we sent.
    await srv.waitFor(/handshake_failure|Handshake failure|Error in handshake|alert/i, undefined, 'both');
  }));

/** An SSPI server loop over one accepted socket (ASC as IIS drives it), for the ASC renegotiation against a real client. */
class SspiServerSocket {
  #pending = new Uint8Array(0);
  #wake: (() => void) | undefined;
  readonly socket: Socket;
  readonly ctx = new S.CtxtHandle();
  readonly cred: S.CredHandle;
  constructor(socket: Socket, cred: S.CredHandle) {
    this.socket = socket;
    this.cred = cred;
    socket.on('data', (d: Buffer) => {
      const n = new Uint8Array(this.#pending.length + d.length);
      n.set(this.#pending);
      n.set(d, this.#pending.length);
      this.#pending = n;
      this.#wake?.();
    });
  }
  async #more(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('SSPI server: no bytes from the client within 15 s')), 15_000);
      this.#wake = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
    });
  }
  /** One ASC call on what has arrived; sends the token and keeps the EXTRA. */
  #asc(req: number, first: boolean): number {
    const inBuf = new S.SecBufferDesc([new S.SecBuffer(this.#pending.length, S.SECBUFFER_TOKEN, this.#pending), new S.SecBuffer(0, S.SECBUFFER_EMPTY, null)]);
    const out = new S.SecBufferDesc([new S.SecBuffer(0, S.SECBUFFER_TOKEN, null), new S.SecBuffer(0, S.SECBUFFER_ALERT, null), new S.SecBuffer(0, S.SECBUFFER_EMPTY, null)]);
    const st = S.AcceptSecurityContext(this.cred, first ? null : this.ctx, inBuf, req, 0, first ? this.ctx : null, out, new S.ULONG(), null);
    if (st === S.SEC_E_INCOMPLETE_MESSAGE) return st;
    const tok = out.pBuffers[0] as S.SecBuffer;
    if (tok.cbBuffer > 0 && tok.pvBuffer !== null) this.socket.write(tok.pvBuffer.subarray(0, tok.cbBuffer));
    const x = inBuf.pBuffers[1] as S.SecBuffer;
    this.#pending = x.BufferType === S.SECBUFFER_EXTRA ? this.#pending.slice(this.#pending.length - x.cbBuffer) : new Uint8Array(0);
    return st;
  }
  /** ASC until SEC_E_OK: the first handshake (`first`) or a renegotiation under way. */
  async accept(req: number, first: boolean): Promise<void> {
    let initial = first;
    for (;;) {
      if (this.#pending.length === 0) await this.#more();
      const st = this.#asc(req, initial);
      if (st === S.SEC_E_OK) return;
      if (st === S.SEC_I_CONTINUE_NEEDED) initial = false;
      else if (st === S.SEC_E_INCOMPLETE_MESSAGE) await this.#more();
      else throw new Error(`AcceptSecurityContext: 0x${(st >>> 0).toString(16)}`);
    }
  }
  /** ASC with ASC_REQ_MUTUAL_AUTH and no input on the established context: HelloRequest. */
  requestRenegotiation(req: number): number {
    return this.#asc(req | S.ASC_REQ_MUTUAL_AUTH, false);
  }
  send(text: string): void {
    const sizes = new S.SecPkgContext_StreamSizes();
    assert.equal(S.QueryContextAttributes(this.ctx, S.SECPKG_ATTR_STREAM_SIZES, sizes), S.SEC_E_OK);
    const data = enc(text);
    const buf = new Uint8Array(sizes.cbHeader + data.length + sizes.cbTrailer);
    buf.set(data, sizes.cbHeader);
    const msg = new S.SecBufferDesc([
      new S.SecBuffer(sizes.cbHeader, S.SECBUFFER_STREAM_HEADER, buf.subarray(0, sizes.cbHeader)),
      new S.SecBuffer(data.length, S.SECBUFFER_DATA, buf.subarray(sizes.cbHeader, sizes.cbHeader + data.length)),
      new S.SecBuffer(sizes.cbTrailer, S.SECBUFFER_STREAM_TRAILER, buf.subarray(sizes.cbHeader + data.length)),
      new S.SecBuffer(0, S.SECBUFFER_EMPTY, null),
    ]);
    assert.equal(S.EncryptMessage(this.ctx, 0, msg, 0), S.SEC_E_OK);
    const [h, d, t] = msg.pBuffers as [S.SecBuffer, S.SecBuffer, S.SecBuffer];
    this.socket.write(buf.subarray(0, h.cbBuffer + d.cbBuffer + t.cbBuffer));
  }
}

test('SSPI server (AcceptSecurityContext with ASC_REQ_MUTUAL_AUTH, the IIS pattern) ↔ openssl s_client -tls1_2: renegotiation brings its certificate', () =>
  scope(async ({ peers }) => {
    const sch = new S.SCH_CREDENTIALS();
    sch.cCreds = 1;
    sch.paCred = [S.CertContext.fromPem(pki.server.p256.chainPem, pki.server.p256.keyPem)];
    sch.hRootStore = S.CertStore.fromPem(pki.ca.certPem);
    const tp = new S.TLS_PARAMETERS();
    tp.grbitDisabledProtocols = (S.SP_PROT_TLS1_X & ~S.SP_PROT_TLS1_2) >>> 0;
    sch.cTlsParameters = 1;
    sch.pTlsParameters = [tp];
    const cred = new S.CredHandle();
    assert.equal(S.AcquireCredentialsHandle(null, S.UNISP_NAME, S.SECPKG_CRED_INBOUND, null, sch, null, null, cred, null), S.SEC_E_OK);
    const listener = createNetServer();
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
    const accepted = new Promise<Socket>((r) => listener.once('connection', r));
    const sockets: Socket[] = [];
    listener.on('connection', (sock: Socket) => sockets.push(sock));
    try {
      const port = (listener.address() as { port: number }).port;
      const cl = await opensslClient(port, ['-tls1_2', '-CAfile', pki.ca.certPath, '-servername', 'localhost', '-verify_return_error', '-cert', pki.client.chainPath, '-key', pki.client.keyPath, '-msg']);
      peers.push(cl);
      const server = new SspiServerSocket(await accepted, cred);
      const req = S.ASC_REQ_SEQUENCE_DETECT | S.ASC_REQ_REPLAY_DETECT | S.ASC_REQ_CONFIDENTIALITY | S.ASC_REQ_STREAM | S.ASC_REQ_ALLOCATE_MEMORY;
      await server.accept(req, true);
      const remote = new S.Ref<S.CertContext | null>(null);
      assert.equal(S.QueryContextAttributes(server.ctx, S.SECPKG_ATTR_REMOTE_CERT_CONTEXT, remote), S.SEC_E_NO_CREDENTIALS);
      await cl.waitFor(/Verify return code: 0/, undefined, 'stdout');
      assert.equal(server.requestRenegotiation(req), S.SEC_I_CONTINUE_NEEDED);
      await server.accept(req | S.ASC_REQ_MUTUAL_AUTH, false);
      assert.equal(S.QueryContextAttributes(server.ctx, S.SECPKG_ATTR_REMOTE_CERT_CONTEXT, remote), S.SEC_E_OK);
      assert.match(remote.value?.subject ?? '', /test client/);
      await cl.waitUntil('s_client printed the CertificateRequest', () => count(cl.stdout(), received('CertificateRequest')) >= 1);
      assert.equal(count(cl.stdout(), received('HelloRequest')), 1);
      assert.equal(count(cl.stdout(), received('CertificateRequest')), 1);
      server.send('after renegotiation\n');
      await cl.waitFor(/after renegotiation/, undefined, 'stdout');
    } finally {
      for (const sock of sockets) sock.destroy();
      await new Promise<void>((r) => listener.close(() => r()));
    }
  }));

test('node:tls client tlsSocket.renegotiate() ↔ our server: refused with no_renegotiation by default, run with allowClientRenegotiation', () =>
  scope(async ({ servers }) => {
    for (const allow of [false, true]) {
      const server = server12({ allowClientRenegotiation: allow });
      const ps = await listenPump(() => server.accept(), { keepData: true });
      servers.push(ps);
      const s = tls.connect({ port: ps.port, host: '127.0.0.1', servername: 'localhost', ca: pki.ca.certPem, maxVersion: 'TLSv1.2' });
      try {
        await new Promise<void>((resolve, reject) => {
          s.once('secureConnect', resolve);
          s.once('error', reject);
        });
        const pump = await ps.next();
        await pump.handshake();
        const r = renegotiated(pump);
        const err = await new Promise<Error | null>((resolve) => {
          const timer = setTimeout(() => resolve(new Error('renegotiate: no callback within 15 s')), 15_000);
          s.once('error', (e) => resolve(e));
          s.renegotiate({}, (e) => {
            clearTimeout(timer);
            resolve(e);
          });
        });
        if (allow) {
          assert.equal(err, null);
          await pump.until('renegotiated', () => r.done() !== undefined);
          s.write('after\n');
          await pump.text(/after\n/);
        } else {
          // OpenSSL (under node:tls) treats our no_renegotiation warning as fatal for its own renegotiation.
          assert.match(String(err), /renegotiation/i);
          assert.equal(r.done(), undefined);
          assert.equal(pump.conn.engine.failed, undefined, 'our side did not fail');
        }
      } finally {
        s.destroy();
      }
    }
  }));
