/**
 * .NET's SslStream on Windows (dotnet/runtime src/libraries/System.Net.Security/src/System/Net/Security/
 * SslStreamPal.Windows.cs and the SslStream loop above it), its Schannel calls ported in our own words:
 *  - AcquireCredentialsHandleSchCredentials: client flags MANUAL_CRED_VALIDATION | NO_DEFAULT_CREDS |
 *    SEND_AUX_RECORD | USE_STRONG_CRYPTO (+ REVOCATION_CHECK_END_CERT | IGNORE_NO_REVOCATION_CHECK |
 *    IGNORE_REVOCATION_OFFLINE unless revocation is off), dwSessionLifespan = -1 when AllowTlsResume is false;
 *    server flags SEND_AUX_RECORD | NO_SYSTEM_MAPPER | USE_STRONG_CRYPTO (+ DISABLE_RECONNECTS when AllowTlsResume
 *    is false); TLS_PARAMETERS.grbitDisabledProtocols = protocols ^ 0xFFFFFFFF; CRYPTO_SETTINGS SCH_RSA_PKCS_PAD /
 *    SCH_RSA_PSS_PAD (CertSig) when those paddings are not allowed.
 *  - InitializeSecurityContext: REPLAY|SEQUENCE|CONFIDENTIALITY|ALLOCATE_MEMORY|MANUAL_CRED_VALIDATION, input
 *    [TOKEN (empty on the first call), EMPTY] (+ APPLICATION_PROTOCOLS on the first), one TOKEN output; after the
 *    first call, with AllowTlsResume false, ApplyControlToken(SCHANNEL_SESSION, SSL_SESSION_DISABLE_RECONNECTS).
 *  - AcceptSecurityContext: the same flags + ASC_REQ_STREAM | ASC_REQ_EXTENDED_ERROR (+ MUTUAL_AUTH when a client
 *    certificate is required); Renegotiate = ASC with empty input (NegotiateClientCertificateAsync).
 *  - EncryptMessage [HEADER, DATA, TRAILER, EMPTY]; DecryptMessage [DATA, EMPTY, EMPTY, EMPTY], reading the DATA
 *    buffer on success and the EXTRA buffer otherwise; SEC_I_RENEGOTIATE is answered through ISC/ASC with the
 *    remaining bytes as input.
 *  - The certificate of the peer is checked by SslStream itself (peer-chain.ts).
 */
import * as S from '../../src/sspi/index.js';
import { checkPeer } from './peer-chain.js';
import type { Wire } from './wire.js';

export class DotnetError extends Error {
  readonly status: number;
  constructor(message: string, status: number) {
    super(`${message} (0x${(status >>> 0).toString(16)})`);
    this.status = status;
  }
}

export interface SslAuthenticationOptions {
  readonly isServer: boolean;
  readonly targetHost?: string;
  /** SslProtocols as SP_PROT_* bits of our side (0 = system default). */
  readonly protocols?: number;
  readonly allowTlsResume?: boolean;
  readonly allowRsaPkcs1Padding?: boolean;
  readonly allowRsaPssPadding?: boolean;
  readonly checkRevocation?: boolean;
  readonly certificate?: S.CertContext;
  readonly remoteCertRequired?: boolean;
  readonly alpn?: readonly string[];
  /** The CA SslStream's validation callback trusts (RemoteCertificateValidationCallback / custom trust). */
  readonly trustedCaPem?: string;
}

/** RFC 8446 certificate_required (116): no TLS1_ALERT_* name in schannel.h. */
const CERTIFICATE_REQUIRED = 116;

const RequiredFlags = S.ISC_REQ_REPLAY_DETECT | S.ISC_REQ_SEQUENCE_DETECT | S.ISC_REQ_CONFIDENTIALITY | S.ISC_REQ_ALLOCATE_MEMORY;
const ServerRequiredFlags = RequiredFlags | S.ASC_REQ_STREAM | S.ASC_REQ_EXTENDED_ERROR;

