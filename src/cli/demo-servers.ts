/**
 * The two servers `sspi-tls demo` runs before its HTTPS part, each serving Node's own TLS client (OpenSSL) over a real
 * TCP connection on 127.0.0.1:
 *
 *  1. an SSPI server: the Schannel loop a Windows program writes (AcquireCredentialsHandle, AcceptSecurityContext
 *     until SEC_E_OK with SECBUFFER_EXTRA / SEC_E_INCOMPLETE_MESSAGE handled, QueryContextAttributes,
 *     DecryptMessage, EncryptMessage, ApplyControlToken(SCHANNEL_SHUTDOWN) + AcceptSecurityContext for
 *     close_notify), every call printed with its status;
 *  2. the idiomatic API: `new TlsServer(...).accept()` fed the socket's bytes with `receive()`, its output written
 *     with `takeOutput()`, the handshake printed from its trace.
 *
 * Each echoes one line upper-cased; the client checks the answer. Nothing here is needed by anything but the demo.
 */
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { TlsServer } from '../api/connection.js';
import type { TraceEvent } from '../api/types.js';
import * as S from '../sspi/index.js';
import { Printer } from './output.js';

/** The certificate both servers use and the client trusts. */
export interface DemoCertificate {
  readonly certPem: string;
  readonly keyPem: string;
}

const STATUS_NAMES: ReadonlyMap<number, string> = new Map([
  [S.SEC_E_OK, 'SEC_E_OK'],
  [S.SEC_I_CONTINUE_NEEDED, 'SEC_I_CONTINUE_NEEDED'],
  [S.SEC_E_INCOMPLETE_MESSAGE, 'SEC_E_INCOMPLETE_MESSAGE'],
  [S.SEC_I_CONTEXT_EXPIRED, 'SEC_I_CONTEXT_EXPIRED'],
]);
const statusName = (st: number): string => STATUS_NAMES.get(st) ?? `0x${(st >>> 0).toString(16).padStart(8, '0')}`;

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

const upper = (bytes: Uint8Array): Uint8Array => new TextEncoder().encode(new TextDecoder().decode(bytes).toUpperCase());

/** Listen on 127.0.0.1, port 0. */
async function listen(onSocket: (s: Socket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer(onSocket);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port };
}

/** Node's own TLS client: send one line, resolve with the answer (bounded). */
async function nodeClient(port: number, ca: string, line: string, p: Printer): Promise<string> {
  const sock = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', ca });
  const timer = setTimeout(() => sock.destroy(new Error('no answer within 10 s')), 10_000);
  try {
    await once(sock, 'secureConnect');
    p.line(`  node:tls client: ${sock.getProtocol() ?? '-'} ${sock.getCipher().standardName}, authorized=${sock.authorized}, sends "${line}"`, {});
    sock.write(line);
    const parts: Buffer[] = [];
    sock.on('data', (c: Buffer) => parts.push(c));
    await once(sock, 'end');
    return Buffer.concat(parts).toString('utf8');
  } finally {
    clearTimeout(timer);
    sock.destroy();
  }
}

