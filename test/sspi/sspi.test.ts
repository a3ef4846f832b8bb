/**
 * The SSPI surface through `src/sspi/index.ts` only: status codes, buffer rules (EXTRA / MISSING / ALERT, output
 * rewritten each call, phNewContext untouched on INCOMPLETE), attributes, control tokens and shutdown, with our own
 * client and server talking in memory. Numbers in test names refer to SSPI.md §8.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { TestPki, caExt, serverExt, type PkiCert } from '../helpers/x509-pki.js';
import { getPki, type LeafFiles, type Pki } from '../helpers/pki.js';
import * as S from '../../src/sspi/index.js';
import { lookupCredential, storeSession, MAX_SESSION_TARGETS, MAX_TICKETS_PER_TARGET, type Credential } from '../../src/sspi/credentials.js';
import { PeerMisbehaved, PeerIncompatible, BadCertificate, LimitExceeded, misbehaved, incompatible, badCertificate, limitExceeded } from '../../src/errors.js';

let pki: Pki;
before(async () => {
  pki = await getPki();
});

const ISC_REQ = S.ISC_REQ_SEQUENCE_DETECT | S.ISC_REQ_REPLAY_DETECT | S.ISC_REQ_CONFIDENTIALITY | S.ISC_REQ_STREAM;
const ASC_REQ = S.ASC_REQ_SEQUENCE_DETECT | S.ASC_REQ_REPLAY_DETECT | S.ASC_REQ_CONFIDENTIALITY | S.ASC_REQ_STREAM;

function serverCred(opts: { mutual?: boolean; mappers?: S.HMAPPER[]; flags?: number; protocols?: number; params?: S.TLS_PARAMETERS[]; leaf?: LeafFiles; cert?: S.CertContext } = {}): S.CredHandle {
  const sch = new S.SCH_CREDENTIALS();
  sch.dwFlags = opts.flags ?? 0;
  if (opts.protocols !== undefined) {
    const tp = new S.TLS_PARAMETERS();
    tp.grbitDisabledProtocols = (S.SP_PROT_TLS1_X & ~opts.protocols) >>> 0;
    sch.cTlsParameters = 1;
    sch.pTlsParameters = [tp];
  }
  if (opts.params !== undefined) {
    sch.cTlsParameters = opts.params.length;
    sch.pTlsParameters = opts.params;
  }
  sch.cCreds = 1;
  const leaf = opts.leaf ?? pki.server.p256;
  sch.paCred = [opts.cert ?? S.CertContext.fromPem(leaf.chainPem, leaf.keyPem)];
  if (opts.mutual === true) sch.hRootStore = S.CertStore.fromPem(pki.ca.certPem);
  if (opts.mappers !== undefined) {
    sch.cMappers = opts.mappers.length;
    sch.aphMappers = opts.mappers;
  }
  const h = new S.CredHandle();
  assert.equal(S.AcquireCredentialsHandle(null, S.UNISP_NAME, S.SECPKG_CRED_INBOUND, null, sch, null, null, h, new S.TimeStamp()), S.SEC_E_OK);
  return h;
}

/** A client credential; `protocols` (SP_PROT_*) selects the legacy SCHANNEL_CRED with grbitEnabledProtocols. */
function clientCred(withCert = false, flags = 0, protocols = 0): S.CredHandle {
  const sch = protocols !== 0 ? new S.SCHANNEL_CRED() : new S.SCH_CREDENTIALS();
  sch.dwFlags = flags;
  if (sch instanceof S.SCHANNEL_CRED) sch.grbitEnabledProtocols = protocols;
  sch.hRootStore = S.CertStore.fromPem(pki.ca.certPem);
  if (withCert) {
    sch.cCreds = 1;
    sch.paCred = [S.CertContext.fromPem(pki.client.chainPem, pki.client.keyPem)];
  }
  const h = new S.CredHandle();
  assert.equal(S.AcquireCredentialsHandle(null, S.UNISP_NAME, S.SECPKG_CRED_OUTBOUND, null, sch, null, null, h, null), S.SEC_E_OK);
  return h;
}

const tokenOut = (): S.SecBufferDesc => new S.SecBufferDesc([new S.SecBuffer(0, S.SECBUFFER_TOKEN, null), new S.SecBuffer(0, S.SECBUFFER_ALERT, null), new S.SecBuffer(0, S.SECBUFFER_EMPTY, null)]);
const tokenIn = (b: Uint8Array): S.SecBufferDesc => new S.SecBufferDesc([new S.SecBuffer(b.length, S.SECBUFFER_TOKEN, b), new S.SecBuffer(0, S.SECBUFFER_EMPTY, null)]);
const bytesOf = (b: S.SecBuffer): Uint8Array => (b.pvBuffer === null ? new Uint8Array(0) : b.pvBuffer.slice(0, b.cbBuffer));
const cat = (a: Uint8Array, b: Uint8Array): Uint8Array => {
  const o = new Uint8Array(a.length + b.length);
  o.set(a);
  o.set(b, a.length);
  return o;
};

interface Pair {
  readonly cCtx: S.CtxtHandle;
  readonly sCtx: S.CtxtHandle;
  readonly cCred: S.CredHandle;
  readonly sCred: S.CredHandle;
  /** Bytes the server sent that the client has not consumed yet (post-handshake records). */
  toClient: Uint8Array;
  serverAttr: number;
  clientAttr: number;
  serverTs: bigint;
}

/** Full in-memory handshake through the canonical loops; `chunk` splits what the server receives. */
function handshake(
  opts: { mutual?: boolean; clientCert?: boolean; mappers?: S.HMAPPER[]; alpnServer?: string[]; alpnClient?: string[]; chunk?: (n: number) => number; cCred?: S.CredHandle; sCred?: S.CredHandle; target?: string; onWire?: (from: 'client' | 'server', bytes: Uint8Array) => void } = {},
): Pair {
  const cCred = opts.cCred ?? clientCred(opts.clientCert === true);
  const sCred = opts.sCred ?? serverCred({ ...(opts.mutual !== undefined ? { mutual: opts.mutual } : {}), ...(opts.mappers !== undefined ? { mappers: opts.mappers } : {}) });
  const target = opts.target ?? 'localhost';
  const cCtx = new S.CtxtHandle();
  const sCtx = new S.CtxtHandle();
  const req = ISC_REQ | S.ISC_REQ_ALLOCATE_MEMORY | (opts.clientCert !== true ? S.ISC_REQ_USE_SUPPLIED_CREDS : 0);
  const areq = ASC_REQ | S.ASC_REQ_ALLOCATE_MEMORY | (opts.mutual === true ? S.ASC_REQ_MUTUAL_AUTH : 0);
  let out = tokenOut();
  const first = opts.alpnClient !== undefined ? new S.SecBufferDesc([new S.SecBuffer(0, S.SECBUFFER_APPLICATION_PROTOCOLS, S.buildApplicationProtocols(opts.alpnClient))]) : null;
  if (first !== null) (first.pBuffers[0] as S.SecBuffer).cbBuffer = (first.pBuffers[0] as S.SecBuffer).pvBuffer?.length ?? 0;
  assert.equal(S.InitializeSecurityContext(cCred, null, target, req, 0, 0, first, 0, cCtx, out, new S.ULONG(), null), S.SEC_I_CONTINUE_NEEDED);
  let wire = bytesOf(out.pBuffers[0] as S.SecBuffer);
  opts.onWire?.('client', wire);
  const p: Pair = { cCtx, sCtx, cCred, sCred, toClient: new Uint8Array(0), serverAttr: 0, clientAttr: 0, serverTs: 0n };
  let sDone = false;
  let cDone = false;
  let sHave = false;
  let sPending: Uint8Array = new Uint8Array(0);
  let cPending: Uint8Array = new Uint8Array(0);
  for (let round = 0; round < 20 && !(sDone && cDone); round++) {
    // server side: deliver `wire` in chunks
    let off = 0;
    while (off < wire.length && !sDone) {
      const n = Math.min(wire.length - off, opts.chunk?.(wire.length - off) ?? wire.length);
      sPending = cat(sPending, wire.subarray(off, off + n));
      off += n;
      for (;;) {
        const inp = tokenIn(sPending);
        if (!sHave && opts.alpnServer !== undefined) {
          const l = S.buildApplicationProtocols(opts.alpnServer);
          inp.pBuffers.push(new S.SecBuffer(l.length, S.SECBUFFER_APPLICATION_PROTOCOLS, l));
          inp.cBuffers++;
        }
        out = tokenOut();
        const attr = new S.ULONG();
        const ts = new S.TimeStamp();
        const st = S.AcceptSecurityContext(sCred, sHave ? sCtx : null, inp, areq, 0, sCtx, out, attr, ts);
        if (st === S.SEC_E_INCOMPLETE_MESSAGE) break;
        assert.ok(st === S.SEC_E_OK || st === S.SEC_I_CONTINUE_NEEDED, `ASC ${st.toString(16)}`);
        sHave = true;
        p.toClient = cat(p.toClient, bytesOf(out.pBuffers[0] as S.SecBuffer));
        opts.onWire?.('server', bytesOf(out.pBuffers[0] as S.SecBuffer));
        const x = inp.pBuffers[1] as S.SecBuffer;
        sPending = x.BufferType === S.SECBUFFER_EXTRA ? sPending.slice(sPending.length - x.cbBuffer) : new Uint8Array(0);
        if (st === S.SEC_E_OK) {
          sDone = true;
          p.serverAttr = attr.value;
          p.serverTs = ts.QuadPart;
          break;
        }
        if (sPending.length === 0) break;
      }
    }
    wire = new Uint8Array(0);
    // client side
    if (!cDone) {
      cPending = cat(cPending, p.toClient);
      p.toClient = new Uint8Array(0);
      for (;;) {
        if (cPending.length === 0) break;
        out = tokenOut();
        const inp = tokenIn(cPending);
        const attr = new S.ULONG();
        const st = S.InitializeSecurityContext(cCred, cCtx, target, req, 0, 0, inp, 0, null, out, attr, null);
        if (st === S.SEC_E_INCOMPLETE_MESSAGE) break;
        assert.ok(st === S.SEC_E_OK || st === S.SEC_I_CONTINUE_NEEDED, `ISC ${st.toString(16)}`);
        wire = cat(wire, bytesOf(out.pBuffers[0] as S.SecBuffer));
        opts.onWire?.('client', bytesOf(out.pBuffers[0] as S.SecBuffer));
        const x = inp.pBuffers[1] as S.SecBuffer;
        cPending = x.BufferType === S.SECBUFFER_EXTRA ? cPending.slice(cPending.length - x.cbBuffer) : new Uint8Array(0);
        if (st === S.SEC_E_OK) {
          cDone = true;
          p.clientAttr = attr.value;
          p.toClient = cPending; // post-handshake records: for DecryptMessage
          break;
        }
      }
    }
  }
  assert.ok(sDone && cDone, 'handshake finished');
  return p;
}

