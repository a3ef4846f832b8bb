/**
 * curl's Schannel client (curl/curl lib/vtls/schannel.c), its call sequence ported to TypeScript in our own words:
 * `schannel_acquire_credential_handle` (flags from verifypeer/verifyhost/revocation options, SCH_CREDENTIALS with
 * grbitDisabledProtocols = ~enabled, or the legacy SCHANNEL_CRED + palgSupportedAlgs when a cipher list is given),
 * `schannel_connect_step1` (one EMPTY output buffer, ISC_REQ_ALLOCATE_MEMORY, ALPN in an input buffer),
 * `schannel_connect_step2` (encdata buffer of 4096 growing by 1024, a scratch copy of the input per call, outputs
 * TOKEN/ALERT/EMPTY, INCOMPLETE_CREDENTIALS retried with ISC_REQ_USE_SUPPLIED_CREDS, EXTRA kept), step3 (ret_flags
 * must equal req_flags, ALPN result, its own chain check when a CA file is given), `schannel_send`
 * (HEADER/DATA/TRAILER/EMPTY sized from STREAM_SIZES), `schannel_recv` (DATA/EMPTY×3, SEC_I_RENEGOTIATE through
 * step2, SEC_I_CONTEXT_EXPIRED) and `schannel_shutdown` (SCHANNEL_SHUTDOWN then ISC with one EMPTY buffer).
 * Any status curl treats as an error throws a CurlError carrying it.
 */
import * as S from '../../src/sspi/index.js';
import { checkPeer } from './peer-chain.js';
import type { Wire } from './wire.js';

/** A failure where curl gives up, with the SSPI status it saw (0 when it is curl's own check). */
export class CurlError extends Error {
  readonly status: number;
  constructor(message: string, status: number) {
    super(`${message} (0x${(status >>> 0).toString(16)})`);
    this.status = status;
  }
}

export interface CurlSchannelOptions {
  /** The host name (SNI, name check). */
  readonly host: string;
  /** --cacert: curl then sets SCH_CRED_MANUAL_CRED_VALIDATION and checks the chain itself. */
  readonly caPem?: string;
  /** Stands in for the Windows system store when no CA file is given (port extension: hRootStore). */
  readonly systemRoots?: S.CertStore;
  readonly verifyPeer?: boolean;
  readonly verifyHost?: boolean;
  /** CURLSSLOPT_NO_REVOKE / CURLSSLOPT_REVOKE_BEST_EFFORT. */
  readonly revoke?: 'check' | 'none' | 'best-effort';
  readonly alpn?: readonly string[];
  /** --ciphers for Schannel: ALG_ID names or numbers separated by ':' (forces SCHANNEL_CRED, so TLS 1.2 at most). */
  readonly cipherList?: string;
  /** --tls-max 1.2. */
  readonly tlsMax12?: boolean;
  readonly clientCert?: S.CertContext;
  /** CURLSSLOPT_AUTO_CLIENT_CERT. */
  readonly autoClientCert?: boolean;
  /** Reuse this credential (curl's session cache keeps it per peer). */
  readonly credential?: S.CredHandle;
}

const BUFFER_INIT_SIZE = 4096;
const BUFFER_FREE_SIZE = 1024;

/** curl's ALG_ID names (the subset that exists in constants.ts). */
function algId(name: string): number {
  const n = Number(name);
  if (Number.isInteger(n) && n > 0) return n;
  const v = (S as unknown as Record<string, unknown>)[name];
  return typeof v === 'number' && name.startsWith('CALG_') ? v : 0;
}

export class CurlSchannel {
  readonly cred: S.CredHandle;
  readonly ctx = new S.CtxtHandle();
  reqFlags: number;
  retFlags = new S.ULONG();
  private encdata = new Uint8Array(BUFFER_INIT_SIZE);
  private encOffset = 0;
  private decdata: Uint8Array[] = [];
  private sizes = new S.SecPkgContext_StreamSizes();
  /** The negotiated ALPN protocol, if any. */
  alpnSelected: string | undefined;
  /** close_notify received. */
  closeNotify = false;
  /** SEC_I_RENEGOTIATE seen in recv. */
  renegotiations = 0;
  /** Bytes of handshake output sent. */
  handshakeBytesSent = 0;
  /** InitializeSecurityContext calls made. */
  iscCalls = 0;

  private readonly wire: Wire;
  private readonly o: CurlSchannelOptions;

