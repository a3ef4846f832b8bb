/**
 * schannel-rs (steffengy/schannel-rs src/schannel_cred.rs, security_context.rs, tls_stream.rs), its Schannel calls
 * in our own words: SchannelCred::acquire (SCH_USE_STRONG_CRYPTO | SCH_CRED_NO_DEFAULT_CREDS; the legacy
 * SCHANNEL_CRED with palgSupportedAlgs when algorithms are given, else SCH_CREDENTIALS with
 * grbitDisabledProtocols = !enabled); SecurityContext::initialize (first ISC with a descriptor of zero buffers, or
 * one APPLICATION_PROTOCOLS buffer, and one EMPTY output); TlsStream::step_initialize (input [TOKEN, EMPTY,
 * (APPLICATION_PROTOCOLS)] on every call, outputs [TOKEN, ALERT, EMPTY], ASC with a NULL context until the first
 * SEC_I_CONTINUE_NEEDED, MISSING read as "needs_read"); decrypt ([DATA, EMPTY×3], SEC_I_RENEGOTIATE → back to
 * step_initialize); encrypt (HEADER/DATA/TRAILER/EMPTY); shutdown (SCHANNEL_SHUTDOWN then step_initialize).
 */
import * as S from '../../src/sspi/index.js';
import type { Wire } from './wire.js';

const ACCEPT_REQUESTS = S.ASC_REQ_ALLOCATE_MEMORY | S.ASC_REQ_CONFIDENTIALITY | S.ASC_REQ_SEQUENCE_DETECT | S.ASC_REQ_STREAM | S.ASC_REQ_REPLAY_DETECT;
const INIT_REQUESTS =
  S.ISC_REQ_CONFIDENTIALITY | S.ISC_REQ_INTEGRITY | S.ISC_REQ_REPLAY_DETECT | S.ISC_REQ_SEQUENCE_DETECT | S.ISC_REQ_MANUAL_CRED_VALIDATION | S.ISC_REQ_ALLOCATE_MEMORY | S.ISC_REQ_STREAM | S.ISC_REQ_USE_SUPPLIED_CREDS;

export class RsError extends Error {
  readonly status: number;
  constructor(status: number, what = 'os error') {
    super(`${what} 0x${(status >>> 0).toString(16)}`);
    this.status = status;
  }
}

/** SchannelCred::builder(): enabled protocols (SP_PROT_* of the direction), supported algorithms, certificate. */
export function acquire(direction: 'inbound' | 'outbound', o: { protocols?: number; algorithms?: number[]; cert?: S.CertContext } = {}): S.CredHandle {
  const use = direction === 'inbound' ? S.SECPKG_CRED_INBOUND : S.SECPKG_CRED_OUTBOUND;
  const flags = S.SCH_USE_STRONG_CRYPTO | S.SCH_CRED_NO_DEFAULT_CREDS;
  const certs = o.cert !== undefined ? [o.cert] : [];
  let auth: S.SCHANNEL_CRED | S.SCH_CREDENTIALS;
  if (o.algorithms !== undefined) {
    const c = new S.SCHANNEL_CRED();
    c.dwFlags = flags;
    c.grbitEnabledProtocols = o.protocols ?? 0;
    c.cCreds = certs.length;
    c.paCred = certs;
    c.cSupportedAlgs = o.algorithms.length;
    c.palgSupportedAlgs = o.algorithms;
    auth = c;
  } else {
    const tp = new S.TLS_PARAMETERS();
    if ((o.protocols ?? 0) !== 0) tp.grbitDisabledProtocols = ~(o.protocols as number) >>> 0;
    const c = new S.SCH_CREDENTIALS();
    c.dwFlags = flags;
    c.cCreds = certs.length;
    c.paCred = certs;
    c.cTlsParameters = 1;
    c.pTlsParameters = [tp];
    auth = c;
  }
  const h = new S.CredHandle();
  const st = S.AcquireCredentialsHandle(null, S.UNISP_NAME, use, null, auth, null, null, h, null);
  if (st !== S.SEC_E_OK) throw new RsError(st);
  return h;
}

export class TlsStream {
  readonly ctx = new S.CtxtHandle();
  private encIn: Uint8Array = new Uint8Array(0);
  private decIn: Uint8Array[] = [];
  private sizes = new S.SecPkgContext_StreamSizes();
  private acceptFirst: boolean;
  private readonly wire: Wire;
  private readonly cred: S.CredHandle;
  private readonly server: boolean;
  private readonly domain: string | null;
  private readonly alpn: readonly string[] | undefined;
  /** SEC_I_RENEGOTIATE seen while reading. */
  renegotiations = 0;