function encrypt(ctx: S.CtxtHandle, text: string): Uint8Array {
  const sizes = new S.SecPkgContext_StreamSizes();
  assert.equal(S.QueryContextAttributes(ctx, S.SECPKG_ATTR_STREAM_SIZES, sizes), S.SEC_E_OK);
  const data = new TextEncoder().encode(text);
  const buf = new Uint8Array(sizes.cbHeader + data.length + sizes.cbTrailer);
  buf.set(data, sizes.cbHeader);
  const msg = new S.SecBufferDesc([
    new S.SecBuffer(sizes.cbHeader, S.SECBUFFER_STREAM_HEADER, buf.subarray(0, sizes.cbHeader)),
    new S.SecBuffer(data.length, S.SECBUFFER_DATA, buf.subarray(sizes.cbHeader, sizes.cbHeader + data.length)),
    new S.SecBuffer(sizes.cbTrailer, S.SECBUFFER_STREAM_TRAILER, buf.subarray(sizes.cbHeader + data.length)),
    new S.SecBuffer(0, S.SECBUFFER_EMPTY, null),
  ]);
  assert.equal(S.EncryptMessage(ctx, 0, msg, 0), S.SEC_E_OK);
  const [h, d, t] = msg.pBuffers as [S.SecBuffer, S.SecBuffer, S.SecBuffer];
  return buf.subarray(0, h.cbBuffer + d.cbBuffer + t.cbBuffer);
}

/** Decrypt everything in `bytes`, running ISC/ASC on SEC_I_RENEGOTIATE; returns text and the statuses seen. */
function decryptAll(ctx: S.CtxtHandle, cred: S.CredHandle, side: 'client' | 'server', bytes: Uint8Array): { text: string; statuses: number[] } {
  let pending = bytes.slice();
  let text = '';
  const statuses: number[] = [];
  while (pending.length > 0) {
    const msg = new S.SecBufferDesc([new S.SecBuffer(pending.length, S.SECBUFFER_DATA, pending), new S.SecBuffer(), new S.SecBuffer(), new S.SecBuffer()]);
    const st = S.DecryptMessage(ctx, msg, 0, null);
    statuses.push(st);
    if (st === S.SEC_E_INCOMPLETE_MESSAGE) break;
    const d = msg.pBuffers.find((b) => b.BufferType === S.SECBUFFER_DATA);
    if (d !== undefined) text += new TextDecoder().decode(bytesOf(d));
    const x = msg.pBuffers.find((b) => b.BufferType === S.SECBUFFER_EXTRA);
    pending = x?.pvBuffer != null ? x.pvBuffer.slice(0, x.cbBuffer) : new Uint8Array(0);
    if (st === S.SEC_I_RENEGOTIATE) {
      const inp = tokenIn(pending);
      const out = tokenOut();
      const st2 =
        side === 'client'
          ? S.InitializeSecurityContext(cred, ctx, 'localhost', ISC_REQ | S.ISC_REQ_ALLOCATE_MEMORY, 0, 0, inp, 0, null, out, new S.ULONG(), null)
          : S.AcceptSecurityContext(cred, ctx, inp, ASC_REQ | S.ASC_REQ_ALLOCATE_MEMORY, 0, null, out, new S.ULONG(), null);
      assert.equal(st2, S.SEC_E_OK);
      const x2 = inp.pBuffers[1] as S.SecBuffer;
      pending = x2.BufferType === S.SECBUFFER_EXTRA ? pending.slice(pending.length - x2.cbBuffer) : new Uint8Array(0);
    } else if (st !== S.SEC_E_OK) break;
  }
  return { text, statuses };
}

// ---- AcquireCredentialsHandle (§8 1–9) ----------------------------------------------------------------

test('§8.1 ACH with a NULL or unknown package → SEC_E_SECPKG_NOT_FOUND', () => {
  assert.equal(S.AcquireCredentialsHandle(null, null, 0, null, null, null, null, new S.CredHandle(), null), S.SEC_E_SECPKG_NOT_FOUND);
  assert.equal(S.AcquireCredentialsHandle(null, 'Kerberos', S.SECPKG_CRED_OUTBOUND, null, null, null, null, new S.CredHandle(), null), S.SEC_E_SECPKG_NOT_FOUND);
});

test('§8.2/3 NULL auth data: INBOUND/BOTH/0 → SEC_E_NO_CREDENTIALS, OUTBOUND → SEC_E_OK with max expiry', () => {
  for (const use of [0, S.SECPKG_CRED_BOTH, S.SECPKG_CRED_INBOUND]) {
    assert.equal(S.AcquireCredentialsHandle(null, S.UNISP_NAME, use, null, null, null, null, null, null), S.SEC_E_NO_CREDENTIALS);
  }
  const ts = new S.TimeStamp();
  assert.equal(S.AcquireCredentialsHandle(null, S.SCHANNEL_NAME, S.SECPKG_CRED_OUTBOUND, null, null, null, null, new S.CredHandle(), ts), S.SEC_E_OK);
  assert.equal(ts.QuadPart, S.TIMESTAMP_MAX);
});

test('§8.4 protocol masks are filtered by direction → SEC_E_ALGORITHM_MISMATCH when nothing remains', () => {
  const sc = new S.SCHANNEL_CRED();
  sc.grbitEnabledProtocols = S.SP_PROT_TLS1_X_SERVER;
  assert.equal(S.AcquireCredentialsHandle(null, S.UNISP_NAME, S.SECPKG_CRED_OUTBOUND, null, sc, null, null, new S.CredHandle(), null), S.SEC_E_ALGORITHM_MISMATCH);
  sc.grbitEnabledProtocols = S.SP_PROT_TLS1_X_CLIENT;
  const h = new S.CredHandle();
  assert.equal(S.AcquireCredentialsHandle(null, S.UNISP_NAME, S.SECPKG_CRED_OUTBOUND, null, sc, null, null, h, null), S.SEC_E_OK);
  assert.equal(S.AcquireCredentialsHandle(null, S.UNISP_NAME, S.SECPKG_CRED_INBOUND, null, sc, null, null, new S.CredHandle(), null), S.SEC_E_ALGORITHM_MISMATCH);
  const sp = new S.SecPkgCred_SupportedProtocols();
  assert.equal(S.QueryCredentialsAttributes(h, S.SECPKG_ATTR_SUPPORTED_PROTOCOLS, sp), S.SEC_E_OK);
  // Legacy SCHANNEL_CRED: TLS 1.3 is never enabled (only SCH_CREDENTIALS gives it).
  assert.ok((sp.grbitProtocol & S.SP_PROT_TLS1_2_CLIENT) !== 0 && (sp.grbitProtocol & S.SP_PROT_TLS1_3_CLIENT) === 0 && (sp.grbitProtocol & S.SP_PROT_SERVERS) === 0);
  assert.equal(S.QueryCredentialsAttributes(h, S.SECPKG_ATTR_SUPPORTED_PROTOCOLS, null), S.SEC_E_INTERNAL_ERROR);
  assert.equal(S.QueryCredentialsAttributes(h, S.SECPKG_CRED_ATTR_NAMES, new S.SecPkgCredentials_Names()), S.SEC_E_NO_CREDENTIALS);
  const cs = new S.SecPkgCred_CipherStrengths();
  assert.equal(S.QueryCredentialsAttributes(h, S.SECPKG_ATTR_CIPHER_STRENGTHS, cs), S.SEC_E_OK);
  assert.ok(cs.dwMinimumCipherStrength > 0 && cs.dwMaximumCipherStrength > 0);
  assert.equal(S.FreeCredentialsHandle(h), S.SEC_E_OK);
  assert.equal(S.FreeCredentialsHandle(h), S.SEC_E_INVALID_HANDLE);
});

test('§8.5/6/8/10 structure versions, empty certificate lists and DTLS+TLS masks', () => {
  const z = new S.SCHANNEL_CRED();
  z.dwVersion = 0;
  assert.equal(S.AcquireCredentialsHandle(null, S.UNISP_NAME, S.SECPKG_CRED_OUTBOUND, null, z, null, null, null, null), S.SEC_E_UNKNOWN_CREDENTIALS);
  z.dwVersion = 2;
  assert.equal(S.AcquireCredentialsHandle(null, S.UNISP_NAME, S.SECPKG_CRED_INBOUND, null, z, null, null, null, null), S.SEC_E_UNKNOWN_CREDENTIALS);
  assert.equal(S.AcquireCredentialsHandle(null, S.UNISP_NAME, S.SECPKG_CRED_INBOUND, null, new S.SCHANNEL_CRED(), null, null, new S.CredHandle(), null), S.SEC_E_OK);
  assert.equal(S.AcquireCredentialsHandle(null, S.UNISP_NAME, S.SECPKG_CRED_OUTBOUND, null, new S.SCH_CREDENTIALS(), null, null, new S.CredHandle(), null), S.SEC_E_OK);
  const d = new S.SCHANNEL_CRED();
  d.grbitEnabledProtocols = S.SP_PROT_DTLS1_X_CLIENT | S.SP_PROT_TLS1_SERVER;
  assert.equal(S.AcquireCredentialsHandle(null, S.UNISP_NAME, S.SECPKG_CRED_OUTBOUND, null, d, null, null, new S.CredHandle(), null), S.SEC_E_ALGORITHM_MISMATCH);
});

test('§8.7 bogus certificate → UNKNOWN_CREDENTIALS; certificate without key → NO_CREDENTIALS; expiry = NotAfter', () => {
  const sc = new S.SCH_CREDENTIALS();
  sc.cCreds = 1;
  sc.paCred = [S.CertContext.fromDer([new Uint8Array([0x30, 0x03, 1, 2, 3])])];
  assert.equal(S.AcquireCredentialsHandle(null, S.UNISP_NAME, S.SECPKG_CRED_INBOUND, null, sc, null, null, new S.CredHandle(), null), S.SEC_E_UNKNOWN_CREDENTIALS);
  sc.paCred = [S.CertContext.fromPem(pki.server.p256.chainPem)];
  assert.equal(S.AcquireCredentialsHandle(null, S.UNISP_NAME, S.SECPKG_CRED_INBOUND, null, sc, null, null, new S.CredHandle(), null), S.SEC_E_NO_CREDENTIALS);
  sc.paCred = [S.CertContext.fromPem(pki.server.p256.chainPem, pki.server.rsa2048.keyPem)];
  assert.equal(S.AcquireCredentialsHandle(null, S.UNISP_NAME, S.SECPKG_CRED_INBOUND, null, sc, null, null, new S.CredHandle(), null), S.SEC_E_UNKNOWN_CREDENTIALS);
  const good = S.CertContext.fromPem(pki.server.p256.chainPem, pki.server.p256.keyPem);
  sc.paCred = [good];
  const ts = new S.TimeStamp();
  assert.equal(S.AcquireCredentialsHandle(null, S.UNISP_NAME, S.SECPKG_CRED_INBOUND, null, sc, null, null, new S.CredHandle(), ts), S.SEC_E_OK);
  assert.equal(ts.toDate()?.getTime(), good.notAfter);
});

