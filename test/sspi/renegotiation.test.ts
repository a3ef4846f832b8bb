/**
 * TLS 1.2 renegotiation through the SSPI surface, as IIS and .NET's SslStream.NegotiateClientCertificateAsync drive
 * it: the server calls AcceptSecurityContext with ASC_REQ_MUTUAL_AUTH on an established context (HelloRequest), the
 * client's DecryptMessage returns SEC_I_RENEGOTIATE and InitializeSecurityContext runs the new handshake
 * (SEC_I_CONTINUE_NEEDED until SEC_E_OK), after which REMOTE_CERT_CONTEXT shows the client certificate.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { getPki, type Pki } from '../helpers/pki.js';
import * as S from '../../src/sspi/index.js';

let pki: Pki;
before(async () => {
  pki = await getPki();
});

const ISC_REQ = S.ISC_REQ_SEQUENCE_DETECT | S.ISC_REQ_REPLAY_DETECT | S.ISC_REQ_CONFIDENTIALITY | S.ISC_REQ_STREAM | S.ISC_REQ_ALLOCATE_MEMORY;
const ASC_REQ = S.ASC_REQ_SEQUENCE_DETECT | S.ASC_REQ_REPLAY_DETECT | S.ASC_REQ_CONFIDENTIALITY | S.ASC_REQ_STREAM | S.ASC_REQ_ALLOCATE_MEMORY;
const tokenOut = (): S.SecBufferDesc => new S.SecBufferDesc([new S.SecBuffer(0, S.SECBUFFER_TOKEN, null), new S.SecBuffer(0, S.SECBUFFER_ALERT, null), new S.SecBuffer(0, S.SECBUFFER_EMPTY, null)]);
const tokenIn = (b: Uint8Array): S.SecBufferDesc => new S.SecBufferDesc([new S.SecBuffer(b.length, S.SECBUFFER_TOKEN, b), new S.SecBuffer(0, S.SECBUFFER_EMPTY, null)]);
const bytesOf = (b: S.SecBuffer): Uint8Array => (b.pvBuffer === null ? new Uint8Array(0) : b.pvBuffer.slice(0, b.cbBuffer));
const tokenOf = (d: S.SecBufferDesc): Uint8Array => bytesOf(d.pBuffers[0] as S.SecBuffer);

function creds(clientCert: boolean): { c: S.CredHandle; s: S.CredHandle } {
  const ss = new S.SCH_CREDENTIALS();
  ss.cCreds = 1;
  ss.paCred = [S.CertContext.fromPem(pki.server.p256.chainPem, pki.server.p256.keyPem)];
  ss.hRootStore = S.CertStore.fromPem(pki.ca.certPem);
  ss.cMappers = 1;
  ss.aphMappers = [S.mapBySubject()];
  const tp = new S.TLS_PARAMETERS();
  tp.grbitDisabledProtocols = (S.SP_PROT_TLS1_X & ~S.SP_PROT_TLS1_2) >>> 0;
  ss.cTlsParameters = 1;
  ss.pTlsParameters = [tp];
  const s = new S.CredHandle();
  assert.equal(S.AcquireCredentialsHandle(null, S.UNISP_NAME, S.SECPKG_CRED_INBOUND, null, ss, null, null, s, null), S.SEC_E_OK);
  const cs = new S.SCH_CREDENTIALS();
  cs.hRootStore = S.CertStore.fromPem(pki.ca.certPem);
  if (clientCert) {
    cs.cCreds = 1;
    cs.paCred = [S.CertContext.fromPem(pki.client.chainPem, pki.client.keyPem)];
  }
  const c = new S.CredHandle();
  assert.equal(S.AcquireCredentialsHandle(null, S.UNISP_NAME, S.SECPKG_CRED_OUTBOUND, null, cs, null, null, c, null), S.SEC_E_OK);
  return { c, s };
}

/** A TLS 1.2 handshake without client authentication (the first handshake of the IIS pattern). */
function established(clientCert: boolean): { cCred: S.CredHandle; sCred: S.CredHandle; c: S.CtxtHandle; s: S.CtxtHandle } {
  const { c: cCred, s: sCred } = creds(clientCert);
  const c = new S.CtxtHandle();
  const s = new S.CtxtHandle();
  let o = tokenOut();
  assert.equal(S.InitializeSecurityContext(cCred, null, 'localhost', ISC_REQ, 0, 0, null, 0, c, o, new S.ULONG(), null), S.SEC_I_CONTINUE_NEEDED);
  let toS = tokenOf(o);
  o = tokenOut();
  assert.equal(S.AcceptSecurityContext(sCred, null, tokenIn(toS), ASC_REQ, 0, s, o, new S.ULONG(), null), S.SEC_I_CONTINUE_NEEDED);
  const toC = tokenOf(o);
  o = tokenOut();
  assert.equal(S.InitializeSecurityContext(cCred, c, 'localhost', ISC_REQ, 0, 0, tokenIn(toC), 0, null, o, new S.ULONG(), null), S.SEC_I_CONTINUE_NEEDED);
  toS = tokenOf(o);
  o = tokenOut();
  assert.equal(S.AcceptSecurityContext(sCred, s, tokenIn(toS), ASC_REQ, 0, null, o, new S.ULONG(), null), S.SEC_E_OK);
  o = (() => {
    const last = tokenOf(o);
    const o2 = tokenOut();
    assert.equal(S.InitializeSecurityContext(cCred, c, 'localhost', ISC_REQ, 0, 0, tokenIn(last), 0, null, o2, new S.ULONG(), null), S.SEC_E_OK);
    return o2;
  })();
  const ci = new S.SecPkgContext_ConnectionInfo();
  assert.equal(S.QueryContextAttributes(c, S.SECPKG_ATTR_CONNECTION_INFO, ci), S.SEC_E_OK);
  assert.equal(ci.dwProtocol, S.SP_PROT_TLS1_2_CLIENT);
  return { cCred, sCred, c, s };
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

/** One DecryptMessage over `bytes`: status, plaintext, and the EXTRA bytes. */
function decrypt(ctx: S.CtxtHandle, bytes: Uint8Array): { st: number; text: string; extra: Uint8Array } {
  const buf = bytes.slice();
  const msg = new S.SecBufferDesc([new S.SecBuffer(buf.length, S.SECBUFFER_DATA, buf), new S.SecBuffer(), new S.SecBuffer(), new S.SecBuffer()]);
  const st = S.DecryptMessage(ctx, msg, 0, null);
  const d = msg.pBuffers.find((b) => b.BufferType === S.SECBUFFER_DATA);
  const x = msg.pBuffers.find((b) => b.BufferType === S.SECBUFFER_EXTRA);
  return { st, text: d === undefined ? '' : new TextDecoder().decode(bytesOf(d)), extra: x === undefined ? new Uint8Array(0) : bytesOf(x) };
}

function remoteCert(ctx: S.CtxtHandle): { st: number; subject: string | undefined } {
  const remote = new S.Ref<S.CertContext | null>(null);
  const st = S.QueryContextAttributes(ctx, S.SECPKG_ATTR_REMOTE_CERT_CONTEXT, remote);
  return { st, subject: remote.value?.subject };
}

test('ASC_REQ_MUTUAL_AUTH on an established TLS 1.2 context renegotiates (HelloRequest); ISC completes it after SEC_I_RENEGOTIATE; REMOTE_CERT_CONTEXT then has the client certificate', () => {
  const p = established(true);
  assert.equal(remoteCert(p.s).st, S.SEC_E_NO_CREDENTIALS);
  // Server: NegotiateClientCertificateAsync → ASC with empty input and MUTUAL_AUTH.
  let o = tokenOut();
  assert.equal(S.AcceptSecurityContext(p.sCred, p.s, tokenIn(new Uint8Array(0)), ASC_REQ | S.ASC_REQ_MUTUAL_AUTH, 0, null, o, new S.ULONG(), null), S.SEC_I_CONTINUE_NEEDED);
  const helloRequest = tokenOf(o);
  assert.equal(helloRequest[0], 22); // one protected handshake record
  const d = decrypt(p.c, helloRequest);
  assert.equal(d.st, S.SEC_I_RENEGOTIATE);
  assert.equal(d.text, '');
  assert.equal(d.extra.length, 0);
  // Client: ISC with the bytes after the HelloRequest (none here) answers with the new ClientHello.
  o = tokenOut();
  assert.equal(S.InitializeSecurityContext(p.cCred, p.c, 'localhost', ISC_REQ, 0, 0, tokenIn(d.extra), 0, null, o, new S.ULONG(), null), S.SEC_I_CONTINUE_NEEDED);
  const clientHello = tokenOf(o);
  assert.ok(clientHello.length > 50);
  o = tokenOut();
  assert.equal(S.AcceptSecurityContext(p.sCred, p.s, tokenIn(clientHello), ASC_REQ | S.ASC_REQ_MUTUAL_AUTH, 0, null, o, new S.ULONG(), null), S.SEC_I_CONTINUE_NEEDED);
  const serverFlight = tokenOf(o);
  o = tokenOut();
  assert.equal(S.InitializeSecurityContext(p.cCred, p.c, 'localhost', ISC_REQ, 0, 0, tokenIn(serverFlight), 0, null, o, new S.ULONG(), null), S.SEC_I_CONTINUE_NEEDED);
  const clientFlight = tokenOf(o);
  o = tokenOut();
  const attrs = new S.ULONG();
  assert.equal(S.AcceptSecurityContext(p.sCred, p.s, tokenIn(clientFlight), ASC_REQ | S.ASC_REQ_MUTUAL_AUTH, 0, null, o, attrs, null), S.SEC_E_OK);
  assert.ok((attrs.value & S.ASC_RET_MUTUAL_AUTH) !== 0, 'ASC_RET_MUTUAL_AUTH: the client certificate was mapped');
  const tok = new S.Ref<S.AccessToken | null>(null);
  assert.equal(S.QuerySecurityContextToken(p.s, tok), S.SEC_E_OK);
  assert.match(tok.value?.userName ?? '', /test client/);
  const serverFinished = tokenOf(o);
  o = tokenOut();
  assert.equal(S.InitializeSecurityContext(p.cCred, p.c, 'localhost', ISC_REQ, 0, 0, tokenIn(serverFinished), 0, null, o, new S.ULONG(), null), S.SEC_E_OK);
  assert.equal(tokenOf(o).length, 0);
  const rc = remoteCert(p.s);
  assert.equal(rc.st, S.SEC_E_OK);
  assert.match(rc.subject ?? '', /test client/);
  // Both directions under the new keys.
  assert.deepEqual(decrypt(p.s, encrypt(p.c, 'to server')).text, 'to server');
  assert.deepEqual(decrypt(p.c, encrypt(p.s, 'to client')).text, 'to client');
});

test('SSPI renegotiation: a client without a certificate answers with an empty Certificate; REMOTE_CERT_CONTEXT stays SEC_E_NO_CREDENTIALS', () => {
  const p = established(false);
  let o = tokenOut();
  assert.equal(S.AcceptSecurityContext(p.sCred, p.s, tokenIn(new Uint8Array(0)), ASC_REQ | S.ASC_REQ_MUTUAL_AUTH, 0, null, o, new S.ULONG(), null), S.SEC_I_CONTINUE_NEEDED);
  assert.equal(decrypt(p.c, tokenOf(o)).st, S.SEC_I_RENEGOTIATE);
  let toS: Uint8Array;
  o = tokenOut();
  assert.equal(S.InitializeSecurityContext(p.cCred, p.c, 'localhost', ISC_REQ | S.ISC_REQ_USE_SUPPLIED_CREDS, 0, 0, tokenIn(new Uint8Array(0)), 0, null, o, new S.ULONG(), null), S.SEC_I_CONTINUE_NEEDED);
  toS = tokenOf(o);
  o = tokenOut();
  assert.equal(S.AcceptSecurityContext(p.sCred, p.s, tokenIn(toS), ASC_REQ | S.ASC_REQ_MUTUAL_AUTH, 0, null, o, new S.ULONG(), null), S.SEC_I_CONTINUE_NEEDED);
  const flight = tokenOf(o);
  o = tokenOut();
  assert.equal(S.InitializeSecurityContext(p.cCred, p.c, 'localhost', ISC_REQ | S.ISC_REQ_USE_SUPPLIED_CREDS, 0, 0, tokenIn(flight), 0, null, o, new S.ULONG(), null), S.SEC_I_CONTINUE_NEEDED);
  toS = tokenOf(o);
  o = tokenOut();
  assert.equal(S.AcceptSecurityContext(p.sCred, p.s, tokenIn(toS), ASC_REQ | S.ASC_REQ_MUTUAL_AUTH, 0, null, o, new S.ULONG(), null), S.SEC_E_OK);
  const fin = tokenOf(o);
  o = tokenOut();
  assert.equal(S.InitializeSecurityContext(p.cCred, p.c, 'localhost', ISC_REQ, 0, 0, tokenIn(fin), 0, null, o, new S.ULONG(), null), S.SEC_E_OK);
  assert.equal(remoteCert(p.s).st, S.SEC_E_NO_CREDENTIALS);
  assert.equal(decrypt(p.s, encrypt(p.c, 'still')).text, 'still');
});

test('SSPI renegotiation records through DecryptMessage: SEC_I_RENEGOTIATE, then ISC/ASC with the rest; the new certificate is reported either way', () => {
  const p = established(true);
  let o = tokenOut();
  assert.equal(S.AcceptSecurityContext(p.sCred, p.s, tokenIn(new Uint8Array(0)), ASC_REQ | S.ASC_REQ_MUTUAL_AUTH, 0, null, o, new S.ULONG(), null), S.SEC_I_CONTINUE_NEEDED);
  assert.equal(decrypt(p.c, tokenOf(o)).st, S.SEC_I_RENEGOTIATE);
  o = tokenOut();
  assert.equal(S.InitializeSecurityContext(p.cCred, p.c, 'localhost', ISC_REQ, 0, 0, tokenIn(new Uint8Array(0)), 0, null, o, new S.ULONG(), null), S.SEC_I_CONTINUE_NEEDED);
  // The ClientHello reaches the server through DecryptMessage.
  const d1 = decrypt(p.s, tokenOf(o));
  assert.equal(d1.st, S.SEC_I_RENEGOTIATE);
  o = tokenOut();
  assert.equal(S.AcceptSecurityContext(p.sCred, p.s, tokenIn(d1.extra), ASC_REQ | S.ASC_REQ_MUTUAL_AUTH, 0, null, o, new S.ULONG(), null), S.SEC_I_CONTINUE_NEEDED);
  const serverFlight = tokenOf(o);
  assert.ok(serverFlight.length > 0, 'the server flight, handed out by the ASC after SEC_I_RENEGOTIATE');
  o = tokenOut();
  assert.equal(S.InitializeSecurityContext(p.cCred, p.c, 'localhost', ISC_REQ, 0, 0, tokenIn(serverFlight), 0, null, o, new S.ULONG(), null), S.SEC_I_CONTINUE_NEEDED);
  // The client's flight (Certificate…CertificateVerify, CCS, Finished): the first record through DecryptMessage,
  // the rest given to ASC as its EXTRA.
  const d2 = decrypt(p.s, tokenOf(o));
  assert.equal(d2.st, S.SEC_I_RENEGOTIATE);
  assert.ok(d2.extra.length > 0);
  o = tokenOut();
  assert.equal(S.AcceptSecurityContext(p.sCred, p.s, tokenIn(d2.extra), ASC_REQ | S.ASC_REQ_MUTUAL_AUTH, 0, null, o, new S.ULONG(), null), S.SEC_E_OK);
  assert.match(remoteCert(p.s).subject ?? '', /test client/);
  // The server's CCS + Finished through the client's DecryptMessage: the CCS record gives DATA 0 and SEC_E_OK, the
  // Finished SEC_I_RENEGOTIATE, and the ISC after it SEC_E_OK with nothing to send.
  let rest = tokenOf(o);
  const statuses: number[] = [];
  while (rest.length > 0) {
    const d = decrypt(p.c, rest);
    statuses.push(d.st);
    rest = d.extra;
    if (d.st === S.SEC_I_RENEGOTIATE) {
      const o2 = tokenOut();
      assert.equal(S.InitializeSecurityContext(p.cCred, p.c, 'localhost', ISC_REQ, 0, 0, tokenIn(rest), 0, null, o2, new S.ULONG(), null), S.SEC_E_OK);
      assert.equal(tokenOf(o2).length, 0);
      rest = new Uint8Array(0);
    }
  }
  assert.deepEqual(statuses, [S.SEC_E_OK, S.SEC_I_RENEGOTIATE]);
  assert.equal(decrypt(p.s, encrypt(p.c, 'after')).text, 'after');
  assert.equal(decrypt(p.c, encrypt(p.s, 'back')).text, 'back');
});

test('SSPI renegotiation, client credential without a certificate: SEC_I_INCOMPLETE_CREDENTIALS, the retry with a credential that has one answers with it (§6.4 option a)', () => {
  const p = established(false);
  let o = tokenOut();
  assert.equal(S.AcceptSecurityContext(p.sCred, p.s, tokenIn(new Uint8Array(0)), ASC_REQ | S.ASC_REQ_MUTUAL_AUTH, 0, null, o, new S.ULONG(), null), S.SEC_I_CONTINUE_NEEDED);
  assert.equal(decrypt(p.c, tokenOf(o)).st, S.SEC_I_RENEGOTIATE);
  o = tokenOut();
  assert.equal(S.InitializeSecurityContext(p.cCred, p.c, 'localhost', ISC_REQ, 0, 0, tokenIn(new Uint8Array(0)), 0, null, o, new S.ULONG(), null), S.SEC_I_CONTINUE_NEEDED);
  o = ((hello: Uint8Array) => {
    const o2 = tokenOut();
    assert.equal(S.AcceptSecurityContext(p.sCred, p.s, tokenIn(hello), ASC_REQ | S.ASC_REQ_MUTUAL_AUTH, 0, null, o2, new S.ULONG(), null), S.SEC_I_CONTINUE_NEEDED);
    return o2;
  })(tokenOf(o));
  const flight = tokenOf(o);
  o = tokenOut();
  assert.equal(S.InitializeSecurityContext(p.cCred, p.c, 'localhost', ISC_REQ, 0, 0, tokenIn(flight), 0, null, o, new S.ULONG(), null), S.SEC_I_INCOMPLETE_CREDENTIALS);
  assert.equal(tokenOf(o).length, 0);
  const il = new S.SecPkgContext_IssuerListInfoEx();
  assert.equal(S.QueryContextAttributes(p.c, S.SECPKG_ATTR_ISSUER_LIST_EX, il), S.SEC_E_OK);
  assert.ok((il.cIssuers ?? il.aIssuers?.length ?? 0) >= 1, 'the CA names of the CertificateRequest');
  // A credential with a certificate, passed on the retry with the same input.
  const withCert = creds(true).c;
  o = tokenOut();
  assert.equal(S.InitializeSecurityContext(withCert, p.c, 'localhost', ISC_REQ, 0, 0, tokenIn(flight), 0, null, o, new S.ULONG(), null), S.SEC_I_CONTINUE_NEEDED);
  const clientFlight = tokenOf(o);
  o = tokenOut();
  assert.equal(S.AcceptSecurityContext(p.sCred, p.s, tokenIn(clientFlight), ASC_REQ | S.ASC_REQ_MUTUAL_AUTH, 0, null, o, new S.ULONG(), null), S.SEC_E_OK);
  const fin = tokenOf(o);
  o = tokenOut();
  assert.equal(S.InitializeSecurityContext(p.cCred, p.c, 'localhost', ISC_REQ, 0, 0, tokenIn(fin), 0, null, o, new S.ULONG(), null), S.SEC_E_OK);
  assert.match(remoteCert(p.s).subject ?? '', /test client/);
  assert.equal(decrypt(p.s, encrypt(p.c, 'with cert')).text, 'with cert');
});
