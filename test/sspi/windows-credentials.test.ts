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
import { lookupCredential } from '../../src/sspi/credentials.js';

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
export function handshake(cCred: S.CredHandle, sCred: S.CredHandle, target = 'localhost', afterFirst?: (c: S.CtxtHandle) => void): { c: S.CtxtHandle; s: S.CtxtHandle; cst: number; sst: number } {
  const c = new S.CtxtHandle();
  const s = new S.CtxtHandle();
  const isc = S.ISC_REQ_CONFIDENTIALITY | S.ISC_REQ_STREAM | S.ISC_REQ_ALLOCATE_MEMORY;
  const asc = S.ASC_REQ_CONFIDENTIALITY | S.ASC_REQ_STREAM | S.ASC_REQ_ALLOCATE_MEMORY;
  let out = new S.SecBufferDesc([new S.SecBuffer(0, S.SECBUFFER_TOKEN, null)]);
  let cst = S.InitializeSecurityContext(cCred, null, target, isc, 0, 0, null, 0, c, out, new S.ULONG(), null);
  let toServer = bytesOf(out.pBuffers[0] as S.SecBuffer);
  afterFirst?.(c);
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
      if (toClient.length === 0) break;
      if (cst === S.SEC_E_OK) {
        drain(c, toClient); // TLS 1.3 NewSessionTicket after the client's Finished
        break;
      }
      out = new S.SecBufferDesc([new S.SecBuffer(0, S.SECBUFFER_TOKEN, null)]);
      const cin = new S.SecBufferDesc([new S.SecBuffer(toClient.length, S.SECBUFFER_TOKEN, toClient), new S.SecBuffer()]);
      cst = S.InitializeSecurityContext(cCred, c, target, isc, 0, 0, cin, 0, null, out, new S.ULONG(), null);
      if (cst !== S.SEC_E_OK && cst !== S.SEC_I_CONTINUE_NEEDED) break;
      toServer = bytesOf(out.pBuffers[0] as S.SecBuffer);
    }
  }
  return { c, s, cst, sst };
}

/** DecryptMessage over `bytes` until nothing is left (tickets are handled on the way; SEC_I_RENEGOTIATE → ISC). */
function drain(c: S.CtxtHandle, bytes: Uint8Array): void {
  let rest = bytes.slice();
  for (let i = 0; i < 16 && rest.length > 0; i++) {
    const d = new S.SecBufferDesc([new S.SecBuffer(rest.length, S.SECBUFFER_DATA, rest), new S.SecBuffer(), new S.SecBuffer(), new S.SecBuffer()]);
    const st = S.DecryptMessage(c, d, 0, null);
    const extra = d.pBuffers.find((b) => b.BufferType === S.SECBUFFER_EXTRA);
    if (st === S.SEC_I_RENEGOTIATE) {
      const out = new S.SecBufferDesc([new S.SecBuffer(0, S.SECBUFFER_TOKEN, null)]);
      const inp = new S.SecBufferDesc([new S.SecBuffer(0, S.SECBUFFER_TOKEN, new Uint8Array(0)), new S.SecBuffer()]);
      assert.equal(S.InitializeSecurityContext(null, c, null, S.ISC_REQ_ALLOCATE_MEMORY | S.ISC_REQ_STREAM, 0, 0, inp, 0, null, out, null, null), S.SEC_E_OK);
    } else {
      assert.equal(st, S.SEC_E_OK);
    }
    rest = extra !== undefined ? (extra.pvBuffer as Uint8Array).slice(0, extra.cbBuffer) : new Uint8Array(0);
  }
}

