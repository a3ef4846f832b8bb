/**
 * The canonical Schannel client loop with InitializeSecurityContext, piping stdin to the server and the server's
 * data to stdout. Status lines go to stderr: `handshake ...`, `SEC_I_RENEGOTIATE`, `SEC_I_INCOMPLETE_CREDENTIALS`,
 * `SEC_I_CONTEXT_EXPIRED`, `error ...`.
 *
 *   node dist/examples/sspi-client.js HOST:PORT [--servername NAME] [--ca FILE] [--cert FILE --key FILE] [--alpn h2,http/1.1] [--insecure] [--tls12]
 *
 * `--tls12` uses the legacy SCHANNEL_CRED with grbitEnabledProtocols = SP_PROT_TLS1_2_CLIENT. `--insecure` is
 * SCH_CRED_MANUAL_CRED_VALIDATION; the handshake line then reports SECPKG_ATTR_CERT_CHECK_RESULT (`check=0x...`).
 */
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import * as S from '../src/sspi/index.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const hex = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
const target = process.argv[2] ?? '';
const colon = target.lastIndexOf(':');
const host = target.slice(0, colon);
const port = Number(target.slice(colon + 1));
const serverName = arg('--servername') ?? host;
const alpn = arg('--alpn');

const tls12 = process.argv.includes('--tls12');
const sch = tls12 ? new S.SCHANNEL_CRED() : new S.SCH_CREDENTIALS();
if (sch instanceof S.SCHANNEL_CRED) sch.grbitEnabledProtocols = S.SP_PROT_TLS1_2_CLIENT;
sch.dwFlags = S.SCH_CRED_NO_DEFAULT_CREDS | (process.argv.includes('--insecure') ? S.SCH_CRED_MANUAL_CRED_VALIDATION : S.SCH_CRED_AUTO_CRED_VALIDATION);
const caFile = arg('--ca');
if (caFile !== undefined) sch.hRootStore = S.CertStore.fromPem(readFileSync(caFile, 'utf8'));
const certFile = arg('--cert');
if (certFile !== undefined) {
  sch.cCreds = 1;
  sch.paCred = [S.CertContext.fromPem(readFileSync(certFile, 'utf8'), readFileSync(arg('--key') as string, 'utf8'))];
}
const hCred = new S.CredHandle();
const st0 = S.AcquireCredentialsHandle(null, S.UNISP_NAME, S.SECPKG_CRED_OUTBOUND, null, sch, null, null, hCred, null);
if (st0 !== S.SEC_E_OK) {
  console.error(`error AcquireCredentialsHandle ${hex(st0)}`);
  process.exit(1);
}
let fContextReq = S.ISC_REQ_SEQUENCE_DETECT | S.ISC_REQ_REPLAY_DETECT | S.ISC_REQ_CONFIDENTIALITY | S.ISC_REQ_EXTENDED_ERROR | S.ISC_REQ_ALLOCATE_MEMORY | S.ISC_REQ_STREAM;

const hCtx = new S.CtxtHandle();
let pending: Uint8Array = new Uint8Array(0);
let handshaking = true;
let established = false;
let closed = false;
const sizes = new S.SecPkgContext_StreamSizes();
const queued: Uint8Array[] = [];
const socket = connect(port, host);

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

function sendToken(output: S.SecBufferDesc): void {
  for (const b of output.pBuffers) {
    if ((b.BufferType === S.SECBUFFER_TOKEN || b.BufferType === S.SECBUFFER_ALERT) && b.cbBuffer > 0 && b.pvBuffer !== null) socket.write(b.pvBuffer.subarray(0, b.cbBuffer));
    S.FreeContextBuffer(b.pvBuffer);
  }
}

function fail(what: string, st: number): void {
  console.error(`error ${what} ${hex(st)}`);
  closed = true;
  S.DeleteSecurityContext(hCtx);
  socket.destroy();
  process.exitCode = 1;
}

/** One ISC continuation with `pending`; false when more bytes are needed or the connection ended. */
function initialize(): boolean {
  const input = new S.SecBufferDesc([new S.SecBuffer(pending.length, S.SECBUFFER_TOKEN, pending), new S.SecBuffer(0, S.SECBUFFER_EMPTY, null)]);
  const output = new S.SecBufferDesc([new S.SecBuffer(0, S.SECBUFFER_TOKEN, null), new S.SecBuffer(0, S.SECBUFFER_ALERT, null), new S.SecBuffer(0, S.SECBUFFER_EMPTY, null)]);
  const attr = new S.ULONG();
  const st = S.InitializeSecurityContext(hCred, hCtx, serverName, fContextReq, 0, 0, input, 0, null, output, attr, null);
  if (st === S.SEC_E_INCOMPLETE_MESSAGE) return false;
  if (st === S.SEC_I_INCOMPLETE_CREDENTIALS) {
    console.error('SEC_I_INCOMPLETE_CREDENTIALS');
    fContextReq |= S.ISC_REQ_USE_SUPPLIED_CREDS; // continue without a certificate, as curl does
    return true;
  }
  if (st === S.SEC_E_OK || st === S.SEC_I_CONTINUE_NEEDED) {
    sendToken(output);
    const extra = input.pBuffers[1] as S.SecBuffer;
    pending = extra.BufferType === S.SECBUFFER_EXTRA ? pending.slice(pending.length - extra.cbBuffer) : new Uint8Array(0);
    if (st === S.SEC_E_OK && !established) {
      established = true;
      handshaking = false;
      S.QueryContextAttributes(hCtx, S.SECPKG_ATTR_STREAM_SIZES, sizes);
      const ci = new S.SecPkgContext_CipherInfo();
      S.QueryContextAttributes(hCtx, S.SECPKG_ATTR_CIPHER_INFO, ci);
      const ap = new S.SecPkgContext_ApplicationProtocol();
      S.QueryContextAttributes(hCtx, S.SECPKG_ATTR_APPLICATION_PROTOCOL, ap);
      const check = new S.SecPkgContext_CertificateValidationResult();
      S.QueryContextAttributes(hCtx, S.SECPKG_ATTR_CERT_CHECK_RESULT, check);
      console.error(
        `handshake ${ci.szCipherSuite} proto=${hex(ci.dwProtocol)} alpn=${new TextDecoder().decode(ap.ProtocolId) || '-'} attr=${hex(attr.value)} ` +
          `sizes=${sizes.cbHeader}/${sizes.cbTrailer} check=${hex(check.hrVerifyChainStatus)}`,
      );
      for (const q of queued.splice(0)) encrypt(q);
    } else if (st === S.SEC_E_OK) {
      handshaking = false;
      for (const q of queued.splice(0)) encrypt(q);
    }
    return true;
  }
  sendToken(output);
  fail('InitializeSecurityContext', st);
  return false;
}