/** 1. The Schannel server loop, written with the SSPI functions only. Resolves true when the client got its answer. */
export async function sspiServerDemo(p: Printer, cert: DemoCertificate): Promise<boolean> {
  const sch = new S.SCH_CREDENTIALS();
  sch.cCreds = 1;
  sch.paCred = [S.CertContext.fromPem(cert.certPem, cert.keyPem)];
  const hCred = new S.CredHandle();
  const st0 = S.AcquireCredentialsHandle(null, S.UNISP_NAME, S.SECPKG_CRED_INBOUND, null, sch, null, null, hCred, new S.TimeStamp());
  p.line(`  AcquireCredentialsHandle(UNISP_NAME, SECPKG_CRED_INBOUND) -> ${statusName(st0)}`, {});
  if (st0 !== S.SEC_E_OK) return false;
  const fContextReq =
    S.ASC_REQ_SEQUENCE_DETECT | S.ASC_REQ_REPLAY_DETECT | S.ASC_REQ_CONFIDENTIALITY | S.ASC_REQ_EXTENDED_ERROR | S.ASC_REQ_ALLOCATE_MEMORY | S.ASC_REQ_STREAM;

  const serve = (socket: Socket): void => {
    const hCtx = new S.CtxtHandle();
    let haveCtx = false;
    let established = false;
    let finished = false;
    let pending: Uint8Array = new Uint8Array(0);
    const sizes = new S.SecPkgContext_StreamSizes();

    const accept = (): boolean => {
      const input = new S.SecBufferDesc([new S.SecBuffer(pending.length, S.SECBUFFER_TOKEN, pending), new S.SecBuffer(0, S.SECBUFFER_EMPTY, null)]);
      const output = new S.SecBufferDesc([new S.SecBuffer(0, S.SECBUFFER_TOKEN, null)]);
      const st = S.AcceptSecurityContext(hCred, haveCtx ? hCtx : null, input, fContextReq, 0, hCtx, output, new S.ULONG(), new S.TimeStamp());
      const tok = output.pBuffers[0] as S.SecBuffer;
      const extra = input.pBuffers[1] as S.SecBuffer;
      const note =
        st === S.SEC_E_INCOMPLETE_MESSAGE
          ? `, SECBUFFER_MISSING ${extra.cbBuffer} bytes`
          : `, output token ${tok.cbBuffer} bytes${extra.BufferType === S.SECBUFFER_EXTRA ? `, SECBUFFER_EXTRA ${extra.cbBuffer}` : ''}`;
      p.line(`  AcceptSecurityContext(input ${pending.length} bytes) -> ${statusName(st)}${note}`, {});
      if (st === S.SEC_E_INCOMPLETE_MESSAGE) return false;
      if (st !== S.SEC_E_OK && st !== S.SEC_I_CONTINUE_NEEDED) {
        if (tok.cbBuffer > 0 && tok.pvBuffer !== null) socket.write(tok.pvBuffer.subarray(0, tok.cbBuffer));
        socket.destroy();
        return false;
      }
      haveCtx = true;
      if (tok.cbBuffer > 0 && tok.pvBuffer !== null) socket.write(tok.pvBuffer.subarray(0, tok.cbBuffer));
      S.FreeContextBuffer(tok.pvBuffer);
      pending = extra.BufferType === S.SECBUFFER_EXTRA ? pending.slice(pending.length - extra.cbBuffer) : new Uint8Array(0);
      if (st === S.SEC_E_OK) {
        established = true;
        S.QueryContextAttributes(hCtx, S.SECPKG_ATTR_STREAM_SIZES, sizes);
        const ci = new S.SecPkgContext_CipherInfo();
        S.QueryContextAttributes(hCtx, S.SECPKG_ATTR_CIPHER_INFO, ci);
        p.line(`  QueryContextAttributes(SECPKG_ATTR_CIPHER_INFO) -> ${ci.szCipherSuite}, protocol 0x${ci.dwProtocol.toString(16)}`, {});
        p.line(`  QueryContextAttributes(SECPKG_ATTR_STREAM_SIZES) -> header ${sizes.cbHeader}, trailer ${sizes.cbTrailer}, max message ${sizes.cbMaximumMessage}`, {});
      }
      return true;
    };

    const encrypt = (data: Uint8Array): void => {
      const buf = new Uint8Array(sizes.cbHeader + data.length + sizes.cbTrailer);
      buf.set(data, sizes.cbHeader);
      const msg = new S.SecBufferDesc([
        new S.SecBuffer(sizes.cbHeader, S.SECBUFFER_STREAM_HEADER, buf.subarray(0, sizes.cbHeader)),
        new S.SecBuffer(data.length, S.SECBUFFER_DATA, buf.subarray(sizes.cbHeader, sizes.cbHeader + data.length)),
        new S.SecBuffer(sizes.cbTrailer, S.SECBUFFER_STREAM_TRAILER, buf.subarray(sizes.cbHeader + data.length)),
        new S.SecBuffer(0, S.SECBUFFER_EMPTY, null),
      ]);
      const st = S.EncryptMessage(hCtx, 0, msg, 0);
      const [h, d, t] = msg.pBuffers as [S.SecBuffer, S.SecBuffer, S.SecBuffer];
      p.line(`  EncryptMessage(${data.length} bytes) -> ${statusName(st)}, record ${h.cbBuffer + d.cbBuffer + t.cbBuffer} bytes`, {});
      if (st === S.SEC_E_OK) socket.write(buf.subarray(0, h.cbBuffer + d.cbBuffer + t.cbBuffer));
    };

    const shutdown = (): void => {
      const token = new Uint8Array(4);
      new DataView(token.buffer).setUint32(0, S.SCHANNEL_SHUTDOWN, true);
      const st1 = S.ApplyControlToken(hCtx, new S.SecBufferDesc([new S.SecBuffer(4, S.SECBUFFER_TOKEN, token)]));
      const output = new S.SecBufferDesc([new S.SecBuffer(0, S.SECBUFFER_TOKEN, null)]);
      const st2 = S.AcceptSecurityContext(hCred, hCtx, null, fContextReq, 0, hCtx, output, new S.ULONG(), null);
      const tok = output.pBuffers[0] as S.SecBuffer;
      p.line(`  ApplyControlToken(SCHANNEL_SHUTDOWN) -> ${statusName(st1)}; AcceptSecurityContext -> ${statusName(st2)}, close_notify ${tok.cbBuffer} bytes`, {});
      if (tok.cbBuffer > 0 && tok.pvBuffer !== null) socket.write(tok.pvBuffer.subarray(0, tok.cbBuffer));
      S.FreeContextBuffer(tok.pvBuffer);
      S.DeleteSecurityContext(hCtx);
      finished = true;
      socket.end();
    };

    socket.on('data', (chunk: Buffer) => {
      if (finished) return; // the client's close_notify after ours: the context is gone
      pending = concat(pending, chunk);
      while (!established) if (!accept() || pending.length === 0) return;
      while (pending.length > 0) {
        const msg = new S.SecBufferDesc([new S.SecBuffer(pending.length, S.SECBUFFER_DATA, pending), new S.SecBuffer(), new S.SecBuffer(), new S.SecBuffer()]);
        const st = S.DecryptMessage(hCtx, msg, 0, null);
        if (st === S.SEC_E_INCOMPLETE_MESSAGE) return;
        const bufs = msg.pBuffers as S.SecBuffer[];
        const data = bufs.find((b) => b.BufferType === S.SECBUFFER_DATA);
        const extra = bufs.find((b) => b.BufferType === S.SECBUFFER_EXTRA);
        p.line(`  DecryptMessage(${pending.length} bytes) -> ${statusName(st)}, SECBUFFER_DATA ${data?.cbBuffer ?? 0} bytes`, {});
        if (st !== S.SEC_E_OK) return void socket.destroy();
        const plain = data?.pvBuffer?.slice(0, data.cbBuffer) ?? new Uint8Array(0);
        pending = extra !== undefined ? pending.slice(pending.length - extra.cbBuffer) : new Uint8Array(0);
        if (plain.length > 0) {
          encrypt(upper(plain));
          shutdown();
          return;
        }
      }
    });
    socket.on('error', () => socket.destroy());
  };

  const { server, port } = await listen(serve);
  try {
    const answer = await nodeClient(port, cert.certPem, 'hello, schannel', p);
    p.line(`  node:tls client got "${answer}"`, {});
    return answer === 'HELLO, SCHANNEL';
  } finally {
    server.close();
    S.FreeCredentialsHandle(hCred);
  }
}