  constructor(wire: Wire, o: CurlSchannelOptions) {
    this.wire = wire;
    this.o = o;
    this.cred = o.credential ?? CurlSchannel.acquire(o);
    this.reqFlags =
      S.ISC_REQ_SEQUENCE_DETECT | S.ISC_REQ_REPLAY_DETECT | S.ISC_REQ_CONFIDENTIALITY | S.ISC_REQ_ALLOCATE_MEMORY | S.ISC_REQ_STREAM | (o.autoClientCert === true ? 0 : S.ISC_REQ_USE_SUPPLIED_CREDS);
  }

  /** schannel_acquire_credential_handle + acquire_sspi_handle. */
  static acquire(o: CurlSchannelOptions): S.CredHandle {
    const verifyPeer = o.verifyPeer ?? true;
    const manual = o.caPem !== undefined;
    let flags: number;
    if (verifyPeer) {
      flags = manual ? S.SCH_CRED_MANUAL_CRED_VALIDATION : S.SCH_CRED_AUTO_CRED_VALIDATION;
      if (o.revoke === 'none') flags |= S.SCH_CRED_IGNORE_NO_REVOCATION_CHECK | S.SCH_CRED_IGNORE_REVOCATION_OFFLINE;
      else if (o.revoke === 'best-effort') flags |= S.SCH_CRED_IGNORE_NO_REVOCATION_CHECK | S.SCH_CRED_IGNORE_REVOCATION_OFFLINE | S.SCH_CRED_REVOCATION_CHECK_CHAIN;
      else flags |= S.SCH_CRED_REVOCATION_CHECK_CHAIN;
    } else {
      flags = S.SCH_CRED_MANUAL_CRED_VALIDATION | S.SCH_CRED_IGNORE_NO_REVOCATION_CHECK | S.SCH_CRED_IGNORE_REVOCATION_OFFLINE;
    }
    if (o.verifyHost === false) flags |= S.SCH_CRED_NO_SERVERNAME_CHECK;
    if (o.autoClientCert !== true) flags = ((flags & ~S.SCH_CRED_USE_DEFAULT_CREDS) | S.SCH_CRED_NO_DEFAULT_CREDS) >>> 0;
    // schannel_set_ssl_version_min_max: default min TLS 1.2, max TLS 1.3 (Windows Server 2022 / 11 and later).
    const enabled = S.SP_PROT_TLS1_2_CLIENT | (o.tlsMax12 === true ? 0 : S.SP_PROT_TLS1_3_CLIENT);
    const h = new S.CredHandle();
    let st: number;
    if (o.cipherList === undefined) {
      const tp = new S.TLS_PARAMETERS();
      tp.grbitDisabledProtocols = ~enabled >>> 0;
      tp.cDisabledCrypto = 0;
      tp.pDisabledCrypto = [];
      const c = new S.SCH_CREDENTIALS();
      c.dwFlags = (flags | S.SCH_USE_STRONG_CRYPTO) >>> 0;
      c.cTlsParameters = 1;
      c.pTlsParameters = [tp];
      if (o.clientCert !== undefined) {
        c.cCreds = 1;
        c.paCred = [o.clientCert];
      }
      if (o.systemRoots !== undefined) c.hRootStore = o.systemRoots;
      st = S.AcquireCredentialsHandle(null, S.UNISP_NAME, S.SECPKG_CRED_OUTBOUND, null, c, null, null, h, null);
    } else {
      const c = new S.SCHANNEL_CRED();
      c.dwFlags = flags;
      c.grbitEnabledProtocols = enabled;
      const algs: number[] = [];
      for (const name of o.cipherList.split(':')) {
        const id = algId(name);
        if (id !== 0) algs.push(id);
        else if (name === 'USE_STRONG_CRYPTO' || name === 'SCH_USE_STRONG_CRYPTO') c.dwFlags |= S.SCH_USE_STRONG_CRYPTO;
        else throw new CurlError(`schannel: unknown cipher ${name}`, 0);
      }
      c.cSupportedAlgs = algs.length;
      c.palgSupportedAlgs = algs;
      if (o.clientCert !== undefined) {
        c.cCreds = 1;
        c.paCred = [o.clientCert];
      }
      if (o.systemRoots !== undefined) c.hRootStore = o.systemRoots;
      st = S.AcquireCredentialsHandle(null, S.UNISP_NAME, S.SECPKG_CRED_OUTBOUND, null, c, null, null, h, null);
    }
    if (st !== S.SEC_E_OK) throw new CurlError('schannel: AcquireCredentialsHandle failed', st);
    return h;
  }

  /** schannel_connect: steps 1, 2, 3. */
  async connect(): Promise<void> {
    this.step1();
    await this.step2(true);
    this.step3();
  }

  private sendOut(bytes: Uint8Array): void {
    this.handshakeBytesSent += bytes.length;
    this.wire.send(bytes);
  }