  constructor(wire: Wire, cred: S.CredHandle, server: boolean, o: { domain?: string; alpn?: readonly string[] } = {}) {
    this.wire = wire;
    this.cred = cred;
    this.server = server;
    this.acceptFirst = server;
    this.domain = o.domain ?? null;
    this.alpn = o.alpn;
  }

  private alpnBuffer(): S.SecBuffer | undefined {
    if (this.alpn === undefined) return undefined;
    const a = S.buildApplicationProtocols(this.alpn);
    return new S.SecBuffer(a.length, S.SECBUFFER_APPLICATION_PROTOCOLS, a);
  }

  /** Builder::connect / Builder::accept: the whole handshake. */
  async handshake(): Promise<void> {
    if (!this.server) {
      // SecurityContext::initialize: no input buffers unless ALPN; one EMPTY output.
      const ab = this.alpnBuffer();
      const out = new S.SecBuffer(0, S.SECBUFFER_EMPTY, null);
      const st = S.InitializeSecurityContext(this.cred, null, this.domain, INIT_REQUESTS, 0, 0, new S.SecBufferDesc(ab !== undefined ? [ab] : []), 0, this.ctx, new S.SecBufferDesc([out]), new S.ULONG(), null);
      if (st !== S.SEC_I_CONTINUE_NEEDED) throw new RsError(st);
      this.wire.send((out.pvBuffer as Uint8Array).subarray(0, out.cbBuffer));
      S.FreeContextBuffer(out.pvBuffer);
    }
    await this.initialize(true);
    S.QueryContextAttributes(this.ctx, S.SECPKG_ATTR_STREAM_SIZES, this.sizes);
  }

  private async readMore(n: number): Promise<boolean> {
    const got = await this.wire.recv(Math.max(n, 1) + 16384);
    if (got.length === 0) return false;
    const b = new Uint8Array(this.encIn.length + got.length);
    b.set(this.encIn);
    b.set(got, this.encIn.length);
    this.encIn = b;
    return true;
  }

  /** TlsStream::initialize / step_initialize until SEC_E_OK. */
  private async initialize(readFirst: boolean): Promise<void> {
    let needsRead = readFirst && this.encIn.length === 0 ? 1 : 0;
    for (let i = 0; i < 100_000; i++) {
      if (needsRead > 0 && !(await this.readMore(needsRead))) throw new RsError(0, 'unexpected EOF during handshake');
      const inbufs = [new S.SecBuffer(this.encIn.length, S.SECBUFFER_TOKEN, this.encIn), new S.SecBuffer(0, S.SECBUFFER_EMPTY, null)];
      const ab = this.alpnBuffer();
      if (ab !== undefined) inbufs.push(ab);
      const outbufs = [new S.SecBuffer(0, S.SECBUFFER_TOKEN, null), new S.SecBuffer(0, S.SECBUFFER_ALERT, null), new S.SecBuffer(0, S.SECBUFFER_EMPTY, null)];
      const attrs = new S.ULONG();
      const status = this.server
        ? S.AcceptSecurityContext(this.cred, this.acceptFirst ? null : this.ctx, new S.SecBufferDesc(inbufs), ACCEPT_REQUESTS, 0, this.ctx, new S.SecBufferDesc(outbufs), attrs, null)
        : S.InitializeSecurityContext(this.cred, this.ctx, this.domain, INIT_REQUESTS, 0, 0, new S.SecBufferDesc(inbufs), 0, null, new S.SecBufferDesc(outbufs), attrs, null);
      for (const b of outbufs.slice(1)) if (b.pvBuffer !== null) S.FreeContextBuffer(b.pvBuffer);
      const extra = inbufs[1] as S.SecBuffer;
      const nread = this.encIn.length - (extra.BufferType === S.SECBUFFER_EXTRA ? extra.cbBuffer : 0);
      const tok = outbufs[0] as S.SecBuffer;
      if (status === S.SEC_E_OK || status === S.SEC_I_CONTINUE_NEEDED) {
        if (status === S.SEC_I_CONTINUE_NEEDED) this.acceptFirst = false;
        if (tok.pvBuffer !== null && tok.cbBuffer > 0) this.wire.send(tok.pvBuffer.subarray(0, tok.cbBuffer));
        this.encIn = this.encIn.slice(nread);
        needsRead = this.encIn.length === 0 ? 1 : 0;
        if (status === S.SEC_E_OK) {
          this.acceptFirst = false;
          return;
        }
        continue;
      }
      if (status === S.SEC_E_INCOMPLETE_MESSAGE) {
        needsRead = extra.BufferType === S.SECBUFFER_MISSING ? extra.cbBuffer : 1;
        continue;
      }
      throw new RsError(status);
    }
  }