test('TLS_PARAMETERS: CRYPTO_SETTINGS that disable every cipher → SEC_E_ALGORITHM_MISMATCH', () => {
  const sc = new S.SCH_CREDENTIALS();
  const tp = new S.TLS_PARAMETERS();
  const aes = new S.CRYPTO_SETTINGS();
  aes.eAlgorithmUsage = S.TlsParametersCngAlgUsageCipher;
  aes.strCngAlgId = 'AES';
  const cha = new S.CRYPTO_SETTINGS();
  cha.eAlgorithmUsage = S.TlsParametersCngAlgUsageCipher;
  cha.strCngAlgId = 'CHACHA20_POLY1305';
  tp.cDisabledCrypto = 2;
  tp.pDisabledCrypto = [aes, cha];
  sc.cTlsParameters = 1;
  sc.pTlsParameters = [tp];
  assert.equal(S.AcquireCredentialsHandle(null, S.UNISP_NAME, S.SECPKG_CRED_OUTBOUND, null, sc, null, null, new S.CredHandle(), null), S.SEC_E_ALGORITHM_MISMATCH);
  tp.grbitDisabledProtocols = S.SP_PROT_TLS1_3_CLIENT | S.SP_PROT_TLS1_2_CLIENT;
  tp.cDisabledCrypto = 0;
  assert.equal(S.AcquireCredentialsHandle(null, S.UNISP_NAME, S.SECPKG_CRED_OUTBOUND, null, sc, null, null, new S.CredHandle(), null), S.SEC_E_ALGORITHM_MISMATCH);
});

// ---- InitializeSecurityContext buffer rules (§8 14–23) -------------------------------------------------

test('§8.14–18 first ISC call: zero-size outputs, ALLOCATE_MEMORY, sized buffers, EMPTY input, NULL output', () => {
  const cred = clientCred();
  const h = new S.CtxtHandle();
  assert.equal(S.InitializeSecurityContext(cred, null, 'localhost', ISC_REQ, 0, 0, null, 0, h, new S.SecBufferDesc([new S.SecBuffer(0, S.SECBUFFER_TOKEN, null)]), new S.ULONG(), null), S.SEC_E_INSUFFICIENT_MEMORY);
  assert.equal(S.SecIsValidHandle(h), false);
  const withAlert0 = new S.SecBufferDesc([new S.SecBuffer(4096, S.SECBUFFER_TOKEN, new Uint8Array(4096)), new S.SecBuffer(0, S.SECBUFFER_ALERT, null)]);
  assert.equal(S.InitializeSecurityContext(cred, null, 'localhost', ISC_REQ, 0, 0, null, 0, h, withAlert0, new S.ULONG(), null), S.SEC_E_INSUFFICIENT_MEMORY);
  const callerPtr = new Uint8Array(8);
  const alloc = new S.SecBufferDesc([new S.SecBuffer(0, S.SECBUFFER_TOKEN, callerPtr)]);
  const attr = new S.ULONG();
  assert.equal(S.InitializeSecurityContext(cred, null, 'localhost', ISC_REQ | S.ISC_REQ_ALLOCATE_MEMORY, 0, 0, null, 0, h, alloc, attr, null), S.SEC_I_CONTINUE_NEEDED);
  const t = alloc.pBuffers[0] as S.SecBuffer;
  assert.notEqual(t.pvBuffer, callerPtr);
  assert.ok(t.cbBuffer > 0 && t.pvBuffer?.[0] === 22);
  assert.ok((attr.value & S.ISC_RET_ALLOCATED_MEMORY) !== 0);
  assert.equal(S.FreeContextBuffer(t.pvBuffer), S.SEC_E_OK);
  assert.equal(S.FreeContextBuffer(null), S.SEC_E_OK);
  const sized = new S.SecBufferDesc([new S.SecBuffer(4096, S.SECBUFFER_TOKEN, new Uint8Array(4096)), new S.SecBuffer(64, S.SECBUFFER_ALERT, new Uint8Array(64))]);
  const h2 = new S.CtxtHandle();
  assert.equal(S.InitializeSecurityContext(cred, null, 'localhost', ISC_REQ, 0, 0, new S.SecBufferDesc([new S.SecBuffer()]), 0, h2, sized, new S.ULONG(), null), S.SEC_I_CONTINUE_NEEDED);
  assert.equal((sized.pBuffers[1] as S.SecBuffer).cbBuffer, 0);
  assert.equal(S.InitializeSecurityContext(cred, null, 'localhost', ISC_REQ, 0, 0, null, 0, new S.CtxtHandle(), null, new S.ULONG(), null), S.SEC_E_INVALID_TOKEN);
  assert.equal(S.InitializeSecurityContext(cred, null, 'localhost', ISC_REQ | S.ISC_REQ_DELEGATE, 0, 0, null, 0, new S.CtxtHandle(), tokenOut(), new S.ULONG(), null), S.SEC_E_UNSUPPORTED_FUNCTION);
  assert.equal(S.InitializeSecurityContext(null, null, 'localhost', ISC_REQ, 0, 0, null, 0, new S.CtxtHandle(), tokenOut(), new S.ULONG(), null), S.SEC_E_INVALID_HANDLE);
  assert.equal(S.InitializeSecurityContext(serverCred(), null, 'localhost', ISC_REQ, 0, 0, null, 0, new S.CtxtHandle(), tokenOut(), new S.ULONG(), null), S.SEC_E_INVALID_HANDLE);
});

test('§8.19–23 continuation: garbage → INVALID_TOKEN, NULL input/short records → INCOMPLETE + MISSING, handle untouched', () => {
  const cred = clientCred();
  const h = new S.CtxtHandle();
  assert.equal(S.InitializeSecurityContext(cred, null, 'localhost', ISC_REQ | S.ISC_REQ_ALLOCATE_MEMORY, 0, 0, null, 0, h, tokenOut(), new S.ULONG(), null), S.SEC_I_CONTINUE_NEEDED);
  const untouched = new S.CtxtHandle();
  untouched.dwLower = 0xdead;
  untouched.dwUpper = 0xbeef;
  const out = new S.SecBufferDesc([new S.SecBuffer(100, S.SECBUFFER_TOKEN, new Uint8Array(100))]);
  assert.equal(S.InitializeSecurityContext(cred, h, 'localhost', ISC_REQ, 0, 0, null, 0, untouched, out, new S.ULONG(), null), S.SEC_E_INCOMPLETE_MESSAGE);
  assert.deepEqual([(out.pBuffers[0] as S.SecBuffer).cbBuffer, (out.pBuffers[0] as S.SecBuffer).BufferType, untouched.dwLower], [100, S.SECBUFFER_TOKEN, 0xdead]);
  for (const [n, missing] of [[0, 5], [4, 1]] as const) {
    const inp = tokenIn(Uint8Array.of(22, 3, 3, 0, 0x40).subarray(0, n));
    assert.equal(S.InitializeSecurityContext(cred, h, 'localhost', ISC_REQ, 0, 0, inp, 0, untouched, out, new S.ULONG(), null), S.SEC_E_INCOMPLETE_MESSAGE);
    assert.deepEqual([(inp.pBuffers[1] as S.SecBuffer).BufferType, (inp.pBuffers[1] as S.SecBuffer).cbBuffer], [S.SECBUFFER_MISSING, missing]);
  }
  const hdrOnly = tokenIn(Uint8Array.of(22, 3, 3, 0, 0x40));
  assert.equal(S.InitializeSecurityContext(cred, h, 'localhost', ISC_REQ, 0, 0, hdrOnly, 0, untouched, out, new S.ULONG(), null), S.SEC_E_INCOMPLETE_MESSAGE);
  assert.equal((hdrOnly.pBuffers[1] as S.SecBuffer).cbBuffer, 0x40);
  assert.equal(untouched.dwLower, 0xdead);
  const badEmpty = new S.SecBufferDesc([new S.SecBuffer(5, S.SECBUFFER_TOKEN, Uint8Array.of(22, 3, 3, 0, 1)), new S.SecBuffer(0xdeadbeef, S.SECBUFFER_EMPTY, null)]);
  assert.equal(S.InitializeSecurityContext(cred, h, 'localhost', ISC_REQ, 0, 0, badEmpty, 0, null, out, new S.ULONG(), null), S.SEC_E_INVALID_TOKEN);
  const zeros = tokenIn(new Uint8Array(8192));
  const out2 = new S.SecBufferDesc([new S.SecBuffer(100, S.SECBUFFER_TOKEN, new Uint8Array(100))]);
  assert.equal(S.InitializeSecurityContext(cred, h, 'localhost', ISC_REQ, 0, 0, zeros, 0, null, out2, new S.ULONG(), null), S.SEC_E_INVALID_TOKEN);
  assert.equal((out2.pBuffers[0] as S.SecBuffer).cbBuffer, 0);
});

// ---- full handshakes -----------------------------------------------------------------------------------

test('§8.23/24 handshake: handle identity, attribute flags, timestamps, EXTRA routing', () => {
  const p = handshake();
  assert.equal(p.clientAttr, S.ISC_RET_REPLAY_DETECT | S.ISC_RET_SEQUENCE_DETECT | S.ISC_RET_CONFIDENTIALITY | S.ISC_RET_STREAM | S.ISC_RET_USED_SUPPLIED_CREDS | S.ISC_RET_ALLOCATED_MEMORY);
  assert.equal(p.serverAttr, S.ASC_RET_REPLAY_DETECT | S.ASC_RET_SEQUENCE_DETECT | S.ASC_RET_CONFIDENTIALITY | S.ASC_RET_STREAM | S.ASC_RET_ALLOCATED_MEMORY);
  assert.equal(p.serverTs, S.TIMESTAMP_MAX); // no client certificate
  const ci = new S.SecPkgContext_ConnectionInfo();
  assert.equal(S.QueryContextAttributes(p.cCtx, S.SECPKG_ATTR_CONNECTION_INFO, ci), S.SEC_E_OK);
  assert.equal(ci.dwProtocol, S.SP_PROT_TLS1_3_CLIENT);
  assert.ok(ci.dwCipherStrength >= 128 && ci.dwHashStrength === 0);
  const remote = new S.Ref<S.CertContext | null>(null);
  assert.equal(S.QueryContextAttributes(p.cCtx, S.SECPKG_ATTR_REMOTE_CERT_CONTEXT, remote), S.SEC_E_OK);
  assert.equal(remote.value?.subject.includes('localhost'), true);
  assert.equal(S.QueryContextAttributes(p.sCtx, S.SECPKG_ATTR_REMOTE_CERT_CONTEXT, remote), S.SEC_E_NO_CREDENTIALS);
  assert.equal(S.QueryContextAttributes(p.cCtx, S.SECPKG_ATTR_NEGOTIATION_INFO, {}), S.SEC_E_UNSUPPORTED_FUNCTION);
  // TLS 1.3 NewSessionTickets come after the server's SEC_E_OK: DecryptMessage reports SEC_I_RENEGOTIATE.
  const r = decryptAll(p.cCtx, p.cCred, 'client', cat(p.toClient, encrypt(p.sCtx, 'hi client')));
  assert.ok(r.statuses.includes(S.SEC_I_RENEGOTIATE));
  assert.equal(r.text, 'hi client');
  const r2 = decryptAll(p.sCtx, p.sCred, 'server', encrypt(p.cCtx, 'hi server'));
  assert.deepEqual(r2, { text: 'hi server', statuses: [S.SEC_E_OK] });
});

test('byte-at-a-time and random chunks give the same handshake', () => {
  handshake({ chunk: () => 1 });
  let seed = 7;
  handshake({ chunk: (n) => 1 + ((seed = (seed * 1103515245 + 12345) % 2147483648) % Math.max(1, n)) });
});

