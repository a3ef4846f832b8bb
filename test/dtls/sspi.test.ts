/**
 * Schannel's datagram mode through our SSPI surface: Wine's test_dtls call sequence ported (dlls/secur32/tests/
 * schannel.c), then an SSPI client and server moving datagrams by hand: one datagram per token,
 * SEC_I_MESSAGE_FRAGMENT for a flight of several, the caller's timeout as an ISC/ASC call without input,
 * SECPKG_ATTR_DTLS_MTU, Encrypt/DecryptMessage one record per datagram, replays and tampering dropped.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as S from '../../src/sspi/index.js';
import { getPki } from '../helpers/pki.js';
import { call, decrypt, drain, DTLS_ISC_REQ, dtlsOutput, encrypt, tokenOf } from './sspi-helpers.js';

const pki = await getPki();

function legacyCred(protocols: number, use: number, withCert = false): { status: number; h: S.CredHandle } {
  const cred = new S.SCHANNEL_CRED();
  cred.grbitEnabledProtocols = protocols;
  cred.dwFlags = S.SCH_CRED_NO_DEFAULT_CREDS;
  if (withCert) {
    cred.cCreds = 1;
    cred.paCred = [S.CertContext.fromPem(pki.server.p256.chainPem, pki.server.p256.keyPem)];
  } else {
    cred.hRootStore = S.CertStore.fromPem(pki.ca.certPem);
  }
  const h = new S.CredHandle();
  const status = S.AcquireCredentialsHandle(null, S.UNISP_NAME, use, null, cred, null, null, h, new S.TimeStamp());
  return { status, h };
}

test("Wine test_dtls: credentials, the first ISC with SECBUFFER_DTLS_MTU, the ALERT size rule, the retransmission", () => {
  const { status, h: cred } = legacyCred(S.SP_PROT_DTLS_CLIENT | S.SP_PROT_DTLS1_2_CLIENT, S.SECPKG_CRED_OUTBOUND);
  assert.equal(status, S.SEC_E_OK);
  // DTLS and TLS protocols together are refused, whatever the direction of the TLS bit.
  assert.equal(legacyCred(S.SP_PROT_DTLS_CLIENT | S.SP_PROT_DTLS1_2_CLIENT | S.SP_PROT_TLS1_CLIENT, S.SECPKG_CRED_OUTBOUND).status, S.SEC_E_ALGORITHM_MISMATCH);
  assert.equal(legacyCred(S.SP_PROT_DTLS1_X_CLIENT | S.SP_PROT_TLS1_SERVER, S.SECPKG_CRED_OUTBOUND).status, S.SEC_E_ALGORITHM_MISMATCH);
  assert.equal(legacyCred(S.SP_PROT_DTLS1_X_CLIENT | S.SP_PROT_SSL3_SERVER, S.SECPKG_CRED_OUTBOUND).status, S.SEC_E_ALGORITHM_MISMATCH);

  const mtu = new Uint8Array(128);
  mtu[0] = 1024 & 0xff;
  mtu[1] = 1024 >> 8;
  const input = new S.SecBufferDesc([new S.SecBuffer(2, S.SECBUFFER_DTLS_MTU, mtu)]);
  const out = dtlsOutput();
  const ctx = new S.CtxtHandle();
  const attr = { value: 0 };
  const exp = new S.TimeStamp();
  exp.QuadPart = 0xdeadbeefdeadbeefn;
  assert.equal(S.InitializeSecurityContext(cred, null, 'winetest', DTLS_ISC_REQ, 0, 16, input, 0, ctx, out, attr, exp), S.SEC_I_CONTINUE_NEEDED);
  const expected = S.ISC_RET_MANUAL_CRED_VALIDATION | S.ISC_RET_STREAM | S.ISC_RET_EXTENDED_ERROR | S.ISC_RET_DATAGRAM | S.ISC_RET_USED_SUPPLIED_CREDS | S.ISC_RET_CONFIDENTIALITY | S.ISC_RET_SEQUENCE_DETECT | S.ISC_RET_REPLAY_DETECT;
  assert.equal(attr.value, expected >>> 0);
  assert.equal(exp.QuadPart, 0n);
  assert.equal((out.pBuffers[1] as S.SecBuffer).BufferType, S.SECBUFFER_ALERT);
  assert.equal((out.pBuffers[1] as S.SecBuffer).cbBuffer, 0);
  const first = tokenOf(out);
  assert.equal(first[0], 22, 'a handshake record');
  assert.equal((first[1] as number) << 8 | (first[2] as number), 0xfefd);
  assert.equal(first[10], 0, 'record sequence number 0');
  assert.ok(first.length <= 1024, 'fits the MTU given in SECBUFFER_DTLS_MTU');
  const q = new S.SEC_DTLS_MTU();
  assert.equal(S.QueryContextAttributes(ctx, S.SECPKG_ATTR_DTLS_MTU, q), S.SEC_E_OK);
  assert.equal(q.PathMTU, 1024);

  // The ALERT buffer left at size 0 by the previous call: SEC_E_INSUFFICIENT_MEMORY, no new handle.
  (out.pBuffers[0] as S.SecBuffer).BufferType = S.SECBUFFER_TOKEN;
  (out.pBuffers[0] as S.SecBuffer).cbBuffer = 1420;
  const ctx2 = new S.CtxtHandle();
  ctx2.dwLower = 0xdeadbeef;
  ctx2.dwUpper = 0xdeadbeef;
  attr.value = 0;
  assert.equal(S.InitializeSecurityContext(cred, ctx, 'winetest', DTLS_ISC_REQ, 0, 16, null, 0, ctx2, out, attr, exp), S.SEC_E_INSUFFICIENT_MEMORY);
  assert.equal(attr.value, (S.ISC_RET_CONFIDENTIALITY | S.ISC_RET_SEQUENCE_DETECT | S.ISC_RET_REPLAY_DETECT) >>> 0);
  assert.equal(ctx2.dwLower, 0xdeadbeef);
  assert.equal(ctx2.dwUpper, 0xdeadbeef);

  // No input: the caller's timer ran out. The same ClientHello again, only the record sequence number differs.
  const out2 = dtlsOutput();
  assert.equal(S.InitializeSecurityContext(cred, ctx, 'winetest', DTLS_ISC_REQ, 0, 16, null, 0, ctx2, out2, attr, exp), S.SEC_I_CONTINUE_NEEDED);
  assert.equal(attr.value, expected >>> 0);
  assert.equal((out2.pBuffers[1] as S.SecBuffer).cbBuffer, 0);
  assert.equal(ctx2.dwLower, ctx.dwLower);
  assert.equal(ctx2.dwUpper, ctx.dwUpper);
  const again = tokenOf(out2);
  assert.equal(again.length, first.length);
  assert.equal(again[10], 1);
  assert.deepEqual(again.subarray(0, 9), first.subarray(0, 9));
  assert.deepEqual(again.subarray(11), first.subarray(11));
  assert.equal(S.DeleteSecurityContext(ctx), S.SEC_E_OK);
  assert.equal(S.FreeCredentialsHandle(cred), S.SEC_E_OK);
});

test('SSPI DTLS client ↔ server: HelloVerifyRequest, flights in MTU-sized fragments, a lost flight resent on the caller\'s timeout, data both ways', () => {
  const server = legacyCred(S.SP_PROT_DTLS1_2_SERVER, S.SECPKG_CRED_INBOUND, true);
  assert.equal(server.status, S.SEC_E_OK);
  const client = legacyCred(S.SP_PROT_DTLS1_2_CLIENT, S.SECPKG_CRED_OUTBOUND);
  assert.equal(client.status, S.SEC_E_OK);
  const cctx = new S.CtxtHandle();
  const sctx = new S.CtxtHandle();
  const fragments: number[] = [];

  let c = drain('client', client.h, cctx, call('client', client.h, cctx, false, null), fragments);
  assert.equal(c.status, S.SEC_I_CONTINUE_NEEDED);
  // A small path MTU on the server: its flight (certificate chain) takes several datagrams.
  let s = drain('server', server.h, sctx, call('server', server.h, sctx, false, c.datagrams[0] as Uint8Array), fragments);
  assert.equal(s.status, S.SEC_I_CONTINUE_NEEDED, 'HelloVerifyRequest');
  const mtu = new S.SEC_DTLS_MTU();
  mtu.PathMTU = 400;
  assert.equal(S.SetContextAttributes(sctx, S.SECPKG_ATTR_DTLS_MTU, mtu, 2), S.SEC_E_OK);
  let serverStarted = true;
  let clientDone = false;
  let serverDone = false;
  let lostOnce = false;
  for (let round = 0; round < 20 && !(clientDone && serverDone); round++) {
    // server → client, then client → server
    let cOut: Uint8Array[] = [];
    for (const d of s.datagrams) {
      const r = drain('client', client.h, cctx, call('client', client.h, cctx, true, d), fragments);
      cOut.push(...r.datagrams);
      if (r.status === S.SEC_E_OK) clientDone = true;
      else assert.equal(r.status, S.SEC_I_CONTINUE_NEEDED);
    }
    if (cOut.length === 0 && !clientDone) {
      // Nothing to send and not done: the caller's timer runs out.
      const r = drain('client', client.h, cctx, call('client', client.h, cctx, true, null), fragments);
      cOut = r.datagrams;
    }
    let sOut: Uint8Array[] = [];
    for (const d of cOut) {
      const r = drain('server', server.h, sctx, call('server', server.h, sctx, serverStarted, d), fragments);
      serverStarted = true;
      sOut.push(...r.datagrams);
      if (r.status === S.SEC_E_OK) serverDone = true;
      else assert.equal(r.status, S.SEC_I_CONTINUE_NEEDED);
    }
    if (serverDone && !lostOnce && !clientDone) {
      // The server's final flight is lost: the client's timer resends its flight, and the server answers again.
      lostOnce = true;
      sOut = [];
    }
    s = { status: 0, datagrams: sOut };
  }
  assert.ok(clientDone && serverDone, 'both completed');
  assert.ok(lostOnce, 'a lost final flight was recovered');
  assert.ok(fragments.length > 0 && fragments.every((n) => n <= 400), `SEC_I_MESSAGE_FRAGMENT datagrams within the MTU: ${fragments.join(',')}`);

  const hello = encrypt(cctx, 'hello over DTLS');
  assert.deepEqual(decrypt(sctx, hello), { status: S.SEC_E_OK, text: 'hello over DTLS' });
  // The same datagram again: a replay, dropped, and the context goes on.
  assert.equal(decrypt(sctx, hello).status, S.SEC_E_OUT_OF_SEQUENCE);
  const tampered = encrypt(cctx, 'tampered');
  tampered[tampered.length - 1] = (tampered[tampered.length - 1] as number) ^ 1;
  assert.equal(decrypt(sctx, tampered).status, S.SEC_E_MESSAGE_ALTERED);
  assert.deepEqual(decrypt(cctx, encrypt(sctx, 'answer')), { status: S.SEC_E_OK, text: 'answer' });
  const sizes = new S.SecPkgContext_StreamSizes();
  assert.equal(S.QueryContextAttributes(sctx, S.SECPKG_ATTR_STREAM_SIZES, sizes), S.SEC_E_OK);
  assert.equal(sizes.cbMaximumMessage, 400 - sizes.cbHeader - sizes.cbTrailer);
  assert.equal(S.DeleteSecurityContext(cctx), S.SEC_E_OK);
  assert.equal(S.DeleteSecurityContext(sctx), S.SEC_E_OK);
});

test('SECPKG_ATTR_DTLS_MTU: out-of-range values are refused; a TLS context does not take ISC_REQ_DATAGRAM', () => {
  const client = legacyCred(S.SP_PROT_DTLS1_2_CLIENT, S.SECPKG_CRED_OUTBOUND);
  const ctx = new S.CtxtHandle();
  assert.equal(call('client', client.h, ctx, false, null).status, S.SEC_I_CONTINUE_NEEDED);
  const q = new S.SEC_DTLS_MTU();
  assert.equal(S.QueryContextAttributes(ctx, S.SECPKG_ATTR_DTLS_MTU, q), S.SEC_E_OK);
  assert.equal(q.PathMTU, S.DEFAULT_DTLS_MTU);
  q.PathMTU = 100;
  assert.equal(S.SetContextAttributes(ctx, S.SECPKG_ATTR_DTLS_MTU, q, 2), S.SEC_E_INVALID_PARAMETER);
  q.PathMTU = 1300;
  assert.equal(S.SetContextAttributes(ctx, S.SECPKG_ATTR_DTLS_MTU, q, 2), S.SEC_E_OK);
  assert.equal(S.QueryContextAttributes(ctx, S.SECPKG_ATTR_DTLS_MTU, q), S.SEC_E_OK);
  assert.equal(q.PathMTU, 1300);
  const tls = legacyCred(S.SP_PROT_TLS1_2_CLIENT, S.SECPKG_CRED_OUTBOUND);
  assert.equal(call('client', tls.h, new S.CtxtHandle(), false, null).status, S.SEC_E_UNSUPPORTED_FUNCTION);
});