function encrypt(data: Uint8Array): void {
  if (handshaking) {
    queued.push(data);
    return;
  }
  for (let off = 0; off < data.length; off += sizes.cbMaximumMessage) {
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
  }
}

function shutdown(): void {
  if (closed) return;
  closed = true;
  const t = new Uint8Array(4);
  new DataView(t.buffer).setUint32(0, S.SCHANNEL_SHUTDOWN, true);
  if (S.ApplyControlToken(hCtx, new S.SecBufferDesc([new S.SecBuffer(4, S.SECBUFFER_TOKEN, t)])) === S.SEC_E_OK) {
    const output = new S.SecBufferDesc([new S.SecBuffer(0, S.SECBUFFER_TOKEN, null)]);
    const st = S.InitializeSecurityContext(hCred, hCtx, serverName, fContextReq, 0, 0, null, 0, hCtx, output, new S.ULONG(), null);
    if (st === S.SEC_E_OK || st === S.SEC_I_CONTEXT_EXPIRED) sendToken(output);
  }
  S.DeleteSecurityContext(hCtx);
  socket.end();
}

function drive(): void {
  while (!closed) {
    if (handshaking) {
      if (pending.length === 0) return;
      if (!initialize()) return;
      continue;
    }
    if (pending.length === 0) return;
    const msg = new S.SecBufferDesc([new S.SecBuffer(pending.length, S.SECBUFFER_DATA, pending), new S.SecBuffer(), new S.SecBuffer(), new S.SecBuffer()]);
    const st = S.DecryptMessage(hCtx, msg, 0, null);
    if (st === S.SEC_E_INCOMPLETE_MESSAGE) return;
    const data = msg.pBuffers.find((b) => b.BufferType === S.SECBUFFER_DATA);
    const extra = msg.pBuffers.find((b) => b.BufferType === S.SECBUFFER_EXTRA);
    if (data !== undefined && data.cbBuffer > 0 && data.pvBuffer !== null) process.stdout.write(data.pvBuffer.slice(0, data.cbBuffer));
    pending = extra !== undefined && extra.pvBuffer !== null ? extra.pvBuffer.slice(0, extra.cbBuffer) : new Uint8Array(0);
    if (st === S.SEC_E_OK) continue;
    if (st === S.SEC_I_RENEGOTIATE) {
      console.error('SEC_I_RENEGOTIATE');
      handshaking = true;
      if (!initialize()) return; // ISC with the remaining bytes (possibly none), as Windows wants
      continue;
    }
    if (st === S.SEC_I_CONTEXT_EXPIRED) {
      console.error('SEC_I_CONTEXT_EXPIRED');
      shutdown();
      return;
    }
    fail('DecryptMessage', st);
  }
}

socket.on('connect', () => {
  const output = new S.SecBufferDesc([new S.SecBuffer(0, S.SECBUFFER_TOKEN, null), new S.SecBuffer(0, S.SECBUFFER_ALERT, null), new S.SecBuffer(0, S.SECBUFFER_EMPTY, null)]);
  let input: S.SecBufferDesc | null = null;
  if (alpn !== undefined) {
    const list = S.buildApplicationProtocols(alpn.split(','));
    input = new S.SecBufferDesc([new S.SecBuffer(list.length, S.SECBUFFER_APPLICATION_PROTOCOLS, list)]);
  }
  const st = S.InitializeSecurityContext(hCred, null, serverName, fContextReq, 0, 0, input, 0, hCtx, output, new S.ULONG(), null);
  if (st !== S.SEC_I_CONTINUE_NEEDED) return fail('InitializeSecurityContext', st);
  sendToken(output);
  process.stdin.on('data', (d: Buffer) => encrypt(new Uint8Array(d.buffer, d.byteOffset, d.byteLength)));
  process.stdin.on('end', () => {
    if (handshaking) queued.push(new Uint8Array(0));
    setTimeout(shutdown, 200);
  });
});
socket.on('data', (chunk: Buffer) => {
  pending = concat(pending, new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  drive();
});
socket.on('error', (e) => {
  if (!closed) console.error(`error socket ${e.message}`);
});
socket.on('close', () => process.exit());
