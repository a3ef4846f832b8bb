/**
 * Credential settings as Windows applies them (issue 12, points 3, 4, 5, 9): palgSupportedAlgs and the cipher
 * strengths restrict what is negotiated (nothing usable → SEC_E_ALGORITHM_MISMATCH at AcquireCredentialsHandle),
 * the legacy SCHANNEL_CRED never negotiates TLS 1.3, and the three ways to switch resumption off. Our own client and
 * server in memory; the real-peer versions are in test/consumers/.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { getPki, type Pki } from '../helpers/pki.js';
import * as S from '../../src/sspi/index.js';

let pki: Pki;
before(async () => {
  pki = await getPki();
});

const bytesOf = (b: S.SecBuffer): Uint8Array => (b.pvBuffer === null ? new Uint8Array(0) : b.pvBuffer.slice(0, b.cbBuffer));

function legacy(use: number, algs: number[], extra: Partial<S.SCHANNEL_CRED> = {}, leaf = pki.server.p256): { st: number; h: S.CredHandle } {
  const c = new S.SCHANNEL_CRED();
  c.cSupportedAlgs = algs.length;
  c.palgSupportedAlgs = algs;
  if ((use & S.SECPKG_CRED_INBOUND) !== 0) {
    c.cCreds = 1;
    c.paCred = [S.CertContext.fromPem(leaf.chainPem, leaf.keyPem)];
  } else {
    c.hRootStore = S.CertStore.fromPem(pki.ca.certPem);
  }
  Object.assign(c, extra);
  const h = new S.CredHandle();
  return { st: S.AcquireCredentialsHandle(null, S.UNISP_NAME, use, null, c, null, null, h, null), h };
}

function modern(use: number, leaf = pki.server.p256, flags = 0): S.CredHandle {
  const c = new S.SCH_CREDENTIALS();
  c.dwFlags = flags;
  if ((use & S.SECPKG_CRED_INBOUND) !== 0) {
    c.cCreds = 1;
    c.paCred = [S.CertContext.fromPem(leaf.chainPem, leaf.keyPem)];
  } else {
    c.hRootStore = S.CertStore.fromPem(pki.ca.certPem);
  }
  const h = new S.CredHandle();
  assert.equal(S.AcquireCredentialsHandle(null, S.UNISP_NAME, use, null, c, null, null, h, null), S.SEC_E_OK);
  return h;
}

/** Client and server contexts over memory; returns the status of the last call of each and the contexts. */
export function handshake(cCred: S.CredHandle, sCred: S.CredHandle, target = 'localhost'): { c: S.CtxtHandle; s: S.CtxtHandle; cst: number; sst: number } {
  const c = new S.CtxtHandle();
  const s = new S.CtxtHandle();
  const isc = S.ISC_REQ_CONFIDENTIALITY | S.ISC_REQ_STREAM | S.ISC_REQ_ALLOCATE_MEMORY;
  const asc = S.ASC_REQ_CONFIDENTIALITY | S.ASC_REQ_STREAM | S.ASC_REQ_ALLOCATE_MEMORY;
  let out = new S.SecBufferDesc([new S.SecBuffer(0, S.SECBUFFER_TOKEN, null)]);
  let cst = S.InitializeSecurityContext(cCred, null, target, isc, 0, 0, null, 0, c, out, new S.ULONG(), null);
  let toServer = bytesOf(out.pBuffers[0] as S.SecBuffer);
  let sst = -1;
  let sStarted = false;
  for (let i = 0; i < 8 && (cst === S.SEC_I_CONTINUE_NEEDED || sst === S.SEC_I_CONTINUE_NEEDED); i++) {
    if (toServer.length > 0) {
      out = new S.SecBufferDesc([new S.SecBuffer(0, S.SECBUFFER_TOKEN, null)]);
      const inp = new S.SecBufferDesc([new S.SecBuffer(toServer.length, S.SECBUFFER_TOKEN, toServer), new S.SecBuffer()]);
      sst = S.AcceptSecurityContext(sCred, sStarted ? s : null, inp, asc, 0, s, out, new S.ULONG(), null);
      sStarted = true;
      if (sst !== S.SEC_E_OK && sst !== S.SEC_I_CONTINUE_NEEDED) break;
      const toClient = bytesOf(out.pBuffers[0] as S.SecBuffer);
      if (toClient.length === 0 || cst === S.SEC_E_OK) break;
      out = new S.SecBufferDesc([new S.SecBuffer(0, S.SECBUFFER_TOKEN, null)]);
      const cin = new S.SecBufferDesc([new S.SecBuffer(toClient.length, S.SECBUFFER_TOKEN, toClient), new S.SecBuffer()]);
      cst = S.InitializeSecurityContext(cCred, c, target, isc, 0, 0, cin, 0, null, out, new S.ULONG(), null);
      if (cst !== S.SEC_E_OK && cst !== S.SEC_I_CONTINUE_NEEDED) break;
      toServer = bytesOf(out.pBuffers[0] as S.SecBuffer);
    }
  }
  return { c, s, cst, sst };
}