/** SslStreamPal.AcquireCredentialsHandleSchCredentials. */
export function acquireCredentials(o: SslAuthenticationOptions): S.CredHandle {
  const allowTlsResume = o.allowTlsResume ?? true;
  const c = new S.SCH_CREDENTIALS();
  let flags: number;
  let direction: number;
  if (o.isServer) {
    direction = S.SECPKG_CRED_INBOUND;
    flags = S.SCH_SEND_AUX_RECORD | S.SCH_CRED_NO_SYSTEM_MAPPER;
    if (!allowTlsResume) flags |= S.SCH_CRED_DISABLE_RECONNECTS;
  } else {
    direction = S.SECPKG_CRED_OUTBOUND;
    flags = S.SCH_CRED_MANUAL_CRED_VALIDATION | S.SCH_CRED_NO_DEFAULT_CREDS | S.SCH_SEND_AUX_RECORD;
    if (o.checkRevocation ?? true) flags |= S.SCH_CRED_REVOCATION_CHECK_END_CERT | S.SCH_CRED_IGNORE_NO_REVOCATION_CHECK | S.SCH_CRED_IGNORE_REVOCATION_OFFLINE;
  }
  flags |= S.SCH_USE_STRONG_CRYPTO;
  c.dwFlags = flags >>> 0;
  if (!o.isServer && !allowTlsResume) c.dwSessionLifespan = 0xffffffff;
  if (o.certificate !== undefined) {
    c.cCreds = 1;
    c.paCred = [o.certificate];
  }
  const tp = new S.TLS_PARAMETERS();
  if ((o.protocols ?? 0) !== 0) tp.grbitDisabledProtocols = ((o.protocols as number) ^ 0xffffffff) >>> 0;
  const crypto: S.CRYPTO_SETTINGS[] = [];
  for (const [allowed, alg] of [
    [o.allowRsaPkcs1Padding ?? true, 'SCH_RSA_PKCS_PAD'],
    [o.allowRsaPssPadding ?? true, 'SCH_RSA_PSS_PAD'],
  ] as const) {
    if (allowed) continue;
    const cs = new S.CRYPTO_SETTINGS();
    cs.eAlgorithmUsage = S.TlsParametersCngAlgUsageCertSig;
    cs.strCngAlgId = alg;
    crypto.push(cs);
  }
  tp.cDisabledCrypto = crypto.length;
  tp.pDisabledCrypto = crypto;
  c.cTlsParameters = 1;
  c.pTlsParameters = [tp];
  const h = new S.CredHandle();
  const st = S.AcquireCredentialsHandle(null, 'Microsoft Unified Security Protocol Provider', direction, null, c, null, null, h, null);
  if (st !== S.SEC_E_OK) throw new DotnetError('net_auth_SSPI', st);
  return h;
}

function sessionToken(): S.SecBufferDesc {
  const b = new Uint8Array(8);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, S.SCHANNEL_SESSION, true);
  dv.setUint32(4, S.SSL_SESSION_DISABLE_RECONNECTS, true);
  return new S.SecBufferDesc([new S.SecBuffer(8, S.SECBUFFER_TOKEN, b)]);
}

/** SslStream over a Wire: handshake, Read/Write, renegotiation and shutdown as SslStream drives SslStreamPal. */
export class DotnetSslStream {
  readonly o: SslAuthenticationOptions;
  readonly cred: S.CredHandle;
  readonly ctx = new S.CtxtHandle();
  private hasContext = false;
  private readonly wire: Wire;
  /** SslStream's _buffer: received, not yet consumed bytes. */
  private buffer: Uint8Array = new Uint8Array(0);
  private sizes = new S.SecPkgContext_StreamSizes();
  private decrypted: Uint8Array[] = [];
  /** SEC_I_RENEGOTIATE rounds seen. */
  renegotiations = 0;
  closeNotify = false;

  constructor(wire: Wire, o: SslAuthenticationOptions, cred?: S.CredHandle) {
    this.wire = wire;
    this.o = o;
    this.cred = cred ?? acquireCredentials(o);
  }