test('§8.25 ALPN from SECBUFFER_APPLICATION_PROTOCOLS → SECPKG_ATTR_APPLICATION_PROTOCOL; no overlap → APPLICATION_PROTOCOL_MISMATCH', () => {
  const p = handshake({ alpnClient: ['h2', 'http/1.1'], alpnServer: ['http/1.1'] });
  const ap = new S.SecPkgContext_ApplicationProtocol();
  assert.equal(S.QueryContextAttributes(p.cCtx, S.SECPKG_ATTR_APPLICATION_PROTOCOL, ap), S.SEC_E_OK);
  assert.deepEqual([ap.ProtoNegoStatus, ap.ProtoNegoExt, ap.ProtocolIdSize, new TextDecoder().decode(ap.ProtocolId)], [1, 2, 8, 'http/1.1']);
  assert.throws(() => handshake({ alpnClient: ['h2'], alpnServer: ['http/1.1'] }), /ASC 80090367/);
  assert.deepEqual(S.parseApplicationProtocols(S.buildApplicationProtocols(['h2', 'http/1.1']))?.map((id) => new TextDecoder().decode(id)), ['h2', 'http/1.1']);
  assert.equal(S.parseApplicationProtocols(new Uint8Array([1, 0, 0, 0])), undefined);
});

test('mutual auth: client certificate required, mapped by subject; token, impersonation, timestamp', async () => {
  const p = handshake({ mutual: true, clientCert: true, mappers: [S.mapByCallback(() => null), S.mapBySubject()] });
  assert.ok((p.serverAttr & S.ASC_RET_MUTUAL_AUTH) !== 0);
  assert.notEqual(p.serverTs, S.TIMESTAMP_MAX);
  const tok = new S.Ref<S.AccessToken | null>(null);
  assert.equal(S.QuerySecurityContextToken(p.sCtx, tok), S.SEC_E_OK);
  assert.match(tok.value?.userName ?? '', /CN=/);
  assert.equal(S.GetImpersonationToken(), undefined);
  assert.equal(S.ImpersonateSecurityContext(p.sCtx), S.SEC_E_OK);
  assert.equal(S.GetImpersonationToken(), tok.value);
  await Promise.resolve();
  assert.equal(S.GetImpersonationToken(), tok.value);
  assert.equal(S.RevertSecurityContext(p.sCtx), S.SEC_E_OK);
  assert.equal(S.GetImpersonationToken(), undefined);
  const q = handshake({ mutual: true, clientCert: true, mappers: [S.mapByEmail({})] });
  assert.equal(q.serverAttr & S.ASC_RET_MUTUAL_AUTH, 0);
  assert.equal(S.QuerySecurityContextToken(q.sCtx, tok), S.SEC_E_NO_IMPERSONATION);
  assert.equal(S.ImpersonateSecurityContext(q.sCtx), S.SEC_E_NO_IMPERSONATION);
});

test('mutual auth without a client certificate: the handshake completes (boost-wintls), REMOTE_CERT_CONTEXT → SEC_E_NO_CREDENTIALS, no ASC_RET_MUTUAL_AUTH', () => {
  const p = handshake({ mutual: true });
  assert.equal(p.serverAttr & S.ASC_RET_MUTUAL_AUTH, 0);
  assert.equal(S.QueryContextAttributes(p.sCtx, S.SECPKG_ATTR_REMOTE_CERT_CONTEXT, new S.Ref<S.CertContext | null>(null)), S.SEC_E_NO_CREDENTIALS);
  assert.equal(S.QuerySecurityContextToken(p.sCtx, new S.Ref<S.AccessToken | null>(null)), S.SEC_E_NO_IMPERSONATION);
});

test('§8.34–36 EncryptMessage/DecryptMessage buffer rules', () => {
  const p = handshake();
  decryptAll(p.cCtx, p.cCred, 'client', p.toClient);
  const rec = encrypt(p.cCtx, 'abc');
  const four = (bufs: S.SecBuffer[]): S.SecBufferDesc => new S.SecBufferDesc(bufs);
  assert.equal(S.DecryptMessage(p.sCtx, four([new S.SecBuffer(rec.length, S.SECBUFFER_DATA, rec), new S.SecBuffer(), new S.SecBuffer()]), 0, null), S.SEC_E_INVALID_TOKEN);
  assert.equal(S.DecryptMessage(p.sCtx, four([new S.SecBuffer(), new S.SecBuffer(), new S.SecBuffer(), new S.SecBuffer()]), 0, null), S.SEC_E_INVALID_TOKEN);
  assert.equal(S.DecryptMessage(p.sCtx, four([new S.SecBuffer(rec.length, S.SECBUFFER_DATA, rec), new S.SecBuffer(1, S.SECBUFFER_DATA, rec), new S.SecBuffer(), new S.SecBuffer()]), 0, null), S.SEC_E_INVALID_TOKEN);
  assert.equal(S.DecryptMessage(p.sCtx, four([new S.SecBuffer(rec.length, S.SECBUFFER_DATA, rec), new S.SecBuffer(0, S.SECBUFFER_EXTRA, null), new S.SecBuffer(), new S.SecBuffer()]), 0, null), S.SEC_E_INVALID_TOKEN);
  const partial = four([new S.SecBuffer(rec.length - 5, S.SECBUFFER_DATA, rec), new S.SecBuffer(), new S.SecBuffer(), new S.SecBuffer()]);
  assert.equal(S.DecryptMessage(p.sCtx, partial, 0, null), S.SEC_E_INCOMPLETE_MESSAGE);
  assert.deepEqual([(partial.pBuffers[0] as S.SecBuffer).BufferType, (partial.pBuffers[0] as S.SecBuffer).cbBuffer], [S.SECBUFFER_MISSING, 5]);
  const two = cat(rec, encrypt(p.cCtx, 'de'));
  const msg = four([new S.SecBuffer(two.length, S.SECBUFFER_DATA, two), new S.SecBuffer(), new S.SecBuffer(), new S.SecBuffer()]);
  assert.equal(S.DecryptMessage(p.sCtx, msg, 0, null), S.SEC_E_OK);
  const [h, d, t, x] = msg.pBuffers as [S.SecBuffer, S.SecBuffer, S.SecBuffer, S.SecBuffer];
  assert.deepEqual([h.BufferType, h.cbBuffer, d.BufferType, d.cbBuffer, t.BufferType, t.cbBuffer, x.BufferType, x.cbBuffer], [S.SECBUFFER_STREAM_HEADER, 5, S.SECBUFFER_DATA, 3, S.SECBUFFER_STREAM_TRAILER, 17, S.SECBUFFER_EXTRA, two.length - rec.length]);
  assert.equal(d.pvBuffer?.buffer, two.buffer); // in place
  assert.equal(new TextDecoder().decode(bytesOf(d)), 'abc');
  // EncryptMessage: sizes and layout
  const sizes = new S.SecPkgContext_StreamSizes();
  S.QueryContextAttributes(p.cCtx, S.SECPKG_ATTR_STREAM_SIZES, sizes);
  assert.deepEqual([sizes.cbHeader, sizes.cbTrailer, sizes.cBuffers], [5, 17, 4]);
  const small = four([new S.SecBuffer(2, S.SECBUFFER_STREAM_HEADER, new Uint8Array(2)), new S.SecBuffer(1, S.SECBUFFER_DATA, new Uint8Array(1)), new S.SecBuffer(17, S.SECBUFFER_STREAM_TRAILER, new Uint8Array(17)), new S.SecBuffer()]);
  assert.equal(S.EncryptMessage(p.cCtx, 0, small, 0), S.SEC_E_BUFFER_TOO_SMALL);
  assert.equal(S.EncryptMessage(p.cCtx, 0, four([new S.SecBuffer(5, S.SECBUFFER_STREAM_HEADER, new Uint8Array(5)), new S.SecBuffer(), new S.SecBuffer(17, S.SECBUFFER_STREAM_TRAILER, new Uint8Array(17)), new S.SecBuffer()]), 0), S.SEC_E_INVALID_TOKEN);
  const big = new Uint8Array(sizes.cbMaximumMessage + 1);
  assert.equal(S.EncryptMessage(p.cCtx, 0, four([new S.SecBuffer(5, S.SECBUFFER_STREAM_HEADER, new Uint8Array(5)), new S.SecBuffer(big.length, S.SECBUFFER_DATA, big), new S.SecBuffer(17, S.SECBUFFER_STREAM_TRAILER, new Uint8Array(17)), new S.SecBuffer()]), 0), S.SEC_E_BUFFER_TOO_SMALL);
});

test('§8.42/43 ApplyControlToken validation, then ISC emits close_notify; peer sees SEC_I_CONTEXT_EXPIRED', () => {
  const p = handshake();
  decryptAll(p.cCtx, p.cCred, 'client', p.toClient);
  const shut = new Uint8Array(5);
  shut[0] = S.SCHANNEL_SHUTDOWN;
  assert.equal(S.ApplyControlToken(null, new S.SecBufferDesc([new S.SecBuffer(4, S.SECBUFFER_TOKEN, shut)])), S.SEC_E_INVALID_HANDLE);
  assert.equal(S.ApplyControlToken(p.cCtx, null), S.SEC_E_INTERNAL_ERROR);
  assert.equal(S.ApplyControlToken(p.cCtx, new S.SecBufferDesc([new S.SecBuffer(4, S.SECBUFFER_TOKEN, shut), new S.SecBuffer()])), S.SEC_E_INVALID_TOKEN);
  assert.equal(S.ApplyControlToken(p.cCtx, new S.SecBufferDesc([new S.SecBuffer(4, S.SECBUFFER_ALERT, shut)])), S.SEC_E_INVALID_TOKEN);
  assert.equal(S.ApplyControlToken(p.cCtx, new S.SecBufferDesc([new S.SecBuffer(2, S.SECBUFFER_TOKEN, shut)])), S.SEC_E_UNSUPPORTED_FUNCTION);
  assert.equal(S.ApplyControlToken(p.cCtx, new S.SecBufferDesc([new S.SecBuffer(4, S.SECBUFFER_TOKEN, new Uint8Array(4))])), S.SEC_E_UNSUPPORTED_FUNCTION); // SCHANNEL_RENEGOTIATE
  assert.equal(S.ApplyControlToken(p.cCtx, new S.SecBufferDesc([new S.SecBuffer(5, S.SECBUFFER_TOKEN, shut)])), S.SEC_E_OK);
  assert.equal(S.ApplyControlToken(p.cCtx, new S.SecBufferDesc([new S.SecBuffer(5, S.SECBUFFER_TOKEN, shut)])), S.SEC_E_OK);
  const out = new S.SecBufferDesc([new S.SecBuffer(0, S.SECBUFFER_TOKEN, null)]);
  const same = new S.CtxtHandle();
  const junk = tokenIn(new Uint8Array(1000).fill(0xfa));
  assert.equal(S.InitializeSecurityContext(null, p.cCtx, null, S.ISC_REQ_ALLOCATE_MEMORY, 0, 0, junk, 0, same, out, new S.ULONG(), null), S.SEC_E_OK);
  assert.deepEqual([same.dwLower, same.dwUpper], [p.cCtx.dwLower, p.cCtx.dwUpper]);
  const closeRec = bytesOf(out.pBuffers[0] as S.SecBuffer);
  assert.deepEqual([closeRec[0], closeRec.length], [23, 5 + 2 + 1 + 16]); // TLS 1.3: protected alert
  assert.deepEqual(decryptAll(p.sCtx, p.sCred, 'server', closeRec).statuses, [S.SEC_I_CONTEXT_EXPIRED]);
  assert.equal(S.InitializeSecurityContext(null, p.cCtx, null, 0, 0, 0, null, 0, null, new S.SecBufferDesc([new S.SecBuffer(10, S.SECBUFFER_TOKEN, new Uint8Array(10))]), new S.ULONG(), null), S.SEC_E_INCOMPLETE_MESSAGE);
  const big = tokenOut();
  assert.equal(S.EncryptMessage(p.cCtx, 0, new S.SecBufferDesc([new S.SecBuffer(5, S.SECBUFFER_STREAM_HEADER, new Uint8Array(5)), new S.SecBuffer(1, S.SECBUFFER_DATA, new Uint8Array(1)), new S.SecBuffer(17, S.SECBUFFER_STREAM_TRAILER, new Uint8Array(17)), new S.SecBuffer()]), 0), S.SEC_E_CONTEXT_EXPIRED);
  void big;
});