function reconnected(ctx: S.CtxtHandle): boolean {
  const si = new S.SecPkgContext_SessionInfo();
  assert.equal(S.QueryContextAttributes(ctx, S.SECPKG_ATTR_SESSION_INFO, si), S.SEC_E_OK);
  return (si.dwFlags & S.SSL_SESSION_RECONNECT) !== 0;
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

test('TLS_PARAMETERS scoped to ALPN ids cannot be honoured → SEC_E_UNSUPPORTED_FUNCTION (never silently ignored); the same entry marked TLS_PARAMS_OPTIONAL is accepted', () => {
  const make = (flags: number): number => {
    const tp = new S.TLS_PARAMETERS();
    tp.cAlpnIds = 1;
    tp.rgstrAlpnIds = ['h2'];
    tp.grbitDisabledProtocols = S.SP_PROT_TLS1_2_SERVER;
    tp.dwFlags = flags;
    const c = new S.SCH_CREDENTIALS();
    c.cCreds = 1;
    c.paCred = [S.CertContext.fromPem(pki.server.p256.chainPem, pki.server.p256.keyPem)];
    c.cTlsParameters = 1;
    c.pTlsParameters = [tp];
    return S.AcquireCredentialsHandle(null, S.UNISP_NAME, S.SECPKG_CRED_INBOUND, null, c, null, null, new S.CredHandle(), null);
  };
  assert.equal(make(0), S.SEC_E_UNSUPPORTED_FUNCTION);
  assert.equal(make(S.TLS_PARAMS_OPTIONAL), S.SEC_E_OK);
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

// ---- point 4: resumption switched off the three Windows ways -------------------------------------------------------

function tlsParams(protocols: number): S.TLS_PARAMETERS[] {
  const tp = new S.TLS_PARAMETERS();
  tp.grbitDisabledProtocols = (S.SP_PROT_TLS1_X & ~protocols) >>> 0;
  return [tp];
}

function cred(use: number, o: { flags?: number; lifespan?: number; protocols?: number } = {}): S.CredHandle {
  const c = new S.SCH_CREDENTIALS();
  c.dwFlags = o.flags ?? 0;
  c.dwSessionLifespan = o.lifespan ?? 0;
  if (o.protocols !== undefined) {
    c.pTlsParameters = tlsParams(o.protocols);
    c.cTlsParameters = 1;
  }
  if ((use & S.SECPKG_CRED_INBOUND) !== 0) {
    c.cCreds = 1;
    c.paCred = [S.CertContext.fromPem(pki.server.p256.chainPem, pki.server.p256.keyPem)];
  } else {
    c.hRootStore = S.CertStore.fromPem(pki.ca.certPem);
  }
  const h = new S.CredHandle();
  assert.equal(S.AcquireCredentialsHandle(null, S.UNISP_NAME, use, null, c, null, null, h, null), S.SEC_E_OK);
  return h;
}

for (const [version, protocols] of [['TLS 1.3', S.SP_PROT_TLS1_3], ['TLS 1.2', S.SP_PROT_TLS1_2]] as const) {
  test(`${version}: resumption works by default, and SCH_CRED_DISABLE_RECONNECTS on the server stops it (tickets and session IDs)`, () => {
    const client = cred(S.SECPKG_CRED_OUTBOUND, { protocols });
    const server = cred(S.SECPKG_CRED_INBOUND, { protocols });
    assert.equal(handshake(client, server).cst, S.SEC_E_OK);
    const again = handshake(client, server);
    assert.equal(again.cst, S.SEC_E_OK);
    assert.ok(reconnected(again.c) && reconnected(again.s), 'baseline resumes');

    const client2 = cred(S.SECPKG_CRED_OUTBOUND, { protocols });
    const noReconnect = cred(S.SECPKG_CRED_INBOUND, { protocols, flags: S.SCH_CRED_DISABLE_RECONNECTS });
    for (let i = 0; i < 3; i++) {
      const r = handshake(client2, noReconnect);
      assert.equal(r.sst, S.SEC_E_OK);
      assert.ok(!reconnected(r.s) && !reconnected(r.c), `connection ${i}`);
    }
    assert.equal(lookupCredential(noReconnect)?.cache.server?.sessionCache12.size, 0);
  });

  test(`${version}: a client dwSessionLifespan of 0xFFFFFFFF (.NET AllowTlsResume = false) or SCH_CRED_DISABLE_RECONNECTS never resumes`, () => {
    const server = cred(S.SECPKG_CRED_INBOUND, { protocols });
    for (const o of [{ lifespan: 0xffffffff }, { flags: S.SCH_CRED_DISABLE_RECONNECTS }]) {
      const client = cred(S.SECPKG_CRED_OUTBOUND, { protocols, ...o });
      for (let i = 0; i < 2; i++) assert.ok(!reconnected(handshake(client, server).c));
      assert.equal(lookupCredential(client)?.cache.sessions.size, 0);
    }
  });

  test(`${version}: ApplyControlToken(SCHANNEL_SESSION, SSL_SESSION_DISABLE_RECONNECTS) after the first ISC (.NET's order) → SEC_E_OK, no resumption from that context`, () => {
    const server = cred(S.SECPKG_CRED_INBOUND, { protocols });
    const client = cred(S.SECPKG_CRED_OUTBOUND, { protocols });
    const token = (flags: number): S.SecBufferDesc => {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setUint32(0, S.SCHANNEL_SESSION, true);
      new DataView(b.buffer).setUint32(4, flags, true);
      return new S.SecBufferDesc([new S.SecBuffer(8, S.SECBUFFER_TOKEN, b)]);
    };
    // A context that disables reconnects right after its first ISC completes its handshake; its tickets are not
    // kept, so the next connection is a full handshake. Without the token the next one resumes.
    const disable = (c: S.CtxtHandle): void => assert.equal(S.ApplyControlToken(c, token(S.SSL_SESSION_DISABLE_RECONNECTS)), S.SEC_E_OK);
    assert.equal(handshake(client, server, 'localhost', disable).cst, S.SEC_E_OK);
    assert.equal(lookupCredential(client)?.cache.sessions.size, 0);
    const r = handshake(client, server, 'localhost', disable);
    assert.ok(!reconnected(r.c) && !reconnected(r.s));
    assert.equal(handshake(client, server).cst, S.SEC_E_OK);
    assert.ok(reconnected(handshake(client, server).c), 'without the token the session is cached and resumed');
    // Disabling on a context also drops what the cache already holds for that target.
    const c1 = new S.CtxtHandle();
    assert.equal(S.InitializeSecurityContext(client, null, 'other.test', S.ISC_REQ_ALLOCATE_MEMORY, 0, 0, null, 0, c1, new S.SecBufferDesc([new S.SecBuffer(0, S.SECBUFFER_TOKEN, null)]), null, null), S.SEC_I_CONTINUE_NEEDED);
    const cached = lookupCredential(client)?.cache.sessions.size ?? 0;
    assert.ok(cached > 0);
    disable(c1);
    assert.equal(lookupCredential(client)?.cache.sessions.size, cached, 'another target keeps its sessions');
    // ENABLE is accepted; unknown flags and short tokens are not; a server context refuses (credential flag instead).
    const c2 = new S.CtxtHandle();
    assert.equal(S.InitializeSecurityContext(client, null, 'localhost', S.ISC_REQ_ALLOCATE_MEMORY, 0, 0, null, 0, c2, new S.SecBufferDesc([new S.SecBuffer(0, S.SECBUFFER_TOKEN, null)]), null, null), S.SEC_I_CONTINUE_NEEDED);
    assert.equal(S.ApplyControlToken(c2, token(S.SSL_SESSION_ENABLE_RECONNECTS)), S.SEC_E_OK);
    assert.equal(S.ApplyControlToken(c2, token(7)), S.SEC_E_INVALID_TOKEN);
    assert.equal(S.ApplyControlToken(c2, new S.SecBufferDesc([new S.SecBuffer(4, S.SECBUFFER_TOKEN, Uint8Array.of(S.SCHANNEL_SESSION, 0, 0, 0))])), S.SEC_E_INVALID_TOKEN);
    assert.equal(S.ApplyControlToken(r.s, token(S.SSL_SESSION_DISABLE_RECONNECTS)), S.SEC_E_UNSUPPORTED_FUNCTION);
  });
}

test('dwSessionLifespan bounds the client cache and sets the server ticket lifetime; 0 → ten hours', () => {
  const server = cred(S.SECPKG_CRED_INBOUND, { lifespan: 60_000 });
  assert.equal(lookupCredential(server)?.cache.server?.ticketLifetime, 60);
  assert.equal(lookupCredential(cred(S.SECPKG_CRED_INBOUND))?.cache.server?.ticketLifetime, 36_000);
  const client = cred(S.SECPKG_CRED_OUTBOUND, { lifespan: 5_000 });
  const before = Date.now();
  handshake(client, cred(S.SECPKG_CRED_INBOUND));
  const stored = [...(lookupCredential(client)?.cache.sessions.values() ?? [])].flat();
  assert.ok(stored.length > 0);
  for (const t of stored) assert.ok(t.expiresAt <= Date.now() + 5_000 && t.expiresAt >= before, 'bounded by the lifespan');
});

// ---- point 9: credential attributes real consumers set ---------------------------------------------------------

function ticketKey(id: number, size: number): S.SecPkgCred_SessionTicketKey {
  const k = new S.SecPkgCred_SessionTicketKey();
  k.KeyId = new Uint8Array(16).fill(id);
  k.KeyingMaterial = new Uint8Array(64).map((_, i) => (i * 7 + id) & 0xff);
  k.KeyingMaterialSize = size;
  return k;
}

function ticketKeys(...keys: S.SecPkgCred_SessionTicketKey[]): S.SecPkgCred_SessionTicketKeys {
  const t = new S.SecPkgCred_SessionTicketKeys();
  t.cSessionTicketKeys = keys.length;
  t.pSessionTicketKeys = keys;
  return t;
}

test('SECPKG_ATTR_SESSION_TICKET_KEYS (MsQuic): tickets issued under the first key resume on another credential that accepts it', () => {
  const a = cred(S.SECPKG_CRED_INBOUND);
  assert.equal(S.SetCredentialsAttributes(a, S.SECPKG_ATTR_SESSION_TICKET_KEYS, ticketKeys(ticketKey(1, 64)), 16), S.SEC_E_OK);
  const client = cred(S.SECPKG_CRED_OUTBOUND);
  assert.equal(handshake(client, a).cst, S.SEC_E_OK);
  // Credential B (another process, another restart) issues under key 2 and still accepts key 1.
  const b = cred(S.SECPKG_CRED_INBOUND);
  assert.equal(S.SetCredentialsAttributes(b, S.SECPKG_ATTR_SESSION_TICKET_KEYS, ticketKeys(ticketKey(2, 32), ticketKey(1, 64)), 16), S.SEC_E_OK);
  const r = handshake(client, b);
  assert.ok(reconnected(r.c) && reconnected(r.s), 'resumed under the second key of the list');
  // Credential C knows only key 2: the ticket from A is not accepted (full handshake), its own ticket is.
  const client2 = cred(S.SECPKG_CRED_OUTBOUND);
  assert.equal(handshake(client2, a).cst, S.SEC_E_OK);
  const c = cred(S.SECPKG_CRED_INBOUND);
  assert.equal(S.SetCredentialsAttributes(c, S.SECPKG_ATTR_SESSION_TICKET_KEYS, ticketKeys(ticketKey(2, 48)), 16), S.SEC_E_OK);
  assert.ok(!reconnected(handshake(client2, c).s));
  const client4 = cred(S.SECPKG_CRED_OUTBOUND);
  handshake(client4, c);
  assert.ok(reconnected(handshake(client4, c).s), 'its own tickets are accepted');
  // A credential with its own random keys does not accept tickets from A.
  const client3 = cred(S.SECPKG_CRED_OUTBOUND);
  handshake(client3, a);
  assert.ok(!reconnected(handshake(client3, cred(S.SECPKG_CRED_INBOUND)).s));
});

test('SECPKG_ATTR_SESSION_TICKET_KEYS validation: 1–16 keys, 32–64 bytes, version 0, server credentials only', () => {
  const s = cred(S.SECPKG_CRED_INBOUND);
  const set = (t: S.SecPkgCred_SessionTicketKeys, h = s): number => S.SetCredentialsAttributes(h, S.SECPKG_ATTR_SESSION_TICKET_KEYS, t, 16);
  assert.equal(set(ticketKeys(...Array.from({ length: 16 }, (_, i) => ticketKey(i, 32)))), S.SEC_E_OK);
  assert.equal(set(ticketKeys(...Array.from({ length: 17 }, (_, i) => ticketKey(i, 32)))), S.SEC_E_INVALID_PARAMETER);
  assert.equal(set(ticketKeys()), S.SEC_E_INVALID_PARAMETER);
  assert.equal(set(ticketKeys(ticketKey(1, 31))), S.SEC_E_INVALID_PARAMETER);
  assert.equal(set(ticketKeys(ticketKey(1, 65))), S.SEC_E_INVALID_PARAMETER);
  const v1 = ticketKey(1, 32);
  v1.TicketInfoVersion = 1;
  assert.equal(set(ticketKeys(v1)), S.SEC_E_INVALID_PARAMETER);
  assert.equal(S.SetCredentialsAttributes(s, S.SECPKG_ATTR_SESSION_TICKET_KEYS, {}, 16), S.SEC_E_INVALID_PARAMETER);
  assert.equal(set(ticketKeys(ticketKey(1, 32)), cred(S.SECPKG_CRED_OUTBOUND)), S.SEC_E_UNSUPPORTED_FUNCTION);
  assert.equal(set(ticketKeys(ticketKey(1, 32)), new S.CredHandle()), S.SEC_E_INVALID_HANDLE);
  assert.equal(S.SetCredentialsAttributes(s, S.SECPKG_ATTR_SUPPORTED_ALGS, {}, 0), S.SEC_E_UNSUPPORTED_FUNCTION);
});

test('SECPKG_ATTR_CLIENT_CERT_POLICY: the trusted-issuer store validates client certificates; names without a store and fOmitUsageCheck are refused', () => {
  const server = (): S.CredHandle => cred(S.SECPKG_CRED_INBOUND);
  const policy = (store: S.CertStore | null, name: string | null = null): S.SecPkgCred_ClientCertPolicy => {
    const p = new S.SecPkgCred_ClientCertPolicy();
    p.hSslCtlStore = store;
    p.pwszSslCtlStoreName = name;
    return p;
  };
  const clientWith = (leaf: typeof pki.client): S.CredHandle => {
    const c = new S.SCH_CREDENTIALS();
    c.hRootStore = S.CertStore.fromPem(pki.ca.certPem);
    c.cCreds = 1;
    c.paCred = [S.CertContext.fromPem(leaf.chainPem, leaf.keyPem)];
    const h = new S.CredHandle();
    assert.equal(S.AcquireCredentialsHandle(null, S.UNISP_NAME, S.SECPKG_CRED_OUTBOUND, null, c, null, null, h, null), S.SEC_E_OK);
    return h;
  };
  const mutual = (cCred: S.CredHandle, sCred: S.CredHandle): number => {
    const c = new S.CtxtHandle();
    const s = new S.CtxtHandle();
    let out = new S.SecBufferDesc([new S.SecBuffer(0, S.SECBUFFER_TOKEN, null)]);
    let st = S.InitializeSecurityContext(cCred, null, 'localhost', S.ISC_REQ_ALLOCATE_MEMORY, 0, 0, null, 0, c, out, null, null);
    let sst = -1;
    for (let i = 0; i < 6 && st === S.SEC_I_CONTINUE_NEEDED; i++) {
      const t = bytesOf(out.pBuffers[0] as S.SecBuffer);
      const so = new S.SecBufferDesc([new S.SecBuffer(0, S.SECBUFFER_TOKEN, null)]);
      sst = S.AcceptSecurityContext(sCred, i === 0 ? null : s, new S.SecBufferDesc([new S.SecBuffer(t.length, S.SECBUFFER_TOKEN, t), new S.SecBuffer()]), S.ASC_REQ_ALLOCATE_MEMORY | S.ASC_REQ_MUTUAL_AUTH, 0, s, so, null, null);
      if (sst !== S.SEC_I_CONTINUE_NEEDED) return sst;
      const back = bytesOf(so.pBuffers[0] as S.SecBuffer);
      out = new S.SecBufferDesc([new S.SecBuffer(0, S.SECBUFFER_TOKEN, null)]);
      st = S.InitializeSecurityContext(cCred, c, 'localhost', S.ISC_REQ_ALLOCATE_MEMORY, 0, 0, new S.SecBufferDesc([new S.SecBuffer(back.length, S.SECBUFFER_TOKEN, back), new S.SecBuffer()]), 0, null, out, null, null);
    }
    const t = bytesOf(out.pBuffers[0] as S.SecBuffer);
    return S.AcceptSecurityContext(sCred, s, new S.SecBufferDesc([new S.SecBuffer(t.length, S.SECBUFFER_TOKEN, t), new S.SecBuffer()]), S.ASC_REQ_ALLOCATE_MEMORY | S.ASC_REQ_MUTUAL_AUTH, 0, s, new S.SecBufferDesc([new S.SecBuffer(0, S.SECBUFFER_TOKEN, null)]), null, null);
  };
  const withPolicy = server();
  assert.equal(S.SetCredentialsAttributes(withPolicy, S.SECPKG_ATTR_CLIENT_CERT_POLICY, policy(S.CertStore.fromPem(pki.ca.certPem), 'ClientAuthIssuer'), 0), S.SEC_E_OK);
  assert.equal(mutual(clientWith(pki.client), withPolicy), S.SEC_E_OK);
  assert.equal(mutual(clientWith(pki.untrustedClient), withPolicy), S.SEC_E_LOGON_DENIED);
  // Without the policy the server credential has no trust anchors: the untrusted certificate is only mapped.
  assert.equal(mutual(clientWith(pki.untrustedClient), server()), S.SEC_E_OK);
  const s2 = server();
  assert.equal(S.SetCredentialsAttributes(s2, S.SECPKG_ATTR_CLIENT_CERT_POLICY, policy(null, 'My'), 0), S.SEC_E_UNSUPPORTED_FUNCTION);
  const omit = policy(null);
  omit.fOmitUsageCheck = true;
  assert.equal(S.SetCredentialsAttributes(s2, S.SECPKG_ATTR_CLIENT_CERT_POLICY, omit, 0), S.SEC_E_UNSUPPORTED_FUNCTION);
  assert.equal(S.SetCredentialsAttributes(s2, S.SECPKG_ATTR_CLIENT_CERT_POLICY, policy(null), 0), S.SEC_E_OK);
});