  /** schannel_connect_step1. */
  private step1(): void {
    let inDesc: S.SecBufferDesc | null = null;
    if (this.o.alpn !== undefined && this.o.alpn.length > 0) {
      const alpn = S.buildApplicationProtocols(this.o.alpn);
      inDesc = new S.SecBufferDesc([new S.SecBuffer(alpn.length, S.SECBUFFER_APPLICATION_PROTOCOLS, alpn)]);
    }
    const outbuf = new S.SecBuffer(0, S.SECBUFFER_EMPTY, null);
    this.iscCalls++;
    const st = S.InitializeSecurityContext(this.cred, null, this.o.host, this.reqFlags, 0, 0, inDesc, 0, this.ctx, new S.SecBufferDesc([outbuf]), this.retFlags, null);
    if (st !== S.SEC_I_CONTINUE_NEEDED) throw new CurlError('schannel: initial InitializeSecurityContext failed', st);
    this.sendOut(outbuf.pvBuffer?.subarray(0, outbuf.cbBuffer) ?? new Uint8Array(0));
    S.FreeContextBuffer(outbuf.pvBuffer);
  }

  /** ensure_encoding_size: at least BUFFER_FREE_SIZE free bytes. */
  private ensureEncodingSize(min: number): void {
    if (this.encdata.length - this.encOffset >= BUFFER_FREE_SIZE && this.encdata.length >= min) return;
    const grown = new Uint8Array(Math.max(this.encOffset + BUFFER_FREE_SIZE, min));
    grown.set(this.encdata.subarray(0, this.encOffset));
    this.encdata = grown;
  }

  private async readMore(): Promise<void> {
    const got = await this.wire.recv(this.encdata.length - this.encOffset);
    if (got.length === 0) throw new CurlError('schannel: failed to receive handshake, SSL/TLS connection failed', 0);
    this.encdata.set(got, this.encOffset);
    this.encOffset += got.length;
  }

  /** schannel_connect_step2 (also the renegotiation path of schannel_recv). */
  private async step2(doread: boolean): Promise<number> {
    for (let rounds = 0; rounds < 100_000; rounds++) {
      this.ensureEncodingSize(0);
      if (doread) await this.readMore();
      // A scratch copy of the received bytes per call (curl mallocs inbuf[0] and frees it after ISC).
      const scratch = this.encdata.slice(0, this.encOffset);
      const inbuf = [new S.SecBuffer(scratch.length, S.SECBUFFER_TOKEN, scratch), new S.SecBuffer(0, S.SECBUFFER_EMPTY, null)];
      const outbuf = [new S.SecBuffer(0, S.SECBUFFER_TOKEN, null), new S.SecBuffer(0, S.SECBUFFER_ALERT, null), new S.SecBuffer(0, S.SECBUFFER_EMPTY, null)];
      this.iscCalls++;
      const st = S.InitializeSecurityContext(this.cred, this.ctx, this.o.host, this.reqFlags, 0, 0, new S.SecBufferDesc(inbuf), 0, null, new S.SecBufferDesc(outbuf), this.retFlags, null);
      scratch.fill(0);
      if (st === S.SEC_E_INCOMPLETE_MESSAGE) {
        doread = true;
        continue;
      }
      if (st === S.SEC_I_INCOMPLETE_CREDENTIALS) {
        if ((this.reqFlags & S.ISC_REQ_USE_SUPPLIED_CREDS) === 0) {
          this.reqFlags |= S.ISC_REQ_USE_SUPPLIED_CREDS;
          doread = false;
          continue;
        }
        throw new CurlError('schannel: next InitializeSecurityContext failed', st);
      }
      if (st !== S.SEC_I_CONTINUE_NEEDED && st !== S.SEC_E_OK) throw new CurlError('schannel: next InitializeSecurityContext failed', st);
      for (const b of outbuf) {
        if (b.BufferType === S.SECBUFFER_TOKEN && b.cbBuffer > 0) this.sendOut((b.pvBuffer as Uint8Array).subarray(0, b.cbBuffer));
      }
      for (const b of outbuf) if (b.pvBuffer !== null) S.FreeContextBuffer(b.pvBuffer);
      const extra = inbuf[1] as S.SecBuffer;
      if (extra.BufferType === S.SECBUFFER_EXTRA && extra.cbBuffer > 0) {
        if (this.encOffset > extra.cbBuffer) {
          this.encdata.copyWithin(0, this.encOffset - extra.cbBuffer, this.encOffset);
          this.encOffset = extra.cbBuffer;
          if (st === S.SEC_I_CONTINUE_NEEDED) {
            doread = false;
            continue;
          }
        }
      } else {
        this.encOffset = 0;
      }
      if (st === S.SEC_I_CONTINUE_NEEDED) {
        doread = true;
        continue;
      }
      return st;
    }
    throw new CurlError('schannel: handshake did not end', 0);
  }

