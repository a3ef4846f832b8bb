/**
 * The canonical Schannel server loop, written only with the SSPI functions of `sspi-tls/sspi` over a node:net
 * socket: AcceptSecurityContext until SEC_E_OK (EXTRA and MISSING handled), then DecryptMessage/EncryptMessage, then
 * ApplyControlToken(SCHANNEL_SHUTDOWN) + AcceptSecurityContext to send close_notify. It echoes what it receives; an
 * HTTP request is answered with an HTTP response whose body is the request.
 *
 *   node dist/examples/sspi-server.js --port PORT [--cert FILE --key FILE] [--client-auth] [--ca FILE] [--alpn h2,http/1.1] [--tls12]
 *
 * `--tls12` disables TLS 1.3 in the credential (TLS_PARAMETERS.grbitDisabledProtocols = SP_PROT_TLS1_3_SERVER).
 * Prints `listening on PORT` when ready, and one `handshake ...` / `closed ...` / `error ...` line per connection
 * (`renegotiate` when a client tries to renegotiate TLS 1.2: SEC_I_RENEGOTIATE, refused with no_renegotiation).
 * One credential serves every connection, so TLS 1.3 tickets and TLS 1.2 sessions resume (`reconnect=1`).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as S from '../src/sspi/index.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const hex = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

function selfSigned(): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sspi-server-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
  return { cert, key };
}

const port = Number(arg('--port') ?? '0');
const files = arg('--cert') !== undefined ? { cert: arg('--cert') as string, key: arg('--key') as string } : selfSigned();
const clientAuth = process.argv.includes('--client-auth');
const alpn = arg('--alpn');
const caFile = arg('--ca');

// ---- credentials ---------------------------------------------------------------------------------------
const cert = S.CertContext.fromPem(readFileSync(files.cert, 'utf8'), readFileSync(files.key, 'utf8'));
const sch = new S.SCH_CREDENTIALS();
sch.cCreds = 1;
sch.paCred = [cert];
if (caFile !== undefined) sch.hRootStore = S.CertStore.fromPem(readFileSync(caFile, 'utf8'));
sch.cMappers = 1;
sch.aphMappers = [S.mapBySubject()];
if (process.argv.includes('--tls12')) {
  const tp = new S.TLS_PARAMETERS();
  tp.grbitDisabledProtocols = S.SP_PROT_TLS1_3_SERVER;
  sch.cTlsParameters = 1;
  sch.pTlsParameters = [tp];
}
const hCred = new S.CredHandle();
const tsExpiry = new S.TimeStamp();
const st0 = S.AcquireCredentialsHandle(null, S.UNISP_NAME, S.SECPKG_CRED_INBOUND, null, sch, null, null, hCred, tsExpiry);
if (st0 !== S.SEC_E_OK) {
  console.error(`AcquireCredentialsHandle failed: ${hex(st0)}`);
  process.exit(1);
}

const fContextReq =
  S.ASC_REQ_SEQUENCE_DETECT | S.ASC_REQ_REPLAY_DETECT | S.ASC_REQ_CONFIDENTIALITY | S.ASC_REQ_EXTENDED_ERROR | S.ASC_REQ_ALLOCATE_MEMORY | S.ASC_REQ_STREAM |
  (clientAuth ? S.ASC_REQ_MUTUAL_AUTH : 0);

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** One connection: the Schannel server state machine. */
function serve(socket: Socket): void {
  const hCtx = new S.CtxtHandle();
  let haveCtx = false;
  let handshaking = true;
  let established = false;
  let pending: Uint8Array = new Uint8Array(0);
  let sizes = new S.SecPkgContext_StreamSizes();
  let closed = false;

  const fail = (what: string, st: number): void => {
    console.log(`error ${what} ${hex(st)}`);
    closed = true;
    if (haveCtx) S.DeleteSecurityContext(hCtx);
    socket.end();
  };

  /** AcceptSecurityContext once with `pending`; returns false when more bytes are needed or the connection ended. */
  const accept = (): boolean => {
    const inBufs = [new S.SecBuffer(pending.length, S.SECBUFFER_TOKEN, pending), new S.SecBuffer(0, S.SECBUFFER_EMPTY, null)];
    if (!haveCtx && alpn !== undefined) {
      const list = S.buildApplicationProtocols(alpn.split(','));
      inBufs.push(new S.SecBuffer(list.length, S.SECBUFFER_APPLICATION_PROTOCOLS, list));
    }
    const input = new S.SecBufferDesc(inBufs);
    const output = new S.SecBufferDesc([new S.SecBuffer(0, S.SECBUFFER_TOKEN, null), new S.SecBuffer(0, S.SECBUFFER_ALERT, null), new S.SecBuffer(0, S.SECBUFFER_EMPTY, null)]);
    const attr = new S.ULONG();
    const ts = new S.TimeStamp();
    const st = S.AcceptSecurityContext(hCred, haveCtx ? hCtx : null, input, fContextReq, 0, hCtx, output, attr, ts);
    if (st === S.SEC_E_INCOMPLETE_MESSAGE) return false; // input[1] is [MISSING:k]: read at least k more bytes
    const [tok, alertBuf] = output.pBuffers as [S.SecBuffer, S.SecBuffer];
    if (st === S.SEC_E_OK || st === S.SEC_I_CONTINUE_NEEDED) {
      haveCtx = true;
      if (tok.cbBuffer > 0 && tok.pvBuffer !== null) socket.write(tok.pvBuffer.subarray(0, tok.cbBuffer));
      S.FreeContextBuffer(tok.pvBuffer);
      const extra = input.pBuffers[1] as S.SecBuffer;
      pending = extra.BufferType === S.SECBUFFER_EXTRA ? pending.slice(pending.length - extra.cbBuffer) : new Uint8Array(0);
      if (st === S.SEC_E_OK && established) handshaking = false; // after SEC_I_RENEGOTIATE: back to the data loop
      else if (st === S.SEC_E_OK) {
        handshaking = false;
        established = true;
        S.QueryContextAttributes(hCtx, S.SECPKG_ATTR_STREAM_SIZES, sizes);
        const ci = new S.SecPkgContext_CipherInfo();
        S.QueryContextAttributes(hCtx, S.SECPKG_ATTR_CIPHER_INFO, ci);
        const ap = new S.SecPkgContext_ApplicationProtocol();
        S.QueryContextAttributes(hCtx, S.SECPKG_ATTR_APPLICATION_PROTOCOL, ap);
        if (clientAuth) {
          // ASC_REQ_MUTUAL_AUTH does not fail the handshake when the client sends no certificate (as on Windows):
          // the application checks REMOTE_CERT_CONTEXT and refuses the connection itself.
          const peerCert = new S.Ref<S.CertContext | null>(null);
          const pc = S.QueryContextAttributes(hCtx, S.SECPKG_ATTR_REMOTE_CERT_CONTEXT, peerCert);
          if (pc !== S.SEC_E_OK) {
            const alert = new Uint8Array(12);
            const dv = new DataView(alert.buffer);
            dv.setUint32(0, S.SCHANNEL_ALERT, true);
            dv.setUint32(4, S.TLS1_ALERT_FATAL, true);
            dv.setUint32(8, S.TLS1_ALERT_ACCESS_DENIED, true);
            S.ApplyControlToken(hCtx, new S.SecBufferDesc([new S.SecBuffer(12, S.SECBUFFER_TOKEN, alert)]));
            const out = new S.SecBufferDesc([new S.SecBuffer(0, S.SECBUFFER_TOKEN, null)]);
            S.AcceptSecurityContext(hCred, hCtx, null, fContextReq, 0, null, out, new S.ULONG(), null);
            const a = out.pBuffers[0] as S.SecBuffer;
            if (a.cbBuffer > 0 && a.pvBuffer !== null) socket.write(a.pvBuffer.subarray(0, a.cbBuffer));
            fail('no client certificate (REMOTE_CERT_CONTEXT)', pc);
            return false;
          }
        }
        const tokenRef = new S.Ref<S.AccessToken | null>(null);
        const user = S.QuerySecurityContextToken(hCtx, tokenRef) === S.SEC_E_OK ? tokenRef.value?.userName ?? '-' : '-';
        const si = new S.SecPkgContext_SessionInfo();
        S.QueryContextAttributes(hCtx, S.SECPKG_ATTR_SESSION_INFO, si);
        console.log(
          `handshake ${ci.szCipherSuite} proto=${hex(ci.dwProtocol)} alpn=${new TextDecoder().decode(ap.ProtocolId) || '-'} attr=${hex(attr.value)} user=${user} ` +
            `sizes=${sizes.cbHeader}/${sizes.cbTrailer} reconnect=${si.dwFlags & S.SSL_SESSION_RECONNECT}`,
        );
      }
      return true;
    }
    const alert = alertBuf.cbBuffer > 0 ? alertBuf : tok;
    if (alert.cbBuffer > 0 && alert.pvBuffer !== null) socket.write(alert.pvBuffer.subarray(0, alert.cbBuffer));
    fail('AcceptSecurityContext', st);
    return false;
  };

  const encrypt = (data: Uint8Array): void => {
    for (let off = 0; off < data.length || off === 0; off += sizes.cbMaximumMessage) {
      const chunk = data.subarray(off, Math.min(data.length, off + sizes.cbMaximumMessage));
      const buf = new Uint8Array(sizes.cbHeader + chunk.length + sizes.cbTrailer);
      buf.set(chunk, sizes.cbHeader);
      const msg = new S.SecBufferDesc([
        new S.SecBuffer(sizes.cbHeader, S.SECBUFFER_STREAM_HEADER, buf.subarray(0, sizes.cbHeader)),
        new S.SecBuffer(chunk.length, S.SECBUFFER_DATA, buf.subarray(sizes.cbHeader, sizes.cbHeader + chunk.length)),
        new S.SecBuffer(sizes.cbTrailer, S.SECBUFFER_STREAM_TRAILER, buf.subarray(sizes.cbHeader + chunk.length)),
        new S.SecBuffer(0, S.SECBUFFER_EMPTY, null),
      ]);
      const st = S.EncryptMessage(hCtx, 0, msg, 0);
      if (st !== S.SEC_E_OK) return fail('EncryptMessage', st);
      const [h, d, t] = msg.pBuffers as [S.SecBuffer, S.SecBuffer, S.SecBuffer];
      socket.write(buf.subarray(0, h.cbBuffer + d.cbBuffer + t.cbBuffer));
      if (data.length === 0) break;
    }
  };

  const shutdown = (): void => {
    if (closed) return;
    closed = true;
    const tokenBytes = new Uint8Array(4);
    new DataView(tokenBytes.buffer).setUint32(0, S.SCHANNEL_SHUTDOWN, true);
    let st = S.ApplyControlToken(hCtx, new S.SecBufferDesc([new S.SecBuffer(4, S.SECBUFFER_TOKEN, tokenBytes)]));
    if (st === S.SEC_E_OK) {
      const output = new S.SecBufferDesc([new S.SecBuffer(0, S.SECBUFFER_TOKEN, null)]);
      st = S.AcceptSecurityContext(hCred, hCtx, null, fContextReq, 0, hCtx, output, new S.ULONG(), null);
      const tok = output.pBuffers[0] as S.SecBuffer;
      if ((st === S.SEC_E_OK || st === S.SEC_I_CONTEXT_EXPIRED) && tok.cbBuffer > 0 && tok.pvBuffer !== null) socket.write(tok.pvBuffer.subarray(0, tok.cbBuffer));
      S.FreeContextBuffer(tok.pvBuffer);
    }
    S.DeleteSecurityContext(hCtx);
    console.log('closed');
    socket.end();
  };

  const received: Uint8Array[] = [];
  const onPlaintext = (data: Uint8Array): void => {
    received.push(data.slice());
    const text = new TextDecoder().decode(concatAll(received));
    if (/^(GET|POST|HEAD|PUT) \S+ HTTP\/1\.[01]\r\n/.test(text)) {
      if (!text.includes('\r\n\r\n')) return;
      const body = new TextEncoder().encode(text);
      const head = new TextEncoder().encode(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`);
      encrypt(concat(head, body));
      shutdown();
      return;
    }
    received.length = 0;
    encrypt(data);
  };

  const drive = (): void => {
    while (!closed) {
      if (handshaking) {
        if (pending.length === 0 && haveCtx) return;
        if (!accept()) return;
        continue;
      }
      if (pending.length === 0) return;
      const msg = new S.SecBufferDesc([new S.SecBuffer(pending.length, S.SECBUFFER_DATA, pending), new S.SecBuffer(), new S.SecBuffer(), new S.SecBuffer()]);
      const st = S.DecryptMessage(hCtx, msg, 0, null);
      if (st === S.SEC_E_INCOMPLETE_MESSAGE) return;
      const bufs = msg.pBuffers;
      const data = bufs.find((b) => b.BufferType === S.SECBUFFER_DATA);
      const extra = bufs.find((b) => b.BufferType === S.SECBUFFER_EXTRA);
      const plain = data !== undefined && data.cbBuffer > 0 && data.pvBuffer !== null ? data.pvBuffer.slice(0, data.cbBuffer) : undefined;
      pending = extra !== undefined && extra.pvBuffer !== null ? extra.pvBuffer.slice(0, extra.cbBuffer) : new Uint8Array(0);
      if (st === S.SEC_E_OK) {
        if (plain !== undefined) onPlaintext(plain);
      } else if (st === S.SEC_I_RENEGOTIATE) {
        console.log('renegotiate');
        handshaking = true; // the next AcceptSecurityContext takes the remaining bytes
        if (pending.length === 0 && !accept()) return;
      } else if (st === S.SEC_I_CONTEXT_EXPIRED) {
        shutdown();
      } else {
        fail('DecryptMessage', st);
      }
    }
  };

  socket.on('data', (chunk: Buffer) => {
    pending = concat(pending, new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    drive();
  });
  socket.on('error', () => {
    closed = true;
  });
  socket.on('end', () => {
    if (!closed) shutdown();
  });
}

function concatAll(parts: readonly Uint8Array[]): Uint8Array {
  return parts.reduce((a, b) => concat(a, b), new Uint8Array(0));
}

const server = createServer(serve);
server.listen(port, '127.0.0.1', () => {
  const addr = server.address();
  console.log(`listening on ${typeof addr === 'object' && addr !== null ? addr.port : port}`);
});
process.on('SIGTERM', () => {
  server.close();
  process.exit(0);
});