function cipherInfo(ctx: S.CtxtHandle): S.SecPkgContext_CipherInfo {
  const ci = new S.SecPkgContext_CipherInfo();
  assert.equal(S.QueryContextAttributes(ctx, S.SECPKG_ATTR_CIPHER_INFO, ci), S.SEC_E_OK);
  return ci;
}

// ---- point 3: palgSupportedAlgs, strengths -----------------------------------------------------------------------

test('palgSupportedAlgs: a list that leaves nothing usable fails AcquireCredentialsHandle with SEC_E_ALGORITHM_MISMATCH', () => {
  for (const algs of [[S.CALG_RC2], [S.CALG_RC4, S.CALG_3DES], [S.CALG_AES_256, S.CALG_RSA_KEYX], [S.CALG_AES_128, S.CALG_SHA1], [S.CALG_AES_192], [S.CALG_DSS_SIGN]]) {
    assert.equal(legacy(S.SECPKG_CRED_OUTBOUND, algs).st, S.SEC_E_ALGORITHM_MISMATCH, algs.map((a) => a.toString(16)).join(','));
    assert.equal(legacy(S.SECPKG_CRED_INBOUND, algs).st, S.SEC_E_ALGORITHM_MISMATCH, algs.map((a) => a.toString(16)).join(','));
  }
  // A signature list without the certificate's algorithm leaves no suite for an ECDSA server.
  assert.equal(legacy(S.SECPKG_CRED_OUTBOUND, [S.CALG_AES_128, S.CALG_RSA_SIGN]).st, S.SEC_E_OK);
});