  /** schannel_connect_step3 (+ Curl_verify_certificate when a CA file is given). */
  private step3(): void {
    if (this.retFlags.value !== this.reqFlags) throw new CurlError(`schannel: ret_flags 0x${this.retFlags.value.toString(16)} != req_flags 0x${this.reqFlags.toString(16)}`, 0);
    if (this.o.alpn !== undefined && this.o.alpn.length > 0) {
      const r = new S.SecPkgContext_ApplicationProtocol();
      const st = S.QueryContextAttributes(this.ctx, S.SECPKG_ATTR_APPLICATION_PROTOCOL, r);
      if (st !== S.SEC_E_OK) throw new CurlError('schannel: failed to retrieve ALPN result', st);
      if (r.ProtoNegoStatus === S.SecApplicationProtocolNegotiationStatus_Success) this.alpnSelected = new TextDecoder().decode(r.ProtocolId.subarray(0, r.ProtocolIdSize));
    }
    const st = S.QueryContextAttributes(this.ctx, S.SECPKG_ATTR_STREAM_SIZES, this.sizes);
    if (st !== S.SEC_E_OK) throw new CurlError('schannel: unable to get stream sizes', st);
    if ((this.o.verifyPeer ?? true) && this.o.caPem !== undefined) this.verifyCertificate();
  }

  /** Curl_verify_certificate, reduced: the peer chain must lead to the CA file's certificate, and the name match. */
  private verifyCertificate(): void {
    const r = checkPeer(this.ctx, this.o.caPem as string, (this.o.verifyHost ?? true) ? this.o.host : null);
    if (r === 'untrusted') throw new CurlError('schannel: CertGetCertificateChain trust error CERT_TRUST_IS_UNTRUSTED_ROOT', 0);
    if (r === 'wrong-name') throw new CurlError('schannel: server certificate name verification failed', 0);
    if (r !== 'ok') throw new CurlError('schannel: failed to retrieve remote cert context', r.noCertificate);
  }

  /** schannel_send: one record per call (at most cbMaximumMessage), HEADER/DATA/TRAILER/EMPTY. */
  send(data: Uint8Array): number {
    const len = Math.min(data.length, this.sizes.cbMaximumMessage);
    const buf = new Uint8Array(this.sizes.cbHeader + len + this.sizes.cbTrailer);
    buf.set(data.subarray(0, len), this.sizes.cbHeader);
    const out = [
      new S.SecBuffer(this.sizes.cbHeader, S.SECBUFFER_STREAM_HEADER, buf.subarray(0, this.sizes.cbHeader)),
      new S.SecBuffer(len, S.SECBUFFER_DATA, buf.subarray(this.sizes.cbHeader, this.sizes.cbHeader + len)),
      new S.SecBuffer(this.sizes.cbTrailer, S.SECBUFFER_STREAM_TRAILER, buf.subarray(this.sizes.cbHeader + len)),
      new S.SecBuffer(0, S.SECBUFFER_EMPTY, null),
    ];
    const st = S.EncryptMessage(this.ctx, 0, new S.SecBufferDesc(out), 0);
    if (st !== S.SEC_E_OK) throw new CurlError('schannel: EncryptMessage failed', st);
    const total = (out[0] as S.SecBuffer).cbBuffer + (out[1] as S.SecBuffer).cbBuffer + (out[2] as S.SecBuffer).cbBuffer;
    this.wire.send(buf.subarray(0, total));
    return len;
  }

  /** Send everything (curl's callers loop on schannel_send). */
  sendAll(data: Uint8Array): void {
    let off = 0;
    while (off < data.length) off += this.send(data.subarray(off));
  }

  /** schannel_recv: up to `len` bytes; an empty array at close_notify. */
  async recv(len: number): Promise<Uint8Array> {
    for (;;) {
      const have = this.decdata.reduce((n, b) => n + b.length, 0);
      if (have > 0) return this.takeDecoded(len);
      if (this.closeNotify) return new Uint8Array(0);
      if (this.encOffset === 0 || (await this.decryptLoop(len)) === 'incomplete') {
        this.ensureEncodingSize(len + BUFFER_FREE_SIZE);
        const got = await this.wire.recv(this.encdata.length - this.encOffset);
        if (got.length === 0) throw new CurlError('schannel: server closed abruptly (missing close_notify)', 0);
        this.encdata.set(got, this.encOffset);
        this.encOffset += got.length;
        await this.decryptLoop(len);
      }
    }
  }

