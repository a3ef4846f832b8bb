/**
 * The Windows SDK Schannel sample server (Platform SDK Samples\Security\SSPI\SSL\WebServer, webserver.c), its loop
 * ported in our own words: one IoBuffer of IO_BUFFER_SIZE bytes per connection; SSPINegotiateLoop calls
 * AcceptSecurityContext with [TOKEN = IoBuffer, EMPTY] and one TOKEN output under
 * ASC_REQ_SEQUENCE_DETECT | REPLAY_DETECT | CONFIDENTIALITY | EXTENDED_ERROR | ALLOCATE_MEMORY | STREAM
 * (+ MUTUAL_AUTH for client authentication), reads again only on SEC_E_INCOMPLETE_MESSAGE or an empty buffer
 * (fDoRead), moves SECBUFFER_EXTRA to the front; then the HTTP request is read with DecryptMessage
 * [DATA, EMPTY, EMPTY, EMPTY], answered with EncryptMessage [HEADER, DATA, TRAILER, EMPTY], and the connection is
 * closed with ApplyControlToken(SCHANNEL_SHUTDOWN) + AcceptSecurityContext for the close_notify.
 */
import * as S from '../../src/sspi/index.js';
import type { Wire } from './wire.js';

const IO_BUFFER_SIZE = 0x10000;

export interface WebServerResult {
  readonly request: string;
  readonly resumed: boolean;
  readonly protocol: number;
  readonly ascCalls: number;
  readonly clientCertificate: boolean;
}