  /** Write: one record per cbMaximumMessage chunk. */
  write(data: Uint8Array): void {
    for (let off = 0; off < data.length; off += this.sizes.cbMaximumMessage) {
      const chunk = data.subarray(off, Math.min(data.length, off + this.sizes.cbMaximumMessage));
      const { cbHeader: h, cbTrailer: t } = this.sizes;
      const buf = new Uint8Array(h + chunk.length + t);
      buf.set(chunk, h);
      const bufs = [
        new S.SecBuffer(h, S.SECBUFFER_STREAM_HEADER, buf.subarray(0, h)),
        new S.SecBuffer(chunk.length, S.SECBUFFER_DATA, buf.subarray(h, h + chunk.length)),
        new S.SecBuffer(t, S.SECBUFFER_STREAM_TRAILER, buf.subarray(h + chunk.length)),
        new S.SecBuffer(0, S.SECBUFFER_EMPTY, null),
      ];
      const st = S.EncryptMessage(this.ctx, 0, new S.SecBufferDesc(bufs), 0);
      if (st !== S.SEC_E_OK) throw new RsError(st);
      this.wire.send(buf.subarray(0, (bufs[0] as S.SecBuffer).cbBuffer + (bufs[1] as S.SecBuffer).cbBuffer + (bufs[2] as S.SecBuffer).cbBuffer));
    }
  }

  /**
   * Read: decrypted bytes, or an empty array at close_notify / EOF (or, with `returnOnRenegotiate`, once a
   * SEC_I_RENEGOTIATE round is done — the test's stand-in for schannel-rs's non-blocking WouldBlock read).
   */
  async read(returnOnRenegotiate = false): Promise<Uint8Array> {
    for (let needsRead = this.encIn.length === 0 ? 1 : 0; ; ) {
      const d = this.decIn.shift();
      if (d !== undefined) return d;
      if (needsRead > 0 && !(await this.readMore(needsRead))) return new Uint8Array(0);
      const bufs = [new S.SecBuffer(this.encIn.length, S.SECBUFFER_DATA, this.encIn), new S.SecBuffer(), new S.SecBuffer(), new S.SecBuffer()];
      const st = S.DecryptMessage(this.ctx, new S.SecBufferDesc(bufs), 0, null);
      const x = bufs[3] as S.SecBuffer;
      const nread = this.encIn.length - (x.BufferType === S.SECBUFFER_EXTRA ? x.cbBuffer : 0);
      if (st === S.SEC_E_OK) {
        const b = bufs[1] as S.SecBuffer;
        if (b.cbBuffer > 0) this.decIn.push((b.pvBuffer as Uint8Array).slice(0, b.cbBuffer));
        this.encIn = this.encIn.slice(nread);
        needsRead = this.encIn.length === 0 ? 1 : 0;
        continue;
      }
      if (st === S.SEC_E_INCOMPLETE_MESSAGE) {
        needsRead = (bufs[1] as S.SecBuffer).BufferType === S.SECBUFFER_MISSING ? (bufs[1] as S.SecBuffer).cbBuffer : 1;
        continue;
      }
      if (st === S.SEC_I_CONTEXT_EXPIRED) return new Uint8Array(0);
      if (st === S.SEC_I_RENEGOTIATE) {
        this.renegotiations++;
        this.encIn = this.encIn.slice(nread);
        await this.initialize(false);
        needsRead = this.encIn.length === 0 ? 1 : 0;
        if (returnOnRenegotiate) return new Uint8Array(0);
        continue;
      }
      throw new RsError(st);
    }
  }

  /** TlsStream::shutdown. */
  async shutdown(): Promise<void> {
    const st = S.ApplyControlToken(this.ctx, new S.SecBufferDesc([new S.SecBuffer(4, S.SECBUFFER_TOKEN, Uint8Array.of(1, 0, 0, 0))]));
    if (st !== S.SEC_E_OK) throw new RsError(st);
    await this.initialize(false);
  }

  negotiatedApplicationProtocol(): string | null {
    const ap = new S.SecPkgContext_ApplicationProtocol();
    if (S.QueryContextAttributes(this.ctx, S.SECPKG_ATTR_APPLICATION_PROTOCOL, ap) !== S.SEC_E_OK) throw new RsError(0, 'ALPN query');
    return ap.ProtoNegoStatus === S.SecApplicationProtocolNegotiationStatus_Success ? new TextDecoder().decode(ap.ProtocolId.subarray(0, ap.ProtocolIdSize)) : null;
  }

  sessionResumed(): boolean {
    const si = new S.SecPkgContext_SessionInfo();
    S.QueryContextAttributes(this.ctx, S.SECPKG_ATTR_SESSION_INFO, si);
    return (si.dwFlags & S.SSL_SESSION_RECONNECT) !== 0;
  }
}