  private takeDecoded(len: number): Uint8Array {
    const all = new Uint8Array(this.decdata.reduce((n, b) => n + b.length, 0));
    let o = 0;
    for (const b of this.decdata) {
      all.set(b, o);
      o += b.length;
    }
    const n = Math.min(len, all.length);
    this.decdata = n < all.length ? [all.slice(n)] : [];
    return all.slice(0, n);
  }

  private async decryptLoop(len: number): Promise<'ok' | 'incomplete'> {
    void len;
    while (this.encOffset > 0) {
      const inbuf = [new S.SecBuffer(this.encOffset, S.SECBUFFER_DATA, this.encdata), new S.SecBuffer(), new S.SecBuffer(), new S.SecBuffer()];
      const st = S.DecryptMessage(this.ctx, new S.SecBufferDesc(inbuf), 0, null);
      if (st === S.SEC_E_OK || st === S.SEC_I_RENEGOTIATE || st === S.SEC_I_CONTEXT_EXPIRED) {
        const d = inbuf[1] as S.SecBuffer;
        if (d.BufferType === S.SECBUFFER_DATA && d.cbBuffer > 0) this.decdata.push((d.pvBuffer as Uint8Array).slice(0, d.cbBuffer));
        const x = inbuf[3] as S.SecBuffer;
        if (x.BufferType === S.SECBUFFER_EXTRA && x.cbBuffer > 0) {
          if (this.encOffset > x.cbBuffer) {
            this.encdata.copyWithin(0, this.encOffset - x.cbBuffer, this.encOffset);
            this.encOffset = x.cbBuffer;
          }
        } else {
          this.encOffset = 0;
        }
        if (st === S.SEC_I_RENEGOTIATE) {
          // schannel_recv_renegotiate: step 2 with what is left in encdata, without reading first.
          this.renegotiations++;
          const r = await this.step2(false);
          if (r !== S.SEC_E_OK) throw new CurlError('schannel: renegotiation failed', r);
          this.step3();
          continue;
        }
        if (st === S.SEC_I_CONTEXT_EXPIRED) {
          this.closeNotify = true;
          return 'ok';
        }
        continue;
      }
      if (st === S.SEC_E_INCOMPLETE_MESSAGE) return 'incomplete';
      throw new CurlError('schannel: failed to read data from server', st);
    }
    return 'ok';
  }

  /** schannel_shutdown: SCHANNEL_SHUTDOWN, ISC with one EMPTY output, send the close_notify. */
  shutdown(): Uint8Array {
    const tok = Uint8Array.of(S.SCHANNEL_SHUTDOWN & 0xff, 0, 0, 0);
    const st = S.ApplyControlToken(this.ctx, new S.SecBufferDesc([new S.SecBuffer(4, S.SECBUFFER_TOKEN, tok)]));
    if (st !== S.SEC_E_OK) throw new CurlError('schannel: ApplyControlToken failure', st);
    const outbuf = new S.SecBuffer(0, S.SECBUFFER_EMPTY, null);
    const st2 = S.InitializeSecurityContext(this.cred, this.ctx, this.o.host, this.reqFlags, 0, 0, null, 0, this.ctx, new S.SecBufferDesc([outbuf]), this.retFlags, null);
    if (st2 !== S.SEC_E_OK && st2 !== S.SEC_I_CONTEXT_EXPIRED) throw new CurlError('schannel: shutdown InitializeSecurityContext failed', st2);
    const msg = (outbuf.pvBuffer ?? new Uint8Array(0)).slice(0, outbuf.cbBuffer);
    this.wire.send(msg);
    S.FreeContextBuffer(outbuf.pvBuffer);
    return msg;
  }

  /** The connection's attributes curl logs (protocol, cipher). */
  connectionInfo(): S.SecPkgContext_ConnectionInfo {
    const ci = new S.SecPkgContext_ConnectionInfo();
    S.QueryContextAttributes(this.ctx, S.SECPKG_ATTR_CONNECTION_INFO, ci);
    return ci;
  }

  /** SESSION_INFO.dwFlags (SSL_SESSION_RECONNECT on resumption). */
  sessionFlags(): number {
    const si = new S.SecPkgContext_SessionInfo();
    S.QueryContextAttributes(this.ctx, S.SECPKG_ATTR_SESSION_INFO, si);
    return si.dwFlags;
  }

  close(): void {
    S.DeleteSecurityContext(this.ctx);
  }
}