  /** SslStreamPal.InitializeSecurityContext / AcceptSecurityContext for one input buffer; returns the status. */
  private step(input: Uint8Array): { status: number; consumed: number; output: Uint8Array } {
    const inBufs = [new S.SecBuffer(input.length, S.SECBUFFER_TOKEN, input), new S.SecBuffer(0, S.SECBUFFER_EMPTY, null)];
    if (!this.hasContext && this.o.alpn !== undefined && this.o.alpn.length > 0) {
      const a = S.buildApplicationProtocols(this.o.alpn);
      inBufs.push(new S.SecBuffer(a.length, S.SECBUFFER_APPLICATION_PROTOCOLS, a));
    }
    const input2 = new S.SecBufferDesc(inBufs);
    const out = new S.SecBufferDesc([new S.SecBuffer(0, S.SECBUFFER_TOKEN, null)]);
    const attrs = new S.ULONG();
    const newContext = !this.hasContext;
    let status: number;
    if (this.o.isServer) {
      const flags = ServerRequiredFlags | (this.o.remoteCertRequired === true ? S.ASC_REQ_MUTUAL_AUTH : 0);
      status = S.AcceptSecurityContext(this.cred, this.hasContext ? this.ctx : null, input2, flags, S.SECURITY_NATIVE_DREP, this.ctx, out, attrs, null);
    } else {
      status = S.InitializeSecurityContext(this.cred, this.hasContext ? this.ctx : null, this.o.targetHost ?? null, RequiredFlags | S.ISC_REQ_MANUAL_CRED_VALIDATION, 0, S.SECURITY_NATIVE_DREP, input2, 0, this.ctx, out, attrs, null);
      if (newContext && status === S.SEC_I_CONTINUE_NEEDED && !(this.o.allowTlsResume ?? true)) {
        const r = S.ApplyControlToken(this.ctx, sessionToken());
        if (r !== S.SEC_E_OK) status = r;
      }
    }
    if (status === S.SEC_E_OK || status === S.SEC_I_CONTINUE_NEEDED || status === S.SEC_I_INCOMPLETE_CREDENTIALS) this.hasContext = true;
    const extra = inBufs[1] as S.SecBuffer;
    const consumed = input.length - (extra.BufferType === S.SECBUFFER_EXTRA ? extra.cbBuffer : 0);
    const tok = out.pBuffers[0] as S.SecBuffer;
    const output = tok.pvBuffer !== null ? tok.pvBuffer.slice(0, tok.cbBuffer) : new Uint8Array(0);
    S.FreeContextBuffer(tok.pvBuffer);
    return { status, consumed, output };
  }

  private async fill(): Promise<boolean> {
    const got = await this.wire.recv(16 * 1024 + 512);
    if (got.length === 0) return false;
    const b = new Uint8Array(this.buffer.length + got.length);
    b.set(this.buffer);
    b.set(got, this.buffer.length);
    this.buffer = b;
    return true;
  }

  /** SslStream.ForceAuthenticationAsync: the client sends first; frames are fed as they complete. */
  async authenticate(): Promise<void> {
    if (!this.o.isServer) {
      const r = this.step(new Uint8Array(0));
      if (r.status !== S.SEC_I_CONTINUE_NEEDED) throw new DotnetError('handshake', r.status);
      this.wire.send(r.output);
    }
    for (let i = 0; i < 100_000; i++) {
      if (this.buffer.length === 0 && !(await this.fill())) throw new DotnetError('net_io_eof', 0);
      const r = this.step(this.buffer);
      if (r.status === S.SEC_E_INCOMPLETE_MESSAGE) {
        if (!(await this.fill())) throw new DotnetError('net_io_eof', 0);
        continue;
      }
      this.wire.send(r.output);
      this.buffer = this.buffer.slice(r.consumed);
      if (r.status === S.SEC_I_CONTINUE_NEEDED) continue;
      if (r.status !== S.SEC_E_OK) throw new DotnetError('AuthenticationException', r.status);
      S.QueryContextAttributes(this.ctx, S.SECPKG_ATTR_STREAM_SIZES, this.sizes);
      this.verifyRemoteCertificate();
      return;
    }
  }