/** One connection of webserver.c: negotiate, read the request, answer, close. Throws with the failing status. */
export async function serveOne(wire: Wire, hCred: S.CredHandle, clientAuth = false): Promise<WebServerResult> {
  const hContext = new S.CtxtHandle();
  let io = new Uint8Array(IO_BUFFER_SIZE);
  let cbIoBuffer = 0;
  let ascCalls = 0;
  const flags =
    S.ASC_REQ_SEQUENCE_DETECT | S.ASC_REQ_REPLAY_DETECT | S.ASC_REQ_CONFIDENTIALITY | S.ASC_REQ_EXTENDED_ERROR | S.ASC_REQ_ALLOCATE_MEMORY | S.ASC_REQ_STREAM | (clientAuth ? S.ASC_REQ_MUTUAL_AUTH : 0);
  const recvInto = async (): Promise<void> => {
    const got = await wire.recv(IO_BUFFER_SIZE - cbIoBuffer);
    if (got.length === 0) throw new Error('client disconnected');
    io.set(got, cbIoBuffer);
    cbIoBuffer += got.length;
  };

  // SSPINegotiateLoop
  let fDoRead = true;
  let fInitContext = true;
  let scRet: number = S.SEC_I_CONTINUE_NEEDED;
  while (scRet === S.SEC_I_CONTINUE_NEEDED || scRet === S.SEC_E_INCOMPLETE_MESSAGE || scRet === S.SEC_I_INCOMPLETE_CREDENTIALS) {
    if (cbIoBuffer === 0 || scRet === S.SEC_E_INCOMPLETE_MESSAGE) {
      if (fDoRead) await recvInto();
      else fDoRead = true;
    }
    const InBuffers = [new S.SecBuffer(cbIoBuffer, S.SECBUFFER_TOKEN, io), new S.SecBuffer(0, S.SECBUFFER_EMPTY, null)];
    const OutBuffers = [new S.SecBuffer(0, S.SECBUFFER_TOKEN, null)];
    const attrs = new S.ULONG();
    ascCalls++;
    scRet = S.AcceptSecurityContext(hCred, fInitContext ? null : hContext, new S.SecBufferDesc(InBuffers), flags, S.SECURITY_NATIVE_DREP, fInitContext ? hContext : null, new S.SecBufferDesc(OutBuffers), attrs, new S.TimeStamp());
    const failedWithAlert = ((scRet >>> 0) & 0x80000000) !== 0 && (attrs.value & S.ASC_RET_EXTENDED_ERROR) !== 0;
    if (scRet === S.SEC_E_OK || scRet === S.SEC_I_CONTINUE_NEEDED || failedWithAlert) {
      const out = OutBuffers[0] as S.SecBuffer;
      if (out.cbBuffer !== 0 && out.pvBuffer !== null) {
        wire.send(out.pvBuffer.subarray(0, out.cbBuffer));
        S.FreeContextBuffer(out.pvBuffer);
      }
    }
    if (scRet === S.SEC_E_OK || scRet === S.SEC_I_CONTINUE_NEEDED) fInitContext = false;
    if (scRet === S.SEC_E_OK) {
      const extra = InBuffers[1] as S.SecBuffer;
      if (extra.BufferType === S.SECBUFFER_EXTRA) {
        io.copyWithin(0, cbIoBuffer - extra.cbBuffer, cbIoBuffer);
        cbIoBuffer = extra.cbBuffer;
      } else cbIoBuffer = 0;
      break;
    }
    if (((scRet >>> 0) & 0x80000000) !== 0 && scRet !== S.SEC_E_INCOMPLETE_MESSAGE) throw new Error(`AcceptSecurityContext 0x${(scRet >>> 0).toString(16)}`);
    if (scRet !== S.SEC_E_INCOMPLETE_MESSAGE) {
      const extra = InBuffers[1] as S.SecBuffer;
      if (extra.BufferType === S.SECBUFFER_EXTRA) {
        io.copyWithin(0, cbIoBuffer - extra.cbBuffer, cbIoBuffer);
        cbIoBuffer = extra.cbBuffer;
        fDoRead = false;
      } else cbIoBuffer = 0;
    }
  }

  const sizes = new S.SecPkgContext_StreamSizes();
  if (S.QueryContextAttributes(hContext, S.SECPKG_ATTR_STREAM_SIZES, sizes) !== S.SEC_E_OK) throw new Error('STREAM_SIZES');
  const clientCertificate = S.QueryContextAttributes(hContext, S.SECPKG_ATTR_REMOTE_CERT_CONTEXT, new S.Ref<S.CertContext | null>(null)) === S.SEC_E_OK;

  // WebServer's request read: DecryptMessage until the blank line.
  let request = '';
  while (!request.includes('\r\n\r\n')) {
    if (cbIoBuffer === 0) await recvInto();
    const b = [new S.SecBuffer(cbIoBuffer, S.SECBUFFER_DATA, io), new S.SecBuffer(), new S.SecBuffer(), new S.SecBuffer()];
    const st = S.DecryptMessage(hContext, new S.SecBufferDesc(b), 0, null);
    if (st === S.SEC_E_INCOMPLETE_MESSAGE) {
      await recvInto();
      continue;
    }
    if (st !== S.SEC_E_OK && st !== S.SEC_I_RENEGOTIATE) throw new Error(`DecryptMessage 0x${(st >>> 0).toString(16)}`);
    const data = b.find((x) => x.BufferType === S.SECBUFFER_DATA);
    if (data !== undefined && data.cbBuffer > 0) request += new TextDecoder().decode((data.pvBuffer as Uint8Array).subarray(0, data.cbBuffer));
    const extra = b.find((x) => x.BufferType === S.SECBUFFER_EXTRA);
    if (extra !== undefined) {
      const rest = (extra.pvBuffer as Uint8Array).slice(0, extra.cbBuffer);
      io = new Uint8Array(IO_BUFFER_SIZE);
      io.set(rest);
      cbIoBuffer = rest.length;
    } else cbIoBuffer = 0;
    if (st === S.SEC_I_RENEGOTIATE) {
      // The sample hands post-handshake messages back to AcceptSecurityContext.
      const o = new S.SecBufferDesc([new S.SecBuffer(0, S.SECBUFFER_TOKEN, null)]);
      const inp = new S.SecBufferDesc([new S.SecBuffer(cbIoBuffer, S.SECBUFFER_TOKEN, io), new S.SecBuffer()]);
      const r = S.AcceptSecurityContext(hCred, hContext, inp, flags, 0, null, o, new S.ULONG(), null);
      if (r !== S.SEC_E_OK) throw new Error(`AcceptSecurityContext (renegotiate) 0x${(r >>> 0).toString(16)}`);
      const t = o.pBuffers[0] as S.SecBuffer;
      if (t.cbBuffer > 0 && t.pvBuffer !== null) wire.send(t.pvBuffer.subarray(0, t.cbBuffer));
    }
  }

  // The response page.
  const si = new S.SecPkgContext_SessionInfo();
  S.QueryContextAttributes(hContext, S.SECPKG_ATTR_SESSION_INFO, si);
  const ci = new S.SecPkgContext_ConnectionInfo();
  S.QueryContextAttributes(hContext, S.SECPKG_ATTR_CONNECTION_INFO, ci);
  const resumed = (si.dwFlags & S.SSL_SESSION_RECONNECT) !== 0;
  const body = `<HTML><BODY>sspi-tls webserver.c port: reconnect=${resumed ? 1 : 0} protocol=0x${ci.dwProtocol.toString(16)} clientcert=${clientCertificate ? 1 : 0}</BODY></HTML>\r\n`;
  const page = new TextEncoder().encode(`HTTP/1.0 200 OK\r\nContent-Type: text/html\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
  const msg = new Uint8Array(sizes.cbHeader + page.length + sizes.cbTrailer);
  msg.set(page, sizes.cbHeader);
  const eb = [
    new S.SecBuffer(sizes.cbHeader, S.SECBUFFER_STREAM_HEADER, msg.subarray(0, sizes.cbHeader)),
    new S.SecBuffer(page.length, S.SECBUFFER_DATA, msg.subarray(sizes.cbHeader, sizes.cbHeader + page.length)),
    new S.SecBuffer(sizes.cbTrailer, S.SECBUFFER_STREAM_TRAILER, msg.subarray(sizes.cbHeader + page.length)),
    new S.SecBuffer(0, S.SECBUFFER_EMPTY, null),
  ];
  const est = S.EncryptMessage(hContext, 0, new S.SecBufferDesc(eb), 0);
  if (est !== S.SEC_E_OK) throw new Error(`EncryptMessage 0x${(est >>> 0).toString(16)}`);
  wire.send(msg.subarray(0, (eb[0] as S.SecBuffer).cbBuffer + (eb[1] as S.SecBuffer).cbBuffer + (eb[2] as S.SecBuffer).cbBuffer));

  // DisconnectFromClient: SCHANNEL_SHUTDOWN, then ASC builds the close_notify.
  const sd = S.ApplyControlToken(hContext, new S.SecBufferDesc([new S.SecBuffer(4, S.SECBUFFER_TOKEN, Uint8Array.of(1, 0, 0, 0))]));
  if (sd !== S.SEC_E_OK) throw new Error(`ApplyControlToken 0x${(sd >>> 0).toString(16)}`);
  const out = new S.SecBufferDesc([new S.SecBuffer(0, S.SECBUFFER_TOKEN, null)]);
  const cs = S.AcceptSecurityContext(hCred, hContext, null, flags, S.SECURITY_NATIVE_DREP, null, out, new S.ULONG(), null);
  if (cs !== S.SEC_E_OK) throw new Error(`AcceptSecurityContext (shutdown) 0x${(cs >>> 0).toString(16)}`);
  const cn = out.pBuffers[0] as S.SecBuffer;
  if (cn.pvBuffer !== null && cn.cbBuffer > 0) wire.send(cn.pvBuffer.subarray(0, cn.cbBuffer));
  S.FreeContextBuffer(cn.pvBuffer);
  S.DeleteSecurityContext(hContext);
  wire.end();
  return { request, resumed, protocol: ci.dwProtocol, ascCalls, clientCertificate };
}