test('§8.44 SCHANNEL_ALERT fatal bad_certificate goes out under the current keys', () => {
  const p = handshake();
  const t = new Uint8Array(12);
  const dv = new DataView(t.buffer);
  dv.setUint32(0, S.SCHANNEL_ALERT, true);
  dv.setUint32(4, S.TLS1_ALERT_FATAL, true);
  dv.setUint32(8, S.TLS1_ALERT_BAD_CERTIFICATE, true);
  assert.equal(S.ApplyControlToken(p.sCtx, new S.SecBufferDesc([new S.SecBuffer(12, S.SECBUFFER_TOKEN, t)])), S.SEC_E_OK);
  const out = new S.SecBufferDesc([new S.SecBuffer(0, S.SECBUFFER_TOKEN, null)]);
  assert.equal(S.AcceptSecurityContext(null, p.sCtx, null, S.ASC_REQ_ALLOCATE_MEMORY, 0, null, out, new S.ULONG(), null), S.SEC_E_OK);
  const rec = bytesOf(out.pBuffers[0] as S.SecBuffer);
  const r = decryptAll(p.cCtx, p.cCred, 'client', cat(p.toClient, rec));
  assert.equal(r.statuses.at(-1), S.SEC_E_CERT_UNKNOWN);
  dv.setUint32(8, 7, true);
  assert.equal(S.ApplyControlToken(p.cCtx, new S.SecBufferDesc([new S.SecBuffer(12, S.SECBUFFER_TOKEN, t)])), S.SEC_E_INVALID_TOKEN);
});

test('§8.38 and bad handles: deleted or wrong-kind handles → SEC_E_INVALID_HANDLE, never a throw', () => {
  const p = handshake();
  const sizes = new S.SecPkgContext_StreamSizes();
  assert.equal(S.QueryContextAttributes(p.cCred as unknown as S.CtxtHandle, S.SECPKG_ATTR_STREAM_SIZES, sizes), S.SEC_E_INVALID_HANDLE);
  assert.equal(S.DeleteSecurityContext(p.sCtx), S.SEC_E_OK);
  assert.equal(S.DeleteSecurityContext(p.sCtx), S.SEC_E_OK); // was valid once (decision)
  assert.equal(S.DeleteSecurityContext(new S.CtxtHandle()), S.SEC_E_INVALID_HANDLE);
  assert.equal(S.QueryContextAttributes(p.sCtx, S.SECPKG_ATTR_REMOTE_CERT_CONTEXT, new S.Ref(null)), S.SEC_E_INVALID_HANDLE);
  assert.equal(S.EncryptMessage(p.sCtx, 0, new S.SecBufferDesc([]), 0), S.SEC_E_INVALID_HANDLE);
  assert.equal(S.DecryptMessage(p.sCtx, null, 0, null), S.SEC_E_INVALID_HANDLE);
  assert.equal(S.AcceptSecurityContext(p.sCred, p.sCtx, null, ASC_REQ, 0, null, tokenOut(), null, null), S.SEC_E_INVALID_HANDLE);
  assert.equal(S.CompleteAuthToken(p.cCtx, null), S.SEC_E_OK);
  assert.equal(S.CompleteAuthToken(p.sCtx, null), S.SEC_E_INVALID_HANDLE);
  assert.equal(S.DecryptMessage(p.cCtx, null, 0, null), S.SEC_E_INVALID_TOKEN);
  // Encrypt/Decrypt while handshaking → SEC_E_INVALID_HANDLE (decision)
  const h = new S.CtxtHandle();
  S.InitializeSecurityContext(clientCred(), null, 'localhost', ISC_REQ | S.ISC_REQ_ALLOCATE_MEMORY, 0, 0, null, 0, h, tokenOut(), null, null);
  assert.equal(S.DecryptMessage(h, new S.SecBufferDesc([new S.SecBuffer(1, S.SECBUFFER_DATA, new Uint8Array(1)), new S.SecBuffer(), new S.SecBuffer(), new S.SecBuffer()]), 0, null), S.SEC_E_INVALID_HANDLE);
  assert.equal(S.QueryContextAttributes(h, S.SECPKG_ATTR_STREAM_SIZES, sizes), S.SEC_E_INVALID_HANDLE);
});

test('keying material after SetContextAttributes(KEYING_MATERIAL_INFO), equal on both sides', () => {
  const p = handshake();
  const km = new S.SecPkgContext_KeyingMaterial();
  assert.equal(S.QueryContextAttributes(p.cCtx, S.SECPKG_ATTR_KEYING_MATERIAL, km), S.SEC_E_INVALID_HANDLE);
  const info = new S.SecPkgContext_KeyingMaterialInfo();
  info.pszLabel = 'EXPERIMENTAL-test';
  info.cbLabel = info.pszLabel.length + 1;
  info.cbKeyingMaterial = 32;
  for (const c of [p.cCtx, p.sCtx]) assert.equal(S.SetContextAttributes(c, S.SECPKG_ATTR_KEYING_MATERIAL_INFO, info, 40), S.SEC_E_OK);
  const km2 = new S.SecPkgContext_KeyingMaterial();
  assert.equal(S.QueryContextAttributes(p.cCtx, S.SECPKG_ATTR_KEYING_MATERIAL, km), S.SEC_E_OK);
  assert.equal(S.QueryContextAttributes(p.sCtx, S.SECPKG_ATTR_KEYING_MATERIAL, km2), S.SEC_E_OK);
  assert.equal(km.cbKeyingMaterial, 32);
  assert.deepEqual(km.pbKeyingMaterial, km2.pbKeyingMaterial);
  for (const attr of [S.SECPKG_ATTR_CIPHER_INFO, S.SECPKG_ATTR_SESSION_INFO, S.SECPKG_ATTR_NEGOTIATED_TLS_EXTENSIONS, S.SECPKG_ATTR_SUPPORTED_SIGNATURES, S.SECPKG_ATTR_ISSUER_LIST_EX, S.SECPKG_ATTR_ENDPOINT_BINDINGS, S.SECPKG_ATTR_KEY_INFO, S.SECPKG_ATTR_CONNECTION_INFO_EX]) {
    assert.equal(S.QueryContextAttributes(p.cCtx, attr, {}), S.SEC_E_OK, `attribute 0x${attr.toString(16)}`);
  }
  const local = new S.Ref<S.CertContext | null>(null);
  assert.equal(S.QueryContextAttributes(p.sCtx, S.SECPKG_ATTR_LOCAL_CERT_CONTEXT, local), S.SEC_E_OK);
});

test('every engine error reason maps to an SSPI error status', () => {
  const reasons = [
    ...Object.keys(PeerMisbehaved).map((r) => misbehaved(r as keyof typeof PeerMisbehaved)),
    ...Object.keys(PeerIncompatible).map((r) => incompatible(r as keyof typeof PeerIncompatible)),
    ...Object.keys(BadCertificate).map((r) => badCertificate(r as keyof typeof BadCertificate)),
    ...Object.keys(LimitExceeded).map((r) => limitExceeded(r as keyof typeof LimitExceeded)),
  ];
  for (const e of reasons) for (const side of ['client', 'server'] as const) assert.ok(!S.SEC_SUCCESS(S.statusForError(e, side)), e.reason);
  assert.equal(S.statusForError(badCertificate('Expired'), 'client'), S.SEC_E_CERT_EXPIRED);
  assert.equal(S.statusForError(badCertificate('UnknownIssuer'), 'client'), S.SEC_E_UNTRUSTED_ROOT);
  assert.equal(S.statusForError(badCertificate('WrongName'), 'client'), S.SEC_E_WRONG_PRINCIPAL);
  assert.equal(S.statusForError(badCertificate('Expired'), 'server'), S.SEC_E_LOGON_DENIED);
  assert.equal(S.statusForError(badCertificate('RevocationUnknown'), 'client'), S.CRYPT_E_NO_REVOCATION_CHECK);
  assert.equal(S.statusForError(incompatible('NoApplicationProtocol'), 'server'), S.SEC_E_APPLICATION_PROTOCOL_MISMATCH);
  assert.equal(S.statusForReceivedAlert(120), S.SEC_E_APPLICATION_PROTOCOL_MISMATCH);
  assert.equal(S.statusForReceivedAlert(51), S.SEC_E_DECRYPT_FAILURE);
});

// ---- credential-bound configuration and session cache (resumption across contexts) ------------------------

const sessionFlags = (ctx: S.CtxtHandle): number => {
  const si = new S.SecPkgContext_SessionInfo();
  assert.equal(S.QueryContextAttributes(ctx, S.SECPKG_ATTR_SESSION_INFO, si), S.SEC_E_OK);
  return si.dwFlags;
};
const protocolOf = (ctx: S.CtxtHandle): number => {
  const ci = new S.SecPkgContext_ConnectionInfo();
  assert.equal(S.QueryContextAttributes(ctx, S.SECPKG_ATTR_CONNECTION_INFO, ci), S.SEC_E_OK);
  return ci.dwProtocol;
};

test('TLS 1.3 resumption across contexts: same credentials and target → SSL_SESSION_RECONNECT on both sides', () => {
  const cCred = clientCred();
  const sCred = serverCred();
  const p1 = handshake({ cCred, sCred });
  assert.equal(sessionFlags(p1.cCtx), 0);
  assert.equal(sessionFlags(p1.sCtx), 0);
  // The tickets arrive after the handshake: DecryptMessage → SEC_I_RENEGOTIATE → ISC stores them in the credential.
  const d = decryptAll(p1.cCtx, cCred, 'client', p1.toClient);
  assert.ok(d.statuses.includes(S.SEC_I_RENEGOTIATE));
  const p2 = handshake({ cCred, sCred });
  assert.equal(sessionFlags(p2.cCtx), S.SSL_SESSION_RECONNECT);
  assert.equal(sessionFlags(p2.sCtx), S.SSL_SESSION_RECONNECT);
  assert.equal(protocolOf(p2.cCtx), S.SP_PROT_TLS1_3_CLIENT);
  // The resumed context still carries the server's certificate and works for data.
  const rc = new S.Ref<S.CertContext | null>(null);
  assert.equal(S.QueryContextAttributes(p2.cCtx, S.SECPKG_ATTR_REMOTE_CERT_CONTEXT, rc), S.SEC_E_OK);
  decryptAll(p2.cCtx, cCred, 'client', p2.toClient);
  assert.equal(decryptAll(p2.sCtx, sCred, 'server', encrypt(p2.cCtx, 'resumed')).text, 'resumed');
  // Another target name has no session; another server credential has other ticket keys (full handshake).
  assert.equal(sessionFlags(handshake({ cCred, sCred, target: '127.0.0.1' }).cCtx), 0);
  const p4 = handshake({ cCred, sCred: serverCred() });
  assert.equal(sessionFlags(p4.cCtx), 0);
  assert.equal(sessionFlags(p4.sCtx), 0);
});