  /** SslStream.VerifyRemoteCertificate: clients always check the server; servers when a certificate is required. */
  private verifyRemoteCertificate(): void {
    if (this.o.isServer && this.o.remoteCertRequired !== true) return;
    const r = checkPeer(this.ctx, this.o.trustedCaPem ?? '', this.o.isServer ? null : (this.o.targetHost ?? null));
    if (r === 'ok') return;
    // RemoteCertificateNotAvailable / ChainErrors / NameMismatch: SslStream sends an alert and fails.
    const alert = new Uint8Array(12);
    const dv = new DataView(alert.buffer);
    dv.setUint32(0, S.SCHANNEL_ALERT, true);
    dv.setUint32(4, S.TLS1_ALERT_FATAL, true);
    dv.setUint32(8, typeof r === 'object' ? CERTIFICATE_REQUIRED : S.TLS1_ALERT_BAD_CERTIFICATE, true);
    S.ApplyControlToken(this.ctx, new S.SecBufferDesc([new S.SecBuffer(12, S.SECBUFFER_TOKEN, alert)]));
    this.wire.send(this.step(new Uint8Array(0)).output);
    throw new DotnetError(typeof r === 'object' ? 'RemoteCertificateNotAvailable' : `RemoteCertificateChainErrors (${r})`, typeof r === 'object' ? r.noCertificate : 0);
  }

  /** SslStreamPal.EncryptMessage per chunk of at most cbMaximumMessage. */
  write(data: Uint8Array): void {
    for (let off = 0; off < data.length; off += this.sizes.cbMaximumMessage) {
      const chunk = data.subarray(off, Math.min(data.length, off + this.sizes.cbMaximumMessage));
      const { cbHeader: h, cbTrailer: t } = this.sizes;
      const payload = new Uint8Array(h + chunk.length + t);
      payload.set(chunk, h);
      const bufs = [
        new S.SecBuffer(h, S.SECBUFFER_STREAM_HEADER, payload.subarray(0, h)),
        new S.SecBuffer(chunk.length, S.SECBUFFER_DATA, payload.subarray(h, h + chunk.length)),
        new S.SecBuffer(t, S.SECBUFFER_STREAM_TRAILER, payload.subarray(h + chunk.length)),
        new S.SecBuffer(0, S.SECBUFFER_EMPTY, null),
      ];
      const st = S.EncryptMessage(this.ctx, 0, new S.SecBufferDesc(bufs), 0);
      if (st !== S.SEC_E_OK) throw new DotnetError('EncryptMessage', st);
      this.wire.send(payload.subarray(0, (bufs[0] as S.SecBuffer).cbBuffer + (bufs[1] as S.SecBuffer).cbBuffer + (bufs[2] as S.SecBuffer).cbBuffer));
    }
  }