test('palgSupportedAlgs restricts the suite: AES-128 only, AES-256 + SHA-384, RSA signatures only', () => {
  const server = legacy(S.SECPKG_CRED_INBOUND, []).h;
  const cases: [number[], RegExp][] = [
    [[S.CALG_AES_128], /^TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256$/],
    [[S.CALG_AES_256, S.CALG_SHA_384, S.CALG_ECDH_EPHEM], /^TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384$/],
    [[S.CALG_AES, S.CALG_ECDSA, S.CALG_TLS1PRF], /^TLS_ECDHE_ECDSA_WITH_AES_(128|256)_GCM_SHA(256|384)$/],
  ];
  for (const [algs, re] of cases) {
    const r = handshake(legacy(S.SECPKG_CRED_OUTBOUND, algs).h, server);
    assert.equal(r.cst, S.SEC_E_OK, algs.join(','));
    assert.match(cipherInfo(r.c).szCipherSuite, re);
  }
  // Server side: an RSA-only list on an ECDSA certificate cannot serve a client → handshake fails.
  const rsaOnly = legacy(S.SECPKG_CRED_INBOUND, [S.CALG_AES_128, S.CALG_RSA_SIGN]);
  assert.equal(rsaOnly.st, S.SEC_E_OK);
  const r = handshake(legacy(S.SECPKG_CRED_OUTBOUND, []).h, rsaOnly.h);
  assert.notEqual(r.sst, S.SEC_E_OK);
  // With an RSA certificate the same list works and picks ECDHE_RSA with AES-128.
  const rsaServer = legacy(S.SECPKG_CRED_INBOUND, [S.CALG_AES_128, S.CALG_RSA_SIGN], {}, pki.server.rsa2048);
  const ok = handshake(legacy(S.SECPKG_CRED_OUTBOUND, []).h, rsaServer.h);
  assert.equal(ok.sst, S.SEC_E_OK);
  assert.equal(cipherInfo(ok.s).szCipherSuite, 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256');
});

test('dwMinimumCipherStrength / dwMaximumCipherStrength restrict the suite; a range nothing meets → ALGORITHM_MISMATCH', () => {
  const server = legacy(S.SECPKG_CRED_INBOUND, []).h;
  const max128 = handshake(legacy(S.SECPKG_CRED_OUTBOUND, [], { dwMaximumCipherStrength: 128 }).h, server);
  assert.equal(cipherInfo(max128.c).dwCipherLen, 128);
  const min256 = handshake(legacy(S.SECPKG_CRED_OUTBOUND, [], { dwMinimumCipherStrength: 256 }).h, server);
  assert.equal(cipherInfo(min256.c).dwCipherLen, 256);
  assert.equal(legacy(S.SECPKG_CRED_OUTBOUND, [], { dwMinimumCipherStrength: 512 }).st, S.SEC_E_ALGORITHM_MISMATCH);
  assert.equal(legacy(S.SECPKG_CRED_OUTBOUND, [], { dwMinimumCipherStrength: 200, dwMaximumCipherStrength: 129 }).st, S.SEC_E_ALGORITHM_MISMATCH);
  const st = new S.SecPkgCred_CipherStrengths();
  assert.equal(S.QueryCredentialsAttributes(legacy(S.SECPKG_CRED_OUTBOUND, [], { dwMinimumCipherStrength: 256 }).h, S.SECPKG_ATTR_CIPHER_STRENGTHS, st), S.SEC_E_OK);
  assert.deepEqual([st.dwMinimumCipherStrength, st.dwMaximumCipherStrength], [256, 256]);
});

// ---- point 5: SCHANNEL_CRED never negotiates TLS 1.3 --------------------------------------------------------------

test('legacy SCHANNEL_CRED never negotiates TLS 1.3, on either side; SCH_CREDENTIALS does', () => {
  assert.equal(legacy(S.SECPKG_CRED_OUTBOUND, [], { grbitEnabledProtocols: S.SP_PROT_TLS1_3_CLIENT }).st, S.SEC_E_ALGORITHM_MISMATCH);
  assert.equal(legacy(S.SECPKG_CRED_INBOUND, [], { grbitEnabledProtocols: S.SP_PROT_TLS1_3_SERVER }).st, S.SEC_E_ALGORITHM_MISMATCH);
  const proto = (c: S.CtxtHandle): number => {
    const ci = new S.SecPkgContext_ConnectionInfo();
    assert.equal(S.QueryContextAttributes(c, S.SECPKG_ATTR_CONNECTION_INFO, ci), S.SEC_E_OK);
    return ci.dwProtocol;
  };
  const both = S.SP_PROT_TLS1_2_CLIENT | S.SP_PROT_TLS1_3_CLIENT;
  assert.equal(proto(handshake(legacy(S.SECPKG_CRED_OUTBOUND, [], { grbitEnabledProtocols: both }).h, modern(S.SECPKG_CRED_INBOUND)).c), S.SP_PROT_TLS1_2_CLIENT);
  assert.equal(proto(handshake(legacy(S.SECPKG_CRED_OUTBOUND, []).h, modern(S.SECPKG_CRED_INBOUND)).c), S.SP_PROT_TLS1_2_CLIENT);
  assert.equal(proto(handshake(modern(S.SECPKG_CRED_OUTBOUND), legacy(S.SECPKG_CRED_INBOUND, []).h).s), S.SP_PROT_TLS1_2_SERVER);
  assert.equal(proto(handshake(modern(S.SECPKG_CRED_OUTBOUND), modern(S.SECPKG_CRED_INBOUND)).c), S.SP_PROT_TLS1_3_CLIENT);
  // Defaults reported: SCHANNEL_CRED → TLS 1.2 only; SCH_CREDENTIALS → TLS 1.2 and 1.3.
  const sp = new S.SecPkgCred_SupportedProtocols();
  assert.equal(S.QueryCredentialsAttributes(legacy(S.SECPKG_CRED_OUTBOUND, []).h, S.SECPKG_ATTR_SUPPORTED_PROTOCOLS, sp), S.SEC_E_OK);
  assert.equal(sp.grbitProtocol, S.SP_PROT_TLS1_2_CLIENT);
  assert.equal(S.QueryCredentialsAttributes(modern(S.SECPKG_CRED_INBOUND), S.SECPKG_ATTR_SUPPORTED_PROTOCOLS, sp), S.SEC_E_OK);
  assert.equal(sp.grbitProtocol, S.SP_PROT_TLS1_2_SERVER | S.SP_PROT_TLS1_3_SERVER);
});