test('SCH_CRED_DISABLE_RECONNECTS on the server: no tickets, the next context is a full handshake', () => {
  const cCred = clientCred();
  const sCred = serverCred({ flags: S.SCH_CRED_DISABLE_RECONNECTS });
  const p1 = handshake({ cCred, sCred });
  assert.equal(p1.toClient.length, 0, 'no NewSessionTicket');
  const p2 = handshake({ cCred, sCred });
  assert.equal(sessionFlags(p2.cCtx), 0);
  assert.equal(sessionFlags(p2.sCtx), 0);
});

test('the prepared configuration is made once per credential (at ACH), not per context; the session cache is bounded', () => {
  const cCred = clientCred();
  const sCred = serverCred();
  const c = lookupCredential(cCred);
  const sv = lookupCredential(sCred);
  const client = c?.cache.client;
  const server = sv?.cache.server;
  assert.ok(client !== undefined && server !== undefined);
  for (let i = 0; i < 3; i++) decryptAll(handshake({ cCred, sCred }).cCtx, cCred, 'client', new Uint8Array(0));
  assert.equal(c?.cache.client, client, 'client configuration not re-prepared');
  assert.equal(sv?.cache.server, server, 'server configuration (and its ticket keys) not re-prepared');
  const ticket = { serverName: 'x', data: new Uint8Array(1), expiresAt: Date.now() + 60_000 };
  for (let i = 0; i < MAX_SESSION_TARGETS + 10; i++) for (let k = 0; k < MAX_TICKETS_PER_TARGET + 2; k++) storeSession(c as Credential, `host${i}`, false, ticket);
  assert.equal(c?.cache.sessions.size, MAX_SESSION_TARGETS);
  for (const l of c?.cache.sessions.values() ?? []) assert.equal(l.length, MAX_TICKETS_PER_TARGET);
});

// ---- TLS 1.2 ---------------------------------------------------------------------------------------------

test('TLS 1.2 (SP_PROT_TLS1_2_SERVER): handshake, CONNECTION_INFO, STREAM_SIZES 13/16 for AES-GCM, record layout', () => {
  const sCred = serverCred({ protocols: S.SP_PROT_TLS1_2 });
  const cCred = clientCred();
  const p = handshake({ cCred, sCred });
  assert.equal(protocolOf(p.cCtx), S.SP_PROT_TLS1_2_CLIENT);
  assert.equal(protocolOf(p.sCtx), S.SP_PROT_TLS1_2_SERVER);
  const sizes = new S.SecPkgContext_StreamSizes();
  for (const c of [p.cCtx, p.sCtx]) {
    assert.equal(S.QueryContextAttributes(c, S.SECPKG_ATTR_STREAM_SIZES, sizes), S.SEC_E_OK);
    assert.deepEqual([sizes.cbHeader, sizes.cbTrailer, sizes.cbMaximumMessage, sizes.cBuffers, sizes.cbBlockSize], [13, 16, 16384, 4, 16]);
  }
  decryptAll(p.cCtx, cCred, 'client', p.toClient);
  const rec = encrypt(p.cCtx, 'tls12');
  assert.equal(rec.length, 13 + 5 + 16);
  assert.deepEqual([...rec.subarray(0, 3)], [23, 3, 3]);
  const two = cat(rec, encrypt(p.cCtx, 'more'));
  const msg = new S.SecBufferDesc([new S.SecBuffer(two.length, S.SECBUFFER_DATA, two), new S.SecBuffer(), new S.SecBuffer(), new S.SecBuffer()]);
  assert.equal(S.DecryptMessage(p.sCtx, msg, 0, null), S.SEC_E_OK);
  const [h, d, t, x] = msg.pBuffers as [S.SecBuffer, S.SecBuffer, S.SecBuffer, S.SecBuffer];
  assert.deepEqual([h.BufferType, h.cbBuffer, d.cbBuffer, t.BufferType, t.cbBuffer, x.BufferType, x.cbBuffer], [S.SECBUFFER_STREAM_HEADER, 13, 5, S.SECBUFFER_STREAM_TRAILER, 16, S.SECBUFFER_EXTRA, two.length - rec.length]);
  assert.equal(new TextDecoder().decode(bytesOf(d)), 'tls12');
  assert.equal(decryptAll(p.cCtx, cCred, 'client', encrypt(p.sCtx, 'back')).text, 'back');
  // Resumption (TLS 1.2 session): the second context with the same credentials reconnects.
  const p2 = handshake({ cCred, sCred });
  assert.equal(sessionFlags(p2.cCtx), S.SSL_SESSION_RECONNECT);
  assert.equal(sessionFlags(p2.sCtx), S.SSL_SESSION_RECONNECT);
  const ext = new S.SecPkgContext_NegotiatedTlsExtensions();
  assert.equal(S.QueryContextAttributes(p2.cCtx, S.SECPKG_ATTR_NEGOTIATED_TLS_EXTENSIONS, ext), S.SEC_E_OK);
});

test('TLS 1.2 ChaCha20-Poly1305 (AES disabled by CRYPTO_SETTINGS): STREAM_SIZES 5/16, data both ways', () => {
  const cs = new S.CRYPTO_SETTINGS();
  cs.eAlgorithmUsage = S.TlsParametersCngAlgUsageCipher;
  cs.strCngAlgId = 'AES';
  const tp = new S.TLS_PARAMETERS();
  tp.grbitDisabledProtocols = S.SP_PROT_TLS1_3;
  tp.cDisabledCrypto = 1;
  tp.pDisabledCrypto = [cs];
  const sCred = serverCred({ params: [tp] });
  const cCred = clientCred(false, 0, S.SP_PROT_TLS1_2_CLIENT);
  const p = handshake({ cCred, sCred });
  const ci = new S.SecPkgContext_CipherInfo();
  assert.equal(S.QueryContextAttributes(p.cCtx, S.SECPKG_ATTR_CIPHER_INFO, ci), S.SEC_E_OK);
  assert.match(ci.szCipherSuite, /CHACHA20_POLY1305/);
  assert.equal(ci.dwProtocol, 0x0303);
  const sizes = new S.SecPkgContext_StreamSizes();
  assert.equal(S.QueryContextAttributes(p.sCtx, S.SECPKG_ATTR_STREAM_SIZES, sizes), S.SEC_E_OK);
  assert.deepEqual([sizes.cbHeader, sizes.cbTrailer, sizes.cbBlockSize], [5, 16, 1]);
  decryptAll(p.cCtx, cCred, 'client', p.toClient);
  const rec = encrypt(p.cCtx, 'chacha');
  assert.equal(rec.length, 5 + 6 + 16);
  assert.equal(decryptAll(p.sCtx, sCred, 'server', rec).text, 'chacha');
});

// ---- client certificates: SEC_I_INCOMPLETE_CREDENTIALS (§6.4) ---------------------------------------------

for (const version of ['TLS 1.3', 'TLS 1.2'] as const) {
  test(`§6.4 ${version}: CertificateRequest without a client certificate → SEC_I_INCOMPLETE_CREDENTIALS, ISSUER_LIST_EX, retry with USE_SUPPLIED_CREDS`, () => {
    const sCred = serverCred({ mutual: true, ...(version === 'TLS 1.2' ? { protocols: S.SP_PROT_TLS1_2 } : {}) });
    const cCred = clientCred(false, S.SCH_CRED_NO_DEFAULT_CREDS); // curl's credential: still reported
    const cCtx = new S.CtxtHandle();
    const sCtx = new S.CtxtHandle();
    const req = ISC_REQ | S.ISC_REQ_ALLOCATE_MEMORY;
    const areq = ASC_REQ | S.ASC_REQ_ALLOCATE_MEMORY | S.ASC_REQ_MUTUAL_AUTH;
    let out = tokenOut();
    assert.equal(S.InitializeSecurityContext(cCred, null, 'localhost', req, 0, 0, null, 0, cCtx, out, new S.ULONG(), null), S.SEC_I_CONTINUE_NEEDED);
    const hello = bytesOf(out.pBuffers[0] as S.SecBuffer);
    out = tokenOut();
    assert.equal(S.AcceptSecurityContext(sCred, null, tokenIn(hello), areq, 0, sCtx, out, new S.ULONG(), null), S.SEC_I_CONTINUE_NEEDED);
    const flight = bytesOf(out.pBuffers[0] as S.SecBuffer);
    out = tokenOut();
    assert.equal(S.InitializeSecurityContext(cCred, cCtx, 'localhost', req, 0, 0, tokenIn(flight), 0, null, out, new S.ULONG(), null), S.SEC_I_INCOMPLETE_CREDENTIALS);
    assert.equal((out.pBuffers[0] as S.SecBuffer).cbBuffer, 0, 'no output with INCOMPLETE_CREDENTIALS');
    const il = new S.SecPkgContext_IssuerListInfoEx();
    assert.equal(S.QueryContextAttributes(cCtx, S.SECPKG_ATTR_ISSUER_LIST_EX, il), S.SEC_E_OK);
    assert.equal(il.cIssuers, 1);
    assert.deepEqual(il.aIssuers?.[0], S.CertContext.fromPem(pki.ca.certPem).pCertInfo?.subject.der);
    // Retry (curl): same input again, now with ISC_REQ_USE_SUPPLIED_CREDS → the client flight with an empty Certificate.
    out = tokenOut();
    const inp = tokenIn(flight);
    const st = S.InitializeSecurityContext(cCred, cCtx, 'localhost', req | S.ISC_REQ_USE_SUPPLIED_CREDS, 0, 0, inp, 0, null, out, new S.ULONG(), null);
    assert.equal(st, version === 'TLS 1.3' ? S.SEC_E_OK : S.SEC_I_CONTINUE_NEEDED);
    assert.equal((inp.pBuffers[1] as S.SecBuffer).BufferType, S.SECBUFFER_EMPTY, 'the re-sent bytes are not EXTRA');
    const reply = bytesOf(out.pBuffers[0] as S.SecBuffer);
    assert.ok(reply.length > 0);
    // The server asked with ASC_REQ_MUTUAL_AUTH: the handshake completes without a certificate (boost-wintls
    // "openssl client missing certificate on wintls server"); the server finds out from REMOTE_CERT_CONTEXT.
    assert.equal(S.AcceptSecurityContext(sCred, sCtx, tokenIn(reply), areq, 0, null, tokenOut(), new S.ULONG(), null), S.SEC_E_OK);
    assert.equal(S.QueryContextAttributes(sCtx, S.SECPKG_ATTR_REMOTE_CERT_CONTEXT, new S.Ref<S.CertContext | null>(null)), S.SEC_E_NO_CREDENTIALS);
  });
}