  /** SslStream.ReadAsync: decrypted bytes, or an empty array at close_notify / end of stream. */
  async read(): Promise<Uint8Array> {
    for (;;) {
      const d = this.decrypted.shift();
      if (d !== undefined) return d;
      if (this.closeNotify) return new Uint8Array(0);
      if (this.buffer.length === 0 && !(await this.fill())) return new Uint8Array(0);
      const frame = this.buffer;
      const bufs = [new S.SecBuffer(frame.length, S.SECBUFFER_DATA, frame), new S.SecBuffer(), new S.SecBuffer(), new S.SecBuffer()];
      const st = S.DecryptMessage(this.ctx, new S.SecBufferDesc(bufs), 0, null);
      if (st === S.SEC_E_INCOMPLETE_MESSAGE) {
        if (!(await this.fill())) throw new DotnetError('net_io_eof', st);
        continue;
      }
      const dataBuf = bufs.find((b) => b.BufferType === S.SECBUFFER_DATA);
      const extraBuf = bufs.find((b) => b.BufferType === S.SECBUFFER_EXTRA);
      const rest = extraBuf !== undefined && extraBuf.cbBuffer > 0 ? (extraBuf.pvBuffer as Uint8Array).slice(0, extraBuf.cbBuffer) : new Uint8Array(0);
      if (st === S.SEC_E_OK) {
        if (dataBuf !== undefined && dataBuf.cbBuffer > 0) this.decrypted.push((dataBuf.pvBuffer as Uint8Array).slice(0, dataBuf.cbBuffer));
        this.buffer = rest;
        continue;
      }
      if (st === S.SEC_I_RENEGOTIATE) {
        // SslStream.ReplyOnReAuthenticationAsync: the rest of the buffer goes to ISC/ASC as the token.
        this.renegotiations++;
        this.buffer = rest;
        const r = this.step(this.buffer);
        if (r.status !== S.SEC_E_OK && r.status !== S.SEC_I_CONTINUE_NEEDED) throw new DotnetError('renegotiation', r.status);
        this.wire.send(r.output);
        this.buffer = this.buffer.slice(r.consumed);
        continue;
      }
      if (st === S.SEC_I_CONTEXT_EXPIRED) {
        this.closeNotify = true;
        return new Uint8Array(0);
      }
      throw new DotnetError('DecryptMessage', st);
    }
  }

  /**
   * SslStream.NegotiateClientCertificateAsync (server, TLS 1.3): Renegotiate = ASC with empty input sends the
   * CertificateRequest; then, as in ForceAuthenticationAsync, the client's records are handed to ASC as TOKEN input
   * until it returns SEC_E_OK.
   */
  async negotiateClientCertificate(): Promise<void> {
    const r = this.step(new Uint8Array(0));
    if (r.status !== S.SEC_I_CONTINUE_NEEDED) throw new DotnetError('Renegotiate', r.status);
    this.wire.send(r.output);
    for (let i = 0; i < 10_000; i++) {
      if (this.buffer.length === 0 && !(await this.fill())) throw new DotnetError('net_io_eof', 0);
      const n = this.step(this.buffer);
      if (n.status === S.SEC_E_INCOMPLETE_MESSAGE) {
        if (!(await this.fill())) throw new DotnetError('net_io_eof', 0);
        continue;
      }
      this.wire.send(n.output);
      this.buffer = this.buffer.slice(n.consumed);
      if (n.status === S.SEC_I_CONTINUE_NEEDED) continue;
      if (n.status !== S.SEC_E_OK) throw new DotnetError('renegotiation', n.status);
      this.verifyRemoteCertificate();
      return;
    }
  }

  /** SslStream.ShutdownAsync: ApplyShutdownToken, then the close_notify from ISC/ASC. */
  shutdown(): void {
    const st = S.ApplyControlToken(this.ctx, new S.SecBufferDesc([new S.SecBuffer(4, S.SECBUFFER_TOKEN, Uint8Array.of(1, 0, 0, 0))]));
    if (st !== S.SEC_E_OK) throw new DotnetError('ApplyShutdownToken', st);
    this.wire.send(this.step(new Uint8Array(0)).output);
  }

  /** SslStream.IsResumed / negotiated protocol. */
  info(): { resumed: boolean; protocol: number; alpn: string } {
    const si = new S.SecPkgContext_SessionInfo();
    S.QueryContextAttributes(this.ctx, S.SECPKG_ATTR_SESSION_INFO, si);
    const ci = new S.SecPkgContext_ConnectionInfo();
    S.QueryContextAttributes(this.ctx, S.SECPKG_ATTR_CONNECTION_INFO, ci);
    const ap = new S.SecPkgContext_ApplicationProtocol();
    S.QueryContextAttributes(this.ctx, S.SECPKG_ATTR_APPLICATION_PROTOCOL, ap);
    return { resumed: (si.dwFlags & S.SSL_SESSION_RECONNECT) !== 0, protocol: ci.dwProtocol, alpn: new TextDecoder().decode(ap.ProtocolId.subarray(0, ap.ProtocolIdSize)) };
  }
}