/** 2. The idiomatic API over a socket: receive() in, takeOutput() out. Resolves true when the client got its answer. */
export async function apiServerDemo(p: Printer, cert: DemoCertificate): Promise<boolean> {
  const trace: TraceEvent[] = [];
  const tls = new TlsServer({ certificates: [{ cert: cert.certPem, key: cert.keyPem }], trace: (e) => void trace.push(e) });
  const serve = (socket: Socket): void => {
    const conn = tls.accept();
    let done = false;
    const flush = (): void => {
      if (conn.hasOutput) socket.write(conn.takeOutput());
    };
    conn.on('data', (bytes: Uint8Array) => {
      conn.write(upper(bytes));
      conn.close();
      done = true;
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        conn.receive(chunk);
      } catch {
        flush();
        return void socket.destroy();
      }
      flush();
      if (done) socket.end();
    });
    socket.on('error', () => socket.destroy());
  };
  const { server, port } = await listen(serve);
  try {
    const answer = await nodeClient(port, cert.certPem, 'hello, tlsserver', p);
    p.line('  server trace (TlsServer option `trace`):', {});
    for (const e of trace) p.trace(e, 'server');
    p.line(`  node:tls client got "${answer}"`, {});
    return answer === 'HELLO, TLSSERVER';
  } finally {
    server.close();
  }
}