for (const version of ['TLS 1.3', 'TLS 1.2'] as const) {
  test(`§6.4 ${version}: after SEC_I_INCOMPLETE_CREDENTIALS the caller retries with a new credential that has a certificate → SEC_E_OK, the server maps it`, () => {
    const sCred = serverCred({ mutual: true, mappers: [S.mapBySubject()], ...(version === 'TLS 1.2' ? { protocols: S.SP_PROT_TLS1_2 } : {}) });
    const noCert = clientCred(false);
    const withCert = clientCred(true);
    const cCtx = new S.CtxtHandle();
    const sCtx = new S.CtxtHandle();
    const req = ISC_REQ | S.ISC_REQ_ALLOCATE_MEMORY;
    const areq = ASC_REQ | S.ASC_REQ_ALLOCATE_MEMORY | S.ASC_REQ_MUTUAL_AUTH;
    let out = tokenOut();
    assert.equal(S.InitializeSecurityContext(noCert, null, 'localhost', req, 0, 0, null, 0, cCtx, out, new S.ULONG(), null), S.SEC_I_CONTINUE_NEEDED);
    const hello = bytesOf(out.pBuffers[0] as S.SecBuffer);
    out = tokenOut();
    assert.equal(S.AcceptSecurityContext(sCred, null, tokenIn(hello), areq, 0, sCtx, out, new S.ULONG(), null), S.SEC_I_CONTINUE_NEEDED);
    const flight = bytesOf(out.pBuffers[0] as S.SecBuffer);
    out = tokenOut();
    assert.equal(S.InitializeSecurityContext(noCert, cCtx, 'localhost', req, 0, 0, tokenIn(flight), 0, null, out, new S.ULONG(), null), S.SEC_I_INCOMPLETE_CREDENTIALS);
    // SSPI.md §6.4 (a): acquire a credential with a certificate and call again with it.
    out = tokenOut();
    const st = S.InitializeSecurityContext(withCert, cCtx, 'localhost', req, 0, 0, tokenIn(flight), 0, null, out, new S.ULONG(), null);
    assert.equal(st, version === 'TLS 1.3' ? S.SEC_E_OK : S.SEC_I_CONTINUE_NEEDED);
    const reply = bytesOf(out.pBuffers[0] as S.SecBuffer);
    out = tokenOut();
    const sst = S.AcceptSecurityContext(sCred, sCtx, tokenIn(reply), areq, 0, null, out, new S.ULONG(), null);
    assert.equal(sst, S.SEC_E_OK);
    if (version === 'TLS 1.2') {
      assert.equal(S.InitializeSecurityContext(withCert, cCtx, 'localhost', req, 0, 0, tokenIn(bytesOf(out.pBuffers[0] as S.SecBuffer)), 0, null, tokenOut(), new S.ULONG(), null), S.SEC_E_OK);
    }
    const remote = new S.Ref<S.CertContext | null>(null);
    assert.equal(S.QueryContextAttributes(sCtx, S.SECPKG_ATTR_REMOTE_CERT_CONTEXT, remote), S.SEC_E_OK);
    assert.deepEqual(remote.value?.pbCertEncoded, pki.client.certDer);
  });
}

test('§6.4 with a client certificate or ISC_REQ_USE_SUPPLIED_CREDS up front: no SEC_I_INCOMPLETE_CREDENTIALS', () => {
  const p = handshake({ mutual: true, clientCert: true, mappers: [S.mapBySubject()] });
  assert.ok((p.serverAttr & S.ASC_RET_MUTUAL_AUTH) !== 0);
  const il = new S.SecPkgContext_IssuerListInfoEx();
  assert.equal(S.QueryContextAttributes(p.cCtx, S.SECPKG_ATTR_ISSUER_LIST_EX, il), S.SEC_E_OK);
  assert.equal(il.cIssuers, 1);
});

// ---- server certificate validation: NO_SERVERNAME_CHECK, manual validation, CERT_CHECK_RESULT -------------

const certCheck = (ctx: S.CtxtHandle): [number, number] => {
  const r = new S.SecPkgContext_CertificateValidationResult();
  assert.equal(S.QueryContextAttributes(ctx, S.SECPKG_ATTR_CERT_CHECK_RESULT, r), S.SEC_E_OK);
  return [r.dwChainErrorStatus, r.hrVerifyChainStatus >>> 0];
};

test('SCH_CRED_NO_SERVERNAME_CHECK validates the chain but not the name', () => {
  const wrong = serverCred({ leaf: pki.wrongHost });
  assert.throws(() => handshake({ sCred: wrong }), /ISC 80090322/); // SEC_E_WRONG_PRINCIPAL
  const p = handshake({ sCred: wrong, cCred: clientCred(false, S.SCH_CRED_NO_SERVERNAME_CHECK) });
  assert.deepEqual(certCheck(p.cCtx), [0, 0]);
  // The chain is still validated: an unknown CA fails.
  assert.throws(() => handshake({ sCred: serverCred({ leaf: pki.untrustedServer }), cCred: clientCred(false, S.SCH_CRED_NO_SERVERNAME_CHECK) }), /ISC 80090325/); // SEC_E_UNTRUSTED_ROOT
});

test('manual validation (SCH_CRED_MANUAL_CRED_VALIDATION): handshake completes, CERT_CHECK_RESULT reports the failure', () => {
  const p = handshake({ sCred: serverCred({ leaf: pki.untrustedServer }), cCred: clientCred(false, S.SCH_CRED_MANUAL_CRED_VALIDATION) });
  const [bits, hr] = certCheck(p.cCtx);
  assert.ok(hr === S.CERT_E_UNTRUSTEDROOT || hr === S.CERT_E_CHAINING, hr.toString(16));
  assert.notEqual(bits, 0);
  const w = handshake({ sCred: serverCred({ leaf: pki.wrongHost }), cCred: clientCred(false, S.SCH_CRED_MANUAL_CRED_VALIDATION) });
  assert.deepEqual(certCheck(w.cCtx), [0, S.CERT_E_CN_NO_MATCH]);
  const ok = handshake();
  assert.deepEqual(certCheck(ok.cCtx), [0, 0]);
  assert.equal(S.QueryContextAttributes(ok.cCtx, S.SECPKG_ATTR_CERT_CHECK_RESULT_INPROC, new S.SecPkgContext_CertificateValidationResult()), S.SEC_E_OK);
});

test('§6.5 TLS 1.3 post-handshake CertificateRequest: SEC_I_RENEGOTIATE, ISSUER_LIST_EX from the event, certificate sent', () => {
  const sCred = serverCred({ mutual: true, mappers: [S.mapBySubject()] });
  const p = handshake({ clientCert: true, sCred });
  decryptAll(p.cCtx, p.cCred, 'client', p.toClient);
  const out = tokenOut();
  const areq = ASC_REQ | S.ASC_REQ_ALLOCATE_MEMORY | S.ASC_REQ_MUTUAL_AUTH;
  assert.equal(S.AcceptSecurityContext(sCred, p.sCtx, tokenIn(new Uint8Array(0)), areq, 0, null, out, new S.ULONG(), null), S.SEC_I_CONTINUE_NEEDED);
  const rec = bytesOf(out.pBuffers[0] as S.SecBuffer);
  const msg = new S.SecBufferDesc([new S.SecBuffer(rec.length, S.SECBUFFER_DATA, rec), new S.SecBuffer(), new S.SecBuffer(), new S.SecBuffer()]);
  assert.equal(S.DecryptMessage(p.cCtx, msg, 0, null), S.SEC_I_RENEGOTIATE);
  const il = new S.SecPkgContext_IssuerListInfoEx();
  assert.equal(S.QueryContextAttributes(p.cCtx, S.SECPKG_ATTR_ISSUER_LIST_EX, il), S.SEC_E_OK);
  assert.deepEqual(il.aIssuers?.[0], S.CertContext.fromPem(pki.ca.certPem).pCertInfo?.subject.der);
  const cout = tokenOut();
  assert.equal(S.InitializeSecurityContext(p.cCred, p.cCtx, 'localhost', ISC_REQ | S.ISC_REQ_ALLOCATE_MEMORY, 0, 0, tokenIn(new Uint8Array(0)), 0, null, cout, new S.ULONG(), null), S.SEC_E_OK);
  const reply = bytesOf(cout.pBuffers[0] as S.SecBuffer);
  assert.ok(reply.length > 0, 'Certificate, CertificateVerify, Finished');
  const d = decryptAll(p.sCtx, sCred, 'server', reply);
  assert.ok(d.statuses.includes(S.SEC_I_RENEGOTIATE));
  const tok = new S.Ref<S.AccessToken | null>(null);
  assert.equal(S.QuerySecurityContextToken(p.sCtx, tok), S.SEC_E_OK);
  assert.match(tok.value?.userName ?? '', /CN=/);
});

// ---- channel bindings, remote chain, key info (§8.27–29, §8.32) ------------------------------------------------

/** root (RSA) → intermediate (RSA) → localhost leaves signed with SHA-256 (RSA key), SHA-384, SHA-512 and SHA-1. */
interface ChainPki {
  readonly t: TestPki;
  readonly root: PkiCert;
  readonly inter: PkiCert;
  readonly leaf: PkiCert;
  readonly leaf384: PkiCert;
  readonly leaf512: PkiCert;
  readonly leafSha1: PkiCert;
}
let chainPkiCache: ChainPki | undefined;
function chainPki(): ChainPki {
  if (chainPkiCache !== undefined) return chainPkiCache;
  const t = new TestPki();
  const root = t.issue({ name: 'root', subject: '/CN=SSPI Chain Root', key: 'rsa2048', ext: caExt() });
  const inter = t.issue({ name: 'inter', subject: '/CN=SSPI Chain Intermediate', key: 'rsa2048', issuer: root, ext: caExt(0) });
  const leafOf = (name: string, md: string, key: 'rsa2048' | 'p256'): PkiCert => t.issue({ name, subject: '/CN=localhost', key, issuer: inter, ext: serverExt('DNS:localhost'), md });
  chainPkiCache = { t, root, inter, leaf: leafOf('leaf', 'sha256', 'rsa2048'), leaf384: leafOf('leaf384', 'sha384', 'p256'), leaf512: leafOf('leaf512', 'sha512', 'p256'), leafSha1: leafOf('leafsha1', 'sha1', 'p256') };
  return chainPkiCache;
}
after(() => chainPkiCache?.t.cleanup());

/** A server credential sending leaf + intermediate + root. */
function chainServerCred(leaf: PkiCert, protocols?: number): S.CredHandle {
  const c = chainPki();
  const cert = S.CertContext.fromPem(leaf.pem + c.inter.pem + c.root.pem, readFileSync(leaf.keyPath, 'utf8'));
  return serverCred({ cert, ...(protocols !== undefined ? { protocols } : {}) });
}

function chainClientCred(): S.CredHandle {
  const sch = new S.SCH_CREDENTIALS();
  sch.hRootStore = S.CertStore.fromDer([chainPki().root.der]);
  const h = new S.CredHandle();
  assert.equal(S.AcquireCredentialsHandle(null, S.UNISP_NAME, S.SECPKG_CRED_OUTBOUND, null, sch, null, null, h, null), S.SEC_E_OK);
  return h;
}

const utf8 = (t: string): Uint8Array => new TextEncoder().encode(t);

/** The SEC_CHANNEL_BINDINGS container (32-byte header, little-endian DWORDs) with `prefix ‖ data`, as SSPI.md §4.7. */
function expectedBindings(prefix: string, data: Uint8Array): Uint8Array {
  const app = cat(utf8(prefix), data);
  const out = new Uint8Array(32 + app.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(24, app.length, true); // cbApplicationDataLength
  dv.setUint32(28, 32, true); // dwApplicationDataOffset = sizeof(SEC_CHANNEL_BINDINGS)
  out.set(app, 32);
  return out;
}

function queryBindings(ctx: S.CtxtHandle, attr: number): { status: number; b: S.SecPkgContext_Bindings } {
  const b = new S.SecPkgContext_Bindings();
  return { status: S.QueryContextAttributes(ctx, attr, b), b };
}

/** Handshake messages of the plaintext records in `wire`, up to the first change_cipher_spec. */
function handshakeBytes(wire: Uint8Array): Uint8Array {
  let out: Uint8Array = new Uint8Array(0);
  for (let o = 0; o + 5 <= wire.length; ) {
    const type = wire[o] as number;
    const len = ((wire[o + 3] as number) << 8) | (wire[o + 4] as number);
    if (type === 20) break;
    if (type === 22) out = cat(out, wire.subarray(o + 5, o + 5 + len));
    o += 5 + len;
  }
  return out;
}

/** RFC 5246 §5 PRF (P_hash) with node:crypto, independent of src/. */
function prf12(hash: 'sha256' | 'sha384', secret: Uint8Array, label: string, seed: Uint8Array, n: number): Uint8Array {
  const ls = cat(utf8(label), seed);
  let a: Uint8Array = ls;
  let out: Uint8Array = new Uint8Array(0);
  while (out.length < n) {
    a = createHmac(hash, secret).update(a).digest();
    out = cat(out, createHmac(hash, secret).update(cat(a, ls)).digest());
  }
  return out.subarray(0, n);
}

const fromHex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));

test('§8.27 REMOTE_CERT_CONTEXT: hCertStore holds the whole chain the server sent (leaf, intermediate, root)', () => {
  const c = chainPki();
  for (const protocols of [S.SP_PROT_TLS1_2, S.SP_PROT_TLS1_3]) {
    const p = handshake({ cCred: chainClientCred(), sCred: chainServerCred(c.leaf, protocols) });
    assert.equal(protocolOf(p.cCtx), protocols === S.SP_PROT_TLS1_2 ? S.SP_PROT_TLS1_2_CLIENT : S.SP_PROT_TLS1_3_CLIENT);
    const remote = new S.Ref<S.CertContext | null>(null);
    assert.equal(S.QueryContextAttributes(p.cCtx, S.SECPKG_ATTR_REMOTE_CERT_CONTEXT, remote), S.SEC_E_OK);
    assert.deepEqual(remote.value?.pbCertEncoded, c.leaf.der);
    assert.equal(remote.value?.cbCertEncoded, c.leaf.der.length);
    assert.deepEqual(remote.value?.hCertStore.certificates, [c.leaf.der, c.inter.der, c.root.der]);
    assert.equal(S.CertFreeCertificateContext(remote.value), true);
  }
});

test('§8.28 ENDPOINT_BINDINGS: "tls-server-end-point:" ‖ hash(server cert) on both sides, TLS 1.2 ECDHE-RSA and TLS 1.3', () => {
  const c = chainPki();
  const cases: [PkiCert, number, 'sha256' | 'sha384'][] = [
    [c.leaf, S.SP_PROT_TLS1_2, 'sha256'],
    [c.leaf, S.SP_PROT_TLS1_3, 'sha256'],
    [c.leaf384, S.SP_PROT_TLS1_3, 'sha384'],
  ];
  for (const [leaf, protocols, hash] of cases) {
    const p = handshake({ cCred: chainClientCred(), sCred: chainServerCred(leaf, protocols) });
    if (protocols === S.SP_PROT_TLS1_2) {
      const ci = new S.SecPkgContext_CipherInfo();
      assert.equal(S.QueryContextAttributes(p.cCtx, S.SECPKG_ATTR_CIPHER_INFO, ci), S.SEC_E_OK);
      assert.match(ci.szCipherSuite, /^TLS_ECDHE_RSA_WITH_/);
    }
    const digest = new Uint8Array(createHash(hash).update(leaf.der).digest());
    const expected = expectedBindings('tls-server-end-point:', digest);
    for (const ctx of [p.cCtx, p.sCtx]) {
      const { status, b } = queryBindings(ctx, S.SECPKG_ATTR_ENDPOINT_BINDINGS);
      assert.equal(status, S.SEC_E_OK);
      assert.equal(b.BindingsLength, 32 + 21 + (hash === 'sha256' ? 32 : 48));
      assert.deepEqual(b.Bindings, expected);
      assert.equal(S.FreeContextBuffer(b.Bindings), S.SEC_E_OK);
    }
  }
  // RFC 5929 §4.1: SHA-1 (and MD5) signatures → SHA-256; SHA-384/512 signatures → that hash.
  assert.equal(S.endPointHash(c.leafSha1.der), 'sha256');
  assert.equal(S.endPointHash(c.leaf.der), 'sha256');
  assert.equal(S.endPointHash(c.leaf384.der), 'sha384');
  assert.equal(S.endPointHash(c.leaf512.der), 'sha512');
  // Before the handshake completes: SEC_E_INVALID_HANDLE like the other connection attributes.
  const cCtx = new S.CtxtHandle();
  assert.equal(S.InitializeSecurityContext(chainClientCred(), null, 'localhost', ISC_REQ | S.ISC_REQ_ALLOCATE_MEMORY, 0, 0, null, 0, cCtx, tokenOut(), new S.ULONG(), null), S.SEC_I_CONTINUE_NEEDED);
  assert.equal(queryBindings(cCtx, S.SECPKG_ATTR_ENDPOINT_BINDINGS).status, S.SEC_E_INVALID_HANDLE);
  assert.equal(queryBindings(cCtx, S.SECPKG_ATTR_UNIQUE_BINDINGS).status, S.SEC_E_INVALID_HANDLE);
});

test('§8.29 UNIQUE_BINDINGS (TLS 1.2): "tls-unique:" ‖ client Finished (full), server Finished (abbreviated); TLS 1.3 → UNSUPPORTED', () => {
  const c = chainPki();
  const cCred = chainClientCred();
  const sCred = chainServerCred(c.leaf, S.SP_PROT_TLS1_2);
  const keyLog: string[] = [];
  const cred = lookupCredential(cCred) as Credential;
  assert.ok(cred.cache.client !== undefined);
  cred.cache.client = { ...cred.cache.client, keyLog: (l: string) => keyLog.push(l) };
  for (const resumed of [false, true]) {
    const tokens: { from: 'client' | 'server'; bytes: Uint8Array }[] = [];
    const p = handshake({ cCred, sCred, onWire: (from, bytes) => { if (bytes.length > 0) tokens.push({ from, bytes }); } });
    assert.equal(sessionFlags(p.cCtx), resumed ? S.SSL_SESSION_RECONNECT : 0);
    const ci = new S.SecPkgContext_CipherInfo();
    assert.equal(S.QueryContextAttributes(p.cCtx, S.SECPKG_ATTR_CIPHER_INFO, ci), S.SEC_E_OK);
    const hash = ci.szCipherSuite.endsWith('SHA384') ? 'sha384' : 'sha256';
    // Recompute the first Finished from the wire and the key log (RFC 5246 §7.4.9).
    const line = keyLog.at(-1)?.split(' ') ?? [];
    const master = fromHex(line[2] ?? '');
    const clientWire = tokens.filter((t) => t.from === 'client');
    const serverWire = tokens.filter((t) => t.from === 'server');
    const clientHello = handshakeBytes((clientWire[0] as { bytes: Uint8Array }).bytes);
    const serverFlight = handshakeBytes((serverWire[0] as { bytes: Uint8Array }).bytes);
    let transcript = cat(clientHello, serverFlight);
    if (!resumed) transcript = cat(transcript, handshakeBytes(clientWire.slice(1).reduce<Uint8Array>((a, t) => cat(a, t.bytes), new Uint8Array(0))));
    const verifyData = prf12(hash, master, resumed ? 'server finished' : 'client finished', new Uint8Array(createHash(hash).update(transcript).digest()), 12);
    const expected = expectedBindings('tls-unique:', verifyData);
    for (const ctx of [p.cCtx, p.sCtx]) {
      const { status, b } = queryBindings(ctx, S.SECPKG_ATTR_UNIQUE_BINDINGS);
      assert.equal(status, S.SEC_E_OK);
      assert.equal(b.BindingsLength, 32 + 11 + 12);
      assert.deepEqual(b.Bindings, expected);
    }
  }
  const p13 = handshake({ cCred: chainClientCred(), sCred: chainServerCred(c.leaf, S.SP_PROT_TLS1_3) });
  for (const ctx of [p13.cCtx, p13.sCtx]) assert.equal(queryBindings(ctx, S.SECPKG_ATTR_UNIQUE_BINDINGS).status, S.SEC_E_UNSUPPORTED_FUNCTION);
});

test('§8.32 KEY_INFO: signature algorithm from the server certificate, key size and cipher from the suite', () => {
  const c = chainPki();
  const cases: [S.CredHandle, S.CredHandle, string, number][] = [
    [chainClientCred(), chainServerCred(c.leaf, S.SP_PROT_TLS1_2), 'RSA', S.CALG_RSA_SIGN],
    [chainClientCred(), chainServerCred(c.leaf, S.SP_PROT_TLS1_3), 'RSA', S.CALG_RSA_SIGN],
    [clientCred(), serverCred({ protocols: S.SP_PROT_TLS1_2 }), 'ECDSA', S.CALG_ECDSA],
    [clientCred(), serverCred(), 'ECDSA', S.CALG_ECDSA],
  ];
  for (const [cCred, sCred, name, alg] of cases) {
    const p = handshake({ cCred, sCred });
    for (const ctx of [p.cCtx, p.sCtx]) {
      const ci = new S.SecPkgContext_CipherInfo();
      assert.equal(S.QueryContextAttributes(ctx, S.SECPKG_ATTR_CIPHER_INFO, ci), S.SEC_E_OK);
      const ki = new S.SecPkgContext_KeyInfo();
      assert.equal(S.QueryContextAttributes(ctx, S.SECPKG_ATTR_KEY_INFO, ki), S.SEC_E_OK);
      const aes = ci.szCipher === 'AES';
      assert.deepEqual(
        [ki.sSignatureAlgorithmName, ki.SignatureAlgorithm, ki.KeySize, ki.sEncryptAlgorithmName, ki.EncryptAlgorithm],
        [name, alg, ci.dwCipherLen, ci.szCipher, aes ? (ci.dwCipherLen === 128 ? S.CALG_AES_128 : S.CALG_AES_256) : 0],
      );
      assert.ok(ki.KeySize >= 128);
    }
  }
});

test('§8.26 (refused): ISC on an established TLS 1.2 context with NULL input and a new credential → SEC_E_OK, no ClientHello', () => {
  const p = handshake({ sCred: serverCred({ protocols: S.SP_PROT_TLS1_2 }) });
  assert.equal(protocolOf(p.cCtx), S.SP_PROT_TLS1_2_CLIENT);
  const out = tokenOut();
  const newCtx = new S.CtxtHandle();
  assert.equal(S.InitializeSecurityContext(clientCred(), p.cCtx, 'localhost', ISC_REQ | S.ISC_REQ_ALLOCATE_MEMORY, 0, 0, null, 0, newCtx, out, new S.ULONG(), null), S.SEC_E_OK);
  assert.equal((out.pBuffers[0] as S.SecBuffer).cbBuffer, 0);
});
