/**
 * Wine's dlls/secur32/tests/schannel.c, the assertions that apply to this port, as a table of cases. Each case names
 * the Wine test function it comes from; Wine runs them against real Windows, so they pin Windows behaviour. The
 * differences are only the ones this port cannot change: no TLS 1.0/1.1 and no DTLS (Wine's TLS 1.0 credentials use
 * SP_PROT_TLS1_2_* here), and test.winehq.org is replaced by our own AcceptSecurityContext server in memory (RSA
 * certificate, TLS 1.2, as winehq's server negotiated). The cases Wine marks todo_wine are kept: they are what
 * Windows does. Cases that do not apply are listed in docs/conformance.md ("Schannel consumers") with the reason.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { getPki, type Pki } from '../helpers/pki.js';
import * as S from '../../src/sspi/index.js';
import { requirePeer, spawnPeer, withPeer } from '../helpers/peers.js';
import { CurlSchannel } from './curl-schannel.js';
import { Wire } from './wire.js';

let pki: Pki;
before(async () => {
  pki = await getPki();
});

const bytesOf = (b: S.SecBuffer): Uint8Array => (b.pvBuffer === null ? new Uint8Array(0) : b.pvBuffer.slice(0, b.cbBuffer));
const buf = (type: number, size: number, mem: Uint8Array | null = size > 0 ? new Uint8Array(size) : null): S.SecBuffer => new S.SecBuffer(size, type, mem);
/** Wine's init_buffers(desc, count, size): the first buffer has `size` bytes, the others are zeroed. */
const initBuffers = (count: number, size: number): S.SecBufferDesc =>
  new S.SecBufferDesc(Array.from({ length: count }, (_, i) => (i === 0 ? buf(S.SECBUFFER_EMPTY, size) : new S.SecBuffer(0, S.SECBUFFER_EMPTY, null))));
const at = (d: S.SecBufferDesc, i: number): S.SecBuffer => d.pBuffers[i] as S.SecBuffer;

/** Wine's init_cred + grbitEnabledProtocols/dwFlags, acquired with UNISP_NAME. */
function acquire(use: number, protocols: number, flags: number, certs: S.CertContext[] = []): { status: number; cred: S.CredHandle } {
  const c = new S.SCHANNEL_CRED();
  c.grbitEnabledProtocols = protocols;
  c.dwFlags = flags;
  c.cCreds = certs.length;
  c.paCred = certs.length > 0 ? certs : null;
  const cred = new S.CredHandle();
  return { status: S.AcquireCredentialsHandle(null, S.UNISP_NAME, use, null, c, null, null, cred, new S.TimeStamp()), cred };
}

const CLIENT_FLAGS = S.SCH_CRED_NO_DEFAULT_CREDS | S.SCH_CRED_MANUAL_CRED_VALIDATION;
const clientCred = (): S.CredHandle => {
  const r = acquire(S.SECPKG_CRED_OUTBOUND, S.SP_PROT_TLS1_2_CLIENT, CLIENT_FLAGS);
  assert.equal(r.status, S.SEC_E_OK);
  return r.cred;
};
const serverCred = (): S.CredHandle => {
  const r = acquire(S.SECPKG_CRED_INBOUND, S.SP_PROT_TLS1_2_SERVER, CLIENT_FLAGS, [S.CertContext.fromPem(pki.server.rsa2048.chainPem, pki.server.rsa2048.keyPem)]);
  assert.equal(r.status, S.SEC_E_OK);
  return r.cred;
};

// ---- testAcquireSecurityContext, test_cread_attrs --------------------------------------------------------------

test('wine testAcquireSecurityContext: package, direction and structure-version statuses', () => {
  assert.equal(S.AcquireCredentialsHandle(null, null, 0, null, null, null, null, null, null), S.SEC_E_SECPKG_NOT_FOUND);
  assert.equal(S.AcquireCredentialsHandle(null, S.UNISP_NAME, 0, null, null, null, null, null, null), S.SEC_E_NO_CREDENTIALS);
  assert.equal(S.AcquireCredentialsHandle(null, S.UNISP_NAME, S.SECPKG_CRED_BOTH, null, null, null, null, null, null), S.SEC_E_NO_CREDENTIALS);
  assert.equal(S.AcquireCredentialsHandle(null, S.UNISP_NAME, S.SECPKG_CRED_INBOUND, null, null, null, null, null, null), S.SEC_E_NO_CREDENTIALS);
  const cred = new S.CredHandle();
  assert.equal(S.AcquireCredentialsHandle(null, S.UNISP_NAME, S.SECPKG_CRED_OUTBOUND, null, null, null, null, cred, null), S.SEC_E_OK);
  assert.equal(S.QueryCredentialsAttributes(cred, S.SECPKG_CRED_ATTR_NAMES, new S.SecPkgCredentials_Names()), S.SEC_E_NO_CREDENTIALS);
  assert.equal(S.FreeCredentialsHandle(cred), S.SEC_E_OK);
  // "Should fail if no enabled protocols are available": server-only bits on an outbound credential and the reverse.
  assert.equal(acquire(S.SECPKG_CRED_OUTBOUND, S.SP_PROT_TLS1_X_SERVER, 0).status, S.SEC_E_ALGORITHM_MISMATCH);
  assert.equal(acquire(S.SECPKG_CRED_INBOUND, S.SP_PROT_TLS1_X_SERVER, 0).status, S.SEC_E_OK);
  assert.equal(acquire(S.SECPKG_CRED_OUTBOUND, S.SP_PROT_TLS1_X_CLIENT, 0).status, S.SEC_E_OK);
  assert.equal(acquire(S.SECPKG_CRED_INBOUND, S.SP_PROT_TLS1_X_CLIENT, 0).status, S.SEC_E_ALGORITHM_MISMATCH);
  // Bad version (a zeroed SCHANNEL_CRED), SCH_CRED_V1/V2 → UNKNOWN_CREDENTIALS; no certificate: OK both ways.
  for (const v of [0, S.SCH_CRED_V1, S.SCH_CRED_V2]) {
    const c = new S.SCHANNEL_CRED();
    c.dwVersion = v;
    assert.equal(S.AcquireCredentialsHandle(null, S.UNISP_NAME, S.SECPKG_CRED_OUTBOUND, null, c, null, null, new S.CredHandle(), null), S.SEC_E_UNKNOWN_CREDENTIALS);
    assert.equal(S.AcquireCredentialsHandle(null, S.UNISP_NAME, S.SECPKG_CRED_INBOUND, null, c, null, null, new S.CredHandle(), null), S.SEC_E_UNKNOWN_CREDENTIALS);
  }
  assert.equal(acquire(S.SECPKG_CRED_OUTBOUND, 0, 0).status, S.SEC_E_OK);
  assert.equal(acquire(S.SECPKG_CRED_INBOUND, 0, 0).status, S.SEC_E_OK);
  // A zeroed SCH_CREDENTIALS with its version: OK.
  assert.equal(S.AcquireCredentialsHandle(null, S.UNISP_NAME, S.SECPKG_CRED_OUTBOUND, null, new S.SCH_CREDENTIALS(), null, null, new S.CredHandle(), null), S.SEC_E_OK);
});

test('wine testAcquireSecurityContext: bogus certificate → UNKNOWN_CREDENTIALS, certificate without key → NO_CREDENTIALS, V3 with key → OK', () => {
  const bogus = S.CertContext.fromDer([Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x01)]);
  assert.equal(acquire(S.SECPKG_CRED_OUTBOUND, 0, 0, [bogus]).status, S.SEC_E_UNKNOWN_CREDENTIALS);
  assert.equal(acquire(S.SECPKG_CRED_INBOUND, 0, 0, [bogus]).status, S.SEC_E_UNKNOWN_CREDENTIALS);
  const noKey = S.CertContext.fromDer([pki.server.rsa2048.certDer]);
  assert.equal(acquire(S.SECPKG_CRED_OUTBOUND, 0, 0, [noKey]).status, S.SEC_E_NO_CREDENTIALS);
  assert.equal(acquire(S.SECPKG_CRED_INBOUND, 0, 0, [noKey]).status, S.SEC_E_NO_CREDENTIALS);
  // "How about more than one cert?" A bogus one with a good one, in either order → UNKNOWN_CREDENTIALS.
  const good = S.CertContext.fromPem(pki.server.rsa2048.chainPem, pki.server.rsa2048.keyPem);
  assert.equal(acquire(S.SECPKG_CRED_INBOUND, 0, 0, [bogus, good]).status, S.SEC_E_UNKNOWN_CREDENTIALS);
  assert.equal(acquire(S.SECPKG_CRED_INBOUND, 0, 0, [good, bogus]).status, S.SEC_E_UNKNOWN_CREDENTIALS);
  const r = acquire(S.SECPKG_CRED_INBOUND, 0, 0, [good]);
  assert.equal(r.status, S.SEC_E_OK);
  // test_strength: both strengths are set.
  const st = new S.SecPkgCred_CipherStrengths();
  assert.equal(S.QueryCredentialsAttributes(r.cred, S.SECPKG_ATTR_CIPHER_STRENGTHS, st), S.SEC_E_OK);
  assert.ok(st.dwMinimumCipherStrength > 0 && st.dwMaximumCipherStrength > 0);
});

test('wine test_cread_attrs: SUPPORTED_PROTOCOLS / SUPPORTED_ALGS with a NULL buffer → INTERNAL_ERROR; protocols echo the request', () => {
  const cred = new S.CredHandle();
  assert.equal(S.AcquireCredentialsHandle(null, S.UNISP_NAME, S.SECPKG_CRED_OUTBOUND, null, null, null, null, cred, null), S.SEC_E_OK);
  assert.equal(S.QueryCredentialsAttributes(cred, S.SECPKG_ATTR_SUPPORTED_PROTOCOLS, null), S.SEC_E_INTERNAL_ERROR);
  assert.equal(S.QueryCredentialsAttributes(cred, S.SECPKG_ATTR_SUPPORTED_ALGS, null), S.SEC_E_INTERNAL_ERROR);
  const algs = new S.SecPkgCred_SupportedAlgs();
  assert.equal(S.QueryCredentialsAttributes(cred, S.SECPKG_ATTR_SUPPORTED_ALGS, algs), S.SEC_E_OK);
  assert.ok(algs.cSupportedAlgs > 0);
  assert.equal(S.FreeContextBuffer(algs.palgSupportedAlgs), S.SEC_E_OK);
  const r = acquire(S.SECPKG_CRED_OUTBOUND, S.SP_PROT_TLS1_2_CLIENT, 0);
  const p = new S.SecPkgCred_SupportedProtocols();
  assert.equal(S.QueryCredentialsAttributes(r.cred, S.SECPKG_ATTR_SUPPORTED_PROTOCOLS, p), S.SEC_E_OK);
  assert.equal(p.grbitProtocol, S.SP_PROT_TLS1_2_CLIENT);
});

test('wine test_dtls: DTLS credentials are acquired (the whole test_dtls sequence is in test/dtls/sspi.test.ts); DTLS mixed with TLS → ALGORITHM_MISMATCH', () => {
  assert.equal(acquire(S.SECPKG_CRED_OUTBOUND, S.SP_PROT_DTLS1_0_CLIENT | S.SP_PROT_DTLS1_2_CLIENT, S.SCH_CRED_NO_DEFAULT_CREDS).status, S.SEC_E_OK);
  assert.equal(acquire(S.SECPKG_CRED_OUTBOUND, S.SP_PROT_DTLS1_X_CLIENT | S.SP_PROT_TLS1_2_CLIENT, 0).status, S.SEC_E_ALGORITHM_MISMATCH);
});

// ---- test_context_output_buffer_size, test_InitializeSecurityContext --------------------------------------------

test('wine test_context_output_buffer_size: zero-size TOKEN/ALERT without ALLOCATE_MEMORY, allocation replaces the caller pointer, ALERT emptied', () => {
  const cred = clientCred();
  const req = S.ISC_REQ_CONFIDENTIALITY | S.ISC_REQ_STREAM;
  const inBuffers = new S.SecBufferDesc([new S.SecBuffer(0, S.SECBUFFER_EMPTY, null)]);
  const out = initBuffers(4, 8192);
  at(out, 0).BufferType = S.SECBUFFER_TOKEN;
  const mem = at(out, 0).pvBuffer as Uint8Array;
  const mem2 = new Uint8Array(8192);
  at(out, 1).pvBuffer = mem2;
  for (const i of [0, 1]) {
    const b = at(out, i);
    Object.assign(at(out, 0), { cbBuffer: 8192, pvBuffer: mem });
    if (i === 1) b.BufferType = S.SECBUFFER_ALERT;
    b.cbBuffer = 0;
    const ctx = new S.CtxtHandle();
    assert.equal(S.InitializeSecurityContext(cred, null, 'localhost', req, 0, 0, inBuffers, 0, ctx, out, new S.ULONG(), null), S.SEC_E_INSUFFICIENT_MEMORY, `${i}`);

    const stranger = new Uint8Array(8192); // Wine's 0xdeadbeef: a pointer the package must not write through
    if (i === 1) Object.assign(at(out, 0), { cbBuffer: 8192, pvBuffer: stranger });
    Object.assign(b, { cbBuffer: 0, pvBuffer: null });
    assert.equal(S.InitializeSecurityContext(cred, null, 'localhost', req | S.ISC_REQ_ALLOCATE_MEMORY, 0, 0, inBuffers, 0, ctx, out, new S.ULONG(), null), S.SEC_I_CONTINUE_NEEDED, `${i}`);
    assert.notEqual(at(out, 0).pvBuffer, stranger);
    assert.equal(at(out, 0).pvBuffer?.[0], 22);
    assert.ok(stranger.every((x) => x === 0));
    if (i === 1) assert.equal(S.FreeContextBuffer(at(out, 0).pvBuffer), S.SEC_E_OK);
    assert.equal(S.FreeContextBuffer(b.pvBuffer), S.SEC_E_OK);
    assert.equal(S.DeleteSecurityContext(ctx), S.SEC_E_OK);

    if (i === 1) Object.assign(at(out, 0), { cbBuffer: 8192, pvBuffer: mem });
    Object.assign(b, { cbBuffer: 8192, pvBuffer: i === 0 ? mem : mem2 });
    const ctx2 = new S.CtxtHandle();
    assert.equal(S.InitializeSecurityContext(cred, null, 'localhost', req, 0, 0, inBuffers, 0, ctx2, out, new S.ULONG(), null), S.SEC_I_CONTINUE_NEEDED, `${i}`);
    if (i === 1) assert.equal(b.cbBuffer, 0, 'ALERT buffer emptied');
    assert.equal(S.DeleteSecurityContext(ctx2), S.SEC_E_OK);
  }
});

test('wine test_InitializeSecurityContext: TOKEN {1000, NULL} with ALLOCATE_MEMORY and an EMPTY input → CONTINUE_NEEDED', () => {
  const cred = clientCred();
  const out = new S.SecBufferDesc([new S.SecBuffer(1000, S.SECBUFFER_TOKEN, null)]);
  const ctx = new S.CtxtHandle();
  const st = S.InitializeSecurityContext(cred, null, 'localhost', S.ISC_REQ_CONFIDENTIALITY | S.ISC_REQ_STREAM | S.ISC_REQ_ALLOCATE_MEMORY, 0, 0, new S.SecBufferDesc([new S.SecBuffer()]), 0, ctx, out, new S.ULONG(), null);
  assert.equal(st, S.SEC_I_CONTINUE_NEEDED);
  assert.equal(S.FreeContextBuffer(at(out, 0).pvBuffer), S.SEC_E_OK);
});

// ---- test_connection_shutdown -----------------------------------------------------------------------------------

test('wine test_connection_shutdown: TOKEN {1000, NULL} without ALLOCATE_MEMORY is allocated; ApplyControlToken rules; close_notify and fatal alert records', () => {
  const cred = clientCred();
  const ctx = new S.CtxtHandle();
  // The first call: a 24-byte EMPTY input buffer (ignored) and an output TOKEN with a size but no memory.
  const input = new S.SecBufferDesc([buf(S.SECBUFFER_EMPTY, 24)]);
  const out = new S.SecBufferDesc([new S.SecBuffer(1000, S.SECBUFFER_TOKEN, null)]);
  assert.equal(S.InitializeSecurityContext(cred, null, 'localhost', S.ISC_REQ_CONFIDENTIALITY | S.ISC_REQ_STREAM, 0, 0, input, 0, ctx, out, new S.ULONG(), null), S.SEC_I_CONTINUE_NEEDED);
  assert.ok(at(out, 0).pvBuffer !== null && at(out, 0).cbBuffer > 0, 'package allocated the token');
  assert.equal(S.FreeContextBuffer(at(out, 0).pvBuffer), S.SEC_E_OK);

  const shutdown = (): Uint8Array => Uint8Array.of(1, 0, 0, 0, 0); // SCHANNEL_SHUTDOWN (+1 byte: sizeof(DWORD)+1 is accepted)
  const tok = (bytes: Uint8Array, size = bytes.length): S.SecBuffer => new S.SecBuffer(size, S.SECBUFFER_TOKEN, bytes);
  assert.equal(S.ApplyControlToken(ctx, new S.SecBufferDesc([tok(shutdown(), 4), tok(shutdown(), 4)])), S.SEC_E_INVALID_TOKEN);
  assert.equal(S.ApplyControlToken(ctx, new S.SecBufferDesc([tok(shutdown(), 4), new S.SecBuffer()])), S.SEC_E_INVALID_TOKEN);
  assert.equal(S.ApplyControlToken(ctx, new S.SecBufferDesc([tok(Uint8Array.of(S.SCHANNEL_RENEGOTIATE, 0, 0, 0))])), S.SEC_E_UNSUPPORTED_FUNCTION);
  assert.equal(S.ApplyControlToken(null, new S.SecBufferDesc([tok(shutdown(), 4)])), S.SEC_E_INVALID_HANDLE);
  assert.equal(S.ApplyControlToken(ctx, null), S.SEC_E_INTERNAL_ERROR);
  assert.equal(S.ApplyControlToken(ctx, new S.SecBufferDesc([new S.SecBuffer(4, S.SECBUFFER_ALERT, shutdown())])), S.SEC_E_INVALID_TOKEN);
  assert.equal(S.ApplyControlToken(ctx, new S.SecBufferDesc([new S.SecBuffer(4, S.SECBUFFER_DATA, shutdown())])), S.SEC_E_INVALID_TOKEN);
  assert.equal(S.ApplyControlToken(ctx, new S.SecBufferDesc([tok(shutdown(), 2)])), S.SEC_E_UNSUPPORTED_FUNCTION);
  assert.equal(S.ApplyControlToken(ctx, new S.SecBufferDesc([tok(shutdown(), 5)])), S.SEC_E_OK);
  assert.equal(S.ApplyControlToken(ctx, new S.SecBufferDesc([tok(shutdown(), 5)])), S.SEC_E_OK);

  // The alert goes out on the next ISC whatever the input holds; phNewContext gets the same handle.
  const small = new S.SecBufferDesc([new S.SecBuffer(1000, S.SECBUFFER_TOKEN, new Uint8Array(24))]);
  const ctx2 = new S.CtxtHandle();
  assert.equal(S.InitializeSecurityContext(cred, ctx, null, 0, 0, 0, new S.SecBufferDesc([tok(new Uint8Array(1000).fill(0x5a))]), 0, ctx2, small, new S.ULONG(), null), S.SEC_E_OK);
  assert.deepEqual([ctx2.dwLower, ctx2.dwUpper], [ctx.dwLower, ctx.dwUpper]);
  const closeNotify = bytesOf(at(small, 0));
  // Wine's bytes are 15 03 01 00 02 01 00 for a TLS 1.0 credential; the record version is the credential's protocol.
  assert.deepEqual([...closeNotify.subarray(0, 2), ...closeNotify.subarray(3)], [0x15, 0x03, 0x00, 0x02, 0x01, 0x00]);

  // Nothing pending, no input → INCOMPLETE_MESSAGE, output and phNewContext untouched.
  const out2 = new S.SecBufferDesc([new S.SecBuffer(1000, S.SECBUFFER_TOKEN, new Uint8Array(1000))]);
  const untouched = new S.CtxtHandle();
  untouched.dwLower = 0xdeadbeef;
  untouched.dwUpper = 0xdeadbeef;
  assert.equal(S.InitializeSecurityContext(cred, ctx, null, 0, 0, 0, null, 0, untouched, out2, new S.ULONG(), null), S.SEC_E_INCOMPLETE_MESSAGE);
  assert.equal(at(out2, 0).cbBuffer, 1000);
  assert.deepEqual([untouched.dwLower, untouched.dwUpper], [0xdeadbeef, 0xdeadbeef]);

  // Shutdown again → the same record; then a fatal bad_certificate (42) alert token.
  assert.equal(S.ApplyControlToken(ctx, new S.SecBufferDesc([tok(shutdown(), 4)])), S.SEC_E_OK);
  assert.equal(S.InitializeSecurityContext(cred, ctx, null, 0, 0, 0, null, 0, null, out2, new S.ULONG(), null), S.SEC_E_OK);
  assert.deepEqual(bytesOf(at(out2, 0)), closeNotify);
  const alert = new Uint8Array(12);
  const dv = new DataView(alert.buffer);
  dv.setUint32(0, S.SCHANNEL_ALERT, true);
  dv.setUint32(4, S.TLS1_ALERT_FATAL, true);
  dv.setUint32(8, S.TLS1_ALERT_BAD_CERTIFICATE, true);
  assert.equal(S.ApplyControlToken(ctx, new S.SecBufferDesc([tok(alert)])), S.SEC_E_OK);
  at(out2, 0).cbBuffer = 1000;
  assert.equal(S.InitializeSecurityContext(cred, ctx, null, 0, 0, 0, null, 0, null, out2, new S.ULONG(), null), S.SEC_E_OK);
  const fatal = bytesOf(at(out2, 0));
  assert.deepEqual([...fatal.subarray(0, 2), ...fatal.subarray(3)], [0x15, 0x03, 0x00, 0x02, 0x02, 0x2a]);
});

// ---- test_communication (our TLS 1.2 server in place of test.winehq.org) -----------------------------------------

/** Runs our server over the client's records: the bytes it answers with (Wine's recv from the socket). */
class MemoryServer {
  readonly cred = serverCred();
  readonly ctx = new S.CtxtHandle();
  private started = false;
  exchange(clientBytes: Uint8Array): Uint8Array {
    const input = new S.SecBufferDesc([new S.SecBuffer(clientBytes.length, S.SECBUFFER_TOKEN, clientBytes), new S.SecBuffer()]);
    const out = new S.SecBufferDesc([new S.SecBuffer(0, S.SECBUFFER_TOKEN, null)]);
    const st = S.AcceptSecurityContext(this.cred, this.started ? this.ctx : null, input, S.ASC_REQ_CONFIDENTIALITY | S.ASC_REQ_STREAM | S.ASC_REQ_ALLOCATE_MEMORY, 0, this.ctx, out, new S.ULONG(), null);
    assert.ok(st === S.SEC_I_CONTINUE_NEEDED || st === S.SEC_E_OK, `ASC ${st.toString(16)}`);
    this.started = true;
    return bytesOf(at(out, 0));
  }
  seal(text: string): Uint8Array {
    const sizes = new S.SecPkgContext_StreamSizes();
    assert.equal(S.QueryContextAttributes(this.ctx, S.SECPKG_ATTR_STREAM_SIZES, sizes), S.SEC_E_OK);
    const data = new TextEncoder().encode(text);
    const mem = new Uint8Array(sizes.cbHeader + data.length + sizes.cbTrailer);
    mem.set(data, sizes.cbHeader);
    const d = new S.SecBufferDesc([
      new S.SecBuffer(sizes.cbHeader, S.SECBUFFER_STREAM_HEADER, mem.subarray(0, sizes.cbHeader)),
      new S.SecBuffer(data.length, S.SECBUFFER_DATA, mem.subarray(sizes.cbHeader)),
      new S.SecBuffer(sizes.cbTrailer, S.SECBUFFER_STREAM_TRAILER, mem.subarray(sizes.cbHeader + data.length)),
      new S.SecBuffer(),
    ]);
    assert.equal(S.EncryptMessage(this.ctx, 0, d, 0), S.SEC_E_OK);
    return mem.slice(0, at(d, 0).cbBuffer + at(d, 1).cbBuffer + at(d, 2).cbBuffer);
  }
}

test('wine test_communication: continuation buffer rules, MISSING sizes, handle identity, attributes, then DecryptMessage layout rules', () => {
  const cred = clientCred();
  const server = new MemoryServer();
  const size = 8192;
  const b0 = initBuffers(4, size);
  const b1 = initBuffers(4, size);
  at(b0, 0).BufferType = S.SECBUFFER_TOKEN;
  const ctx = new S.CtxtHandle();
  const req = S.ISC_REQ_CONFIDENTIALITY | S.ISC_REQ_STREAM;
  assert.equal(S.InitializeSecurityContext(cred, null, 'localhost', req, 0, 0, null, 0, ctx, b0, new S.ULONG(), null), S.SEC_I_CONTINUE_NEEDED);

  // Garbage (0xfa…) and zeros as the server's reply → INVALID_TOKEN, output size set to 0.
  b1.cBuffers = 1;
  at(b1, 0).BufferType = S.SECBUFFER_TOKEN;
  for (const fill of [0xfa, 0]) {
    at(b0, 0).cbBuffer = 1;
    (at(b1, 0).pvBuffer as Uint8Array).fill(fill);
    assert.equal(S.InitializeSecurityContext(cred, ctx, 'localhost', req, 0, 0, b1, 0, null, b0, new S.ULONG(), null), S.SEC_E_INVALID_TOKEN);
    assert.equal(at(b0, 0).cbBuffer, 0);
  }
  // A zero-size output TOKEN without ALLOCATE_MEMORY → INSUFFICIENT_MEMORY (or INVALID_TOKEN), size 0.
  at(b0, 0).cbBuffer = 0;
  const st0 = S.InitializeSecurityContext(cred, ctx, 'localhost', req, 0, 0, b1, 0, null, b0, new S.ULONG(), null);
  assert.ok(st0 === S.SEC_E_INSUFFICIENT_MEMORY || st0 === S.SEC_E_INVALID_TOKEN);
  assert.equal(at(b0, 0).cbBuffer, 0);
  // No output descriptor at all → INVALID_TOKEN.
  assert.equal(S.InitializeSecurityContext(cred, null, 'localhost', req, 0, 0, null, 0, new S.CtxtHandle(), null, new S.ULONG(), null), S.SEC_E_INVALID_TOKEN);

  // A fresh context; its ClientHello goes to the server.
  at(b0, 0).cbBuffer = size;
  const ctx1 = new S.CtxtHandle();
  assert.equal(S.InitializeSecurityContext(cred, null, 'localhost', req, 0, 0, null, 0, ctx1, b0, new S.ULONG(), null), S.SEC_I_CONTINUE_NEEDED);
  let reply = server.exchange(bytesOf(at(b0, 0)));
  at(b0, 0).cbBuffer = size;

  // No input → INCOMPLETE_MESSAGE; output and phNewContext untouched.
  const ctx2 = new S.CtxtHandle();
  Object.assign(ctx2, { dwLower: 0xdeadbeef, dwUpper: 0xdeadbeef });
  assert.equal(S.InitializeSecurityContext(cred, ctx1, 'localhost', req, 0, 0, null, 0, ctx2, b0, new S.ULONG(), null), S.SEC_E_INCOMPLETE_MESSAGE);
  assert.deepEqual([at(b0, 0).cbBuffer, at(b0, 0).BufferType, ctx2.dwLower, ctx2.dwUpper], [size, S.SECBUFFER_TOKEN, 0xdeadbeef, 0xdeadbeef]);

  // 0, 4 and 5 bytes of the reply → INCOMPLETE_MESSAGE with MISSING 5, 1, and the rest of the record (> 5).
  const mem1 = at(b1, 0).pvBuffer as Uint8Array;
  mem1.set(reply);
  b1.cBuffers = 2;
  const recordLen = 5 + (((reply[3] as number) << 8) | (reply[4] as number));
  for (const [given, missing] of [[0, 5], [4, 1], [5, recordLen - 5]] as const) {
    Object.assign(at(b1, 0), { cbBuffer: given, BufferType: S.SECBUFFER_TOKEN });
    Object.assign(at(b1, 1), { cbBuffer: 0, BufferType: S.SECBUFFER_EMPTY, pvBuffer: null });
    Object.assign(ctx2, { dwLower: 0xdeadbeef, dwUpper: 0xdeadbeef });
    assert.equal(S.InitializeSecurityContext(cred, ctx1, 'localhost', req, 0, 0, b1, 0, ctx2, b0, new S.ULONG(), null), S.SEC_E_INCOMPLETE_MESSAGE);
    assert.deepEqual([at(b0, 0).cbBuffer, at(b0, 0).BufferType], [size, S.SECBUFFER_TOKEN]);
    assert.deepEqual([at(b1, 1).BufferType, at(b1, 1).cbBuffer], [S.SECBUFFER_MISSING, missing], `${given} bytes`);
    assert.deepEqual([ctx2.dwLower, ctx2.dwUpper], [0xdeadbeef, 0xdeadbeef]);
  }

  // The whole reply, cBuffers 1, ISC_REQ_USE_SUPPLIED_CREDS; loop as Wine does.
  b1.cBuffers = 1;
  Object.assign(at(b1, 0), { cbBuffer: reply.length, BufferType: S.SECBUFFER_TOKEN });
  const attrs = new S.ULONG();
  let st = S.InitializeSecurityContext(cred, ctx1, 'localhost', req | S.ISC_REQ_USE_SUPPLIED_CREDS, 0, 0, b1, 0, ctx2, b0, attrs, null);
  while (st === S.SEC_I_CONTINUE_NEEDED) {
    assert.deepEqual([ctx2.dwLower, ctx2.dwUpper], [ctx1.dwLower, ctx1.dwUpper]);
    reply = server.exchange(bytesOf(at(b0, 0)));
    at(b0, 0).cbBuffer = size;
    mem1.set(reply);
    Object.assign(at(b1, 0), { cbBuffer: reply.length, BufferType: S.SECBUFFER_TOKEN });
    // An EMPTY input buffer claiming 0xdeadbeef bytes → INVALID_TOKEN, and the context goes on.
    b1.cBuffers = 2;
    Object.assign(at(b1, 1), { BufferType: S.SECBUFFER_EMPTY, cbBuffer: 0xdeadbeef, pvBuffer: null });
    assert.equal(S.InitializeSecurityContext(cred, ctx1, 'localhost', S.ISC_REQ_USE_SUPPLIED_CREDS, 0, 0, b1, 0, null, b0, attrs, null), S.SEC_E_INVALID_TOKEN);
    b1.cBuffers = 1;
    at(b0, 0).cbBuffer = size;
    st = S.InitializeSecurityContext(cred, ctx1, 'localhost', S.ISC_REQ_USE_SUPPLIED_CREDS, 0, 0, b1, 0, null, b0, attrs, null);
  }
  assert.equal(st, S.SEC_E_OK);
  assert.equal(at(b0, 0).cbBuffer, 0, 'TLS 1.2 client: nothing to send after the server Finished');
  assert.equal(attrs.value, S.ISC_RET_REPLAY_DETECT | S.ISC_RET_SEQUENCE_DETECT | S.ISC_RET_CONFIDENTIALITY | S.ISC_RET_STREAM | S.ISC_RET_USED_SUPPLIED_CREDS);
  assert.equal(S.QueryCredentialsAttributes(cred, S.SECPKG_CRED_ATTR_NAMES, new S.SecPkgCredentials_Names()), S.SEC_E_NO_CREDENTIALS);

  // Attributes Wine checks.
  const conn = new S.SecPkgContext_ConnectionInfo();
  assert.equal(S.QueryContextAttributes(ctx1, S.SECPKG_ATTR_CONNECTION_INFO, conn), S.SEC_E_OK);
  assert.ok(conn.dwCipherStrength >= 128);
  assert.equal(conn.dwHashStrength, 0);
  const cipher = new S.SecPkgContext_CipherInfo();
  assert.equal(S.QueryContextAttributes(ctx1, S.SECPKG_ATTR_CIPHER_INFO, cipher), S.SEC_E_OK);
  assert.equal(cipher.dwProtocol, 0x303);
  assert.match(cipher.szCipherSuite, /^TLS_ECDHE_RSA_WITH_AES_(128|256)_GCM_SHA(256|384)$/);
  assert.equal(cipher.szCipher, 'AES');
  assert.equal(cipher.dwCipherBlockLen, 16);
  assert.equal(cipher.szHash, '');
  assert.equal(cipher.dwHashLen, 0);
  assert.ok(cipher.szExchange === 'ECDH' || cipher.szExchange === 'ECDH_P256');
  assert.equal(cipher.szCertificate, 'RSA');
  const key = new S.SecPkgContext_KeyInfo();
  assert.equal(S.QueryContextAttributes(ctx1, S.SECPKG_ATTR_KEY_INFO, key), S.SEC_E_OK);
  assert.equal(key.SignatureAlgorithm, S.CALG_RSA_SIGN);
  assert.equal(key.sSignatureAlgorithmName, 'RSA');
  assert.ok(key.KeySize >= 128);
  assert.equal(S.QueryContextAttributes(ctx1, S.SECPKG_ATTR_NEGOTIATION_INFO, {}), S.SEC_E_UNSUPPORTED_FUNCTION);

  // DecryptMessage layout rules on a record from the server.
  const rec = server.seal('HTTP/1.1 200 OK\r\n\r\n');
  const d = initBuffers(4, size);
  const dmem = at(d, 0).pvBuffer as Uint8Array;
  dmem.set(rec);
  at(d, 0).cbBuffer = rec.length;
  d.cBuffers = 3;
  assert.equal(S.DecryptMessage(ctx1, d, 0, null), S.SEC_E_INVALID_TOKEN, 'too few buffers');
  d.cBuffers = 4;
  assert.equal(S.DecryptMessage(ctx1, d, 0, null), S.SEC_E_INVALID_TOKEN, 'no data buffer');
  at(d, 0).BufferType = S.SECBUFFER_DATA;
  at(d, 1).BufferType = S.SECBUFFER_DATA;
  assert.equal(S.DecryptMessage(ctx1, d, 0, null), S.SEC_E_INVALID_TOKEN, 'two data buffers');
  at(d, 1).BufferType = S.SECBUFFER_EXTRA;
  assert.equal(S.DecryptMessage(ctx1, d, 0, null), S.SEC_E_INVALID_TOKEN, 'too few empty buffers');
  at(d, 1).BufferType = S.SECBUFFER_EMPTY;
  at(d, 0).cbBuffer = ((dmem[3] as number) << 8) | (dmem[4] as number);
  assert.equal(S.DecryptMessage(ctx1, d, 0, null), S.SEC_E_INCOMPLETE_MESSAGE);
  assert.deepEqual([at(d, 0).BufferType, at(d, 0).cbBuffer], [S.SECBUFFER_MISSING, 5]);
  Object.assign(at(d, 0), { BufferType: S.SECBUFFER_DATA, cbBuffer: rec.length });
  assert.equal(S.DecryptMessage(ctx1, d, 0, null), S.SEC_E_OK);
  assert.equal(new TextDecoder().decode(bytesOf(at(d, 1))), 'HTTP/1.1 200 OK\r\n\r\n');
  assert.deepEqual([at(d, 0).BufferType, at(d, 1).BufferType, at(d, 2).BufferType], [S.SECBUFFER_STREAM_HEADER, S.SECBUFFER_DATA, S.SECBUFFER_STREAM_TRAILER]);
});

// ---- test_server_protocol_negotiation ---------------------------------------------------------------------------

test('wine test_server_protocol_negotiation: ALPN through ISC and ASC input buffers, handles kept, http/1.1 chosen', () => {
  const alpn = S.buildApplicationProtocols(['http/1.1', 'h2']);
  const cCred = clientCred();
  const sCred = serverCred();
  const size = 8192;
  const b0 = initBuffers(4, size);
  const b1 = initBuffers(4, size);
  const b2 = new S.SecBufferDesc([new S.SecBuffer(alpn.length, S.SECBUFFER_APPLICATION_PROTOCOLS, alpn)]);
  at(b0, 0).BufferType = S.SECBUFFER_TOKEN;
  const cctx = new S.CtxtHandle();
  const sctx = new S.CtxtHandle();
  const attrs = new S.ULONG();
  assert.equal(S.InitializeSecurityContext(cCred, null, 'localhost', S.ISC_REQ_CONFIDENTIALITY | S.ISC_REQ_STREAM, 0, 0, b2, 0, cctx, b0, attrs, null), S.SEC_I_CONTINUE_NEEDED);
  Object.assign(at(b1, 0), { cbBuffer: size, BufferType: S.SECBUFFER_TOKEN });
  b0.pBuffers[1] = b2.pBuffers[0] as S.SecBuffer;
  assert.equal(S.AcceptSecurityContext(sCred, null, b0, S.ASC_REQ_CONFIDENTIALITY | S.ASC_REQ_STREAM, 0, sctx, b1, attrs, null), S.SEC_I_CONTINUE_NEEDED);
  b0.pBuffers[1] = new S.SecBuffer();
  const c2 = new S.CtxtHandle();
  at(b0, 0).cbBuffer = size;
  assert.equal(S.InitializeSecurityContext(cCred, cctx, 'localhost', S.ISC_REQ_CONFIDENTIALITY | S.ISC_REQ_STREAM | S.ISC_REQ_USE_SUPPLIED_CREDS, 0, 0, b1, 0, c2, b0, attrs, null), S.SEC_I_CONTINUE_NEEDED);
  assert.deepEqual([c2.dwLower, c2.dwUpper], [cctx.dwLower, cctx.dwUpper]);
  const s2 = new S.CtxtHandle();
  at(b1, 0).cbBuffer = size;
  assert.equal(S.AcceptSecurityContext(sCred, sctx, b0, S.ASC_REQ_CONFIDENTIALITY | S.ASC_REQ_STREAM, 0, s2, b1, attrs, null), S.SEC_E_OK);
  assert.deepEqual([s2.dwLower, s2.dwUpper], [sctx.dwLower, sctx.dwUpper]);
  at(b0, 0).cbBuffer = size;
  assert.equal(S.InitializeSecurityContext(cCred, cctx, 'localhost', S.ISC_REQ_USE_SUPPLIED_CREDS, 0, 0, b1, 0, null, b0, attrs, null), S.SEC_E_OK);
  const proto = new S.SecPkgContext_ApplicationProtocol();
  assert.equal(S.QueryContextAttributes(cctx, S.SECPKG_ATTR_APPLICATION_PROTOCOL, proto), S.SEC_E_OK);
  assert.equal(proto.ProtoNegoStatus, S.SecApplicationProtocolNegotiationStatus_Success);
  assert.equal(proto.ProtoNegoExt, S.SecApplicationProtocolNegotiationExt_ALPN);
  assert.equal(new TextDecoder().decode(proto.ProtocolId.subarray(0, proto.ProtocolIdSize)), 'http/1.1');
});

// ---- the curl layout (lib/vtls/schannel.c) that the Wine tests do not cover ---------------------------------------

test('curl schannel_connect_step1 / schannel_shutdown: a single EMPTY output buffer is filled and retyped SECBUFFER_TOKEN', () => {
  const cred = clientCred();
  const ctx = new S.CtxtHandle();
  const req = S.ISC_REQ_SEQUENCE_DETECT | S.ISC_REQ_REPLAY_DETECT | S.ISC_REQ_CONFIDENTIALITY | S.ISC_REQ_ALLOCATE_MEMORY | S.ISC_REQ_STREAM;
  const out = new S.SecBufferDesc([new S.SecBuffer(0, S.SECBUFFER_EMPTY, null)]);
  const attrs = new S.ULONG();
  assert.equal(S.InitializeSecurityContext(cred, null, 'localhost', req, 0, 0, null, 0, ctx, out, attrs, null), S.SEC_I_CONTINUE_NEEDED);
  assert.equal(at(out, 0).BufferType, S.SECBUFFER_TOKEN);
  assert.equal(at(out, 0).pvBuffer?.[0], 22);
  assert.ok((attrs.value & S.ISC_RET_ALLOCATED_MEMORY) !== 0);
  assert.equal(S.FreeContextBuffer(at(out, 0).pvBuffer), S.SEC_E_OK);
  assert.equal(S.ApplyControlToken(ctx, new S.SecBufferDesc([new S.SecBuffer(4, S.SECBUFFER_TOKEN, Uint8Array.of(1, 0, 0, 0))])), S.SEC_E_OK);
  const out2 = new S.SecBufferDesc([new S.SecBuffer(0, S.SECBUFFER_EMPTY, null)]);
  assert.equal(S.InitializeSecurityContext(cred, ctx, 'localhost', req, 0, 0, null, 0, ctx, out2, attrs, null), S.SEC_E_OK);
  assert.equal(at(out2, 0).BufferType, S.SECBUFFER_TOKEN);
  assert.equal(at(out2, 0).pvBuffer?.[0], 21);
  // Without ALLOCATE_MEMORY an EMPTY buffer with caller memory is written in place.
  const mem = new Uint8Array(4096);
  const out3 = new S.SecBufferDesc([new S.SecBuffer(4096, S.SECBUFFER_EMPTY, mem)]);
  assert.equal(S.InitializeSecurityContext(cred, null, 'localhost', S.ISC_REQ_CONFIDENTIALITY | S.ISC_REQ_STREAM, 0, 0, null, 0, new S.CtxtHandle(), out3, attrs, null), S.SEC_I_CONTINUE_NEEDED);
  assert.equal(at(out3, 0).pvBuffer, mem);
  assert.equal(mem[0], 22);
  // No TOKEN and no EMPTY buffer → INVALID_TOKEN.
  assert.equal(S.InitializeSecurityContext(cred, null, 'localhost', req, 0, 0, null, 0, new S.CtxtHandle(), new S.SecBufferDesc([new S.SecBuffer(0, S.SECBUFFER_ALERT, null)]), attrs, null), S.SEC_E_INVALID_TOKEN);
});

// ---- test_communication, the renegotiation part (a real TLS 1.2 server sends HelloRequest) -------------------------

test('wine test_communication (renegotiate): a HelloRequest from openssl s_server → SEC_I_RENEGOTIATE with [STREAM_HEADER, DATA of 0 bytes, STREAM_TRAILER]', async () => {
  requirePeer('openssl', 'openssl');
  const srv = await spawnPeer('openssl', ['s_server', '-tls1_2', '-accept', '127.0.0.1:0', '-cert', pki.server.rsa2048.chainPath, '-key', pki.server.rsa2048.keyPath], {
    readyPattern: /ACCEPT 127\.0\.0\.1:(\d+)/,
    stream: 'stdout',
    name: 's_server -tls1_2',
  });
  await withPeer(srv, async () => {
    const wire = await Wire.connect(Number((srv.ready as RegExpMatchArray)[1]), 'whole');
    try {
      const c = new CurlSchannel(wire, { host: 'localhost', caPem: pki.ca.certPem, tlsMax12: true });
      await c.connect();
      await srv.waitFor(/CIPHER is/, 10_000, 'stdout');
      srv.write('r\n'); // s_server: send a HelloRequest
      let rec = new Uint8Array(0);
      while (rec.length < 5 || rec.length < 5 + (((rec[3] as number) << 8) | (rec[4] as number))) {
        const more = await wire.recv(4096);
        assert.ok(more.length > 0, 'the HelloRequest record');
        const n = new Uint8Array(rec.length + more.length);
        n.set(rec);
        n.set(more, rec.length);
        rec = n;
      }
      const d = initBuffers(4, rec.length);
      (at(d, 0).pvBuffer as Uint8Array).set(rec);
      Object.assign(at(d, 0), { BufferType: S.SECBUFFER_DATA, cbBuffer: rec.length });
      assert.equal(S.DecryptMessage(c.ctx, d, 0, null), S.SEC_I_RENEGOTIATE);
      assert.deepEqual([at(d, 0).BufferType, at(d, 1).BufferType, at(d, 1).cbBuffer, at(d, 2).BufferType], [S.SECBUFFER_STREAM_HEADER, S.SECBUFFER_DATA, 0, S.SECBUFFER_STREAM_TRAILER]);
      // Windows' sizes (Wine marks them todo_wine, winehq negotiates AES-GCM too): a 13-byte header, and a 20-byte
      // trailer = the 4-byte HelloRequest + the 16-byte tag.
      assert.deepEqual([at(d, 0).cbBuffer, at(d, 2).cbBuffer], [13, 20]);
    } finally {
      wire.destroy();
    }
  });
});

test('output rules on every call: ASC first/continue/shutdown and the ISC after SEC_I_RENEGOTIATE with one EMPTY buffer (no ALLOCATE_MEMORY: NULL memory is allocated)', () => {
  const cCred = new S.CredHandle();
  const sc = new S.SCH_CREDENTIALS();
  sc.hRootStore = S.CertStore.fromPem(pki.ca.certPem);
  assert.equal(S.AcquireCredentialsHandle(null, S.UNISP_NAME, S.SECPKG_CRED_OUTBOUND, null, sc, null, null, cCred, null), S.SEC_E_OK);
  const sCred = new S.CredHandle();
  const ss = new S.SCH_CREDENTIALS();
  ss.cCreds = 1;
  ss.paCred = [S.CertContext.fromPem(pki.server.p256.chainPem, pki.server.p256.keyPem)];
  assert.equal(S.AcquireCredentialsHandle(null, S.UNISP_NAME, S.SECPKG_CRED_INBOUND, null, ss, null, null, sCred, null), S.SEC_E_OK);
  const empty = (): S.SecBufferDesc => new S.SecBufferDesc([new S.SecBuffer(0, S.SECBUFFER_EMPTY, null)]);
  const tokenOf = (d: S.SecBufferDesc): Uint8Array => {
    const b = at(d, 0);
    assert.equal(b.BufferType, S.SECBUFFER_TOKEN, 'EMPTY retyped TOKEN');
    return bytesOf(b);
  };
  const tin = (b: Uint8Array): S.SecBufferDesc => new S.SecBufferDesc([new S.SecBuffer(b.length, S.SECBUFFER_TOKEN, b), new S.SecBuffer()]);
  const c = new S.CtxtHandle();
  const s = new S.CtxtHandle();
  let o = empty();
  assert.equal(S.InitializeSecurityContext(cCred, null, 'localhost', S.ISC_REQ_STREAM, 0, 0, null, 0, c, o, null, null), S.SEC_I_CONTINUE_NEEDED);
  let toServer = tokenOf(o);
  o = empty();
  assert.equal(S.AcceptSecurityContext(sCred, null, tin(toServer), S.ASC_REQ_STREAM, 0, s, o, null, null), S.SEC_I_CONTINUE_NEEDED);
  const toClient = tokenOf(o);
  o = empty();
  assert.equal(S.InitializeSecurityContext(cCred, c, 'localhost', S.ISC_REQ_STREAM, 0, 0, tin(toClient), 0, null, o, null, null), S.SEC_E_OK);
  toServer = tokenOf(o);
  o = empty();
  assert.equal(S.AcceptSecurityContext(sCred, s, tin(toServer), S.ASC_REQ_STREAM, 0, null, o, null, null), S.SEC_E_OK);
  const tickets = tokenOf(o); // TLS 1.3 NewSessionTicket records
  assert.ok(tickets.length > 0);
  // The client: DecryptMessage → SEC_I_RENEGOTIATE, then ISC with one EMPTY output.
  const d = new S.SecBufferDesc([new S.SecBuffer(tickets.length, S.SECBUFFER_DATA, tickets.slice()), new S.SecBuffer(), new S.SecBuffer(), new S.SecBuffer()]);
  assert.equal(S.DecryptMessage(c, d, 0, null), S.SEC_I_RENEGOTIATE);
  o = empty();
  assert.equal(S.InitializeSecurityContext(cCred, c, 'localhost', S.ISC_REQ_STREAM, 0, 0, tin(new Uint8Array(0)), 0, null, o, null, null), S.SEC_E_OK);
  // The server shuts down through ASC with one EMPTY output.
  assert.equal(S.ApplyControlToken(s, new S.SecBufferDesc([new S.SecBuffer(4, S.SECBUFFER_TOKEN, Uint8Array.of(1, 0, 0, 0))])), S.SEC_E_OK);
  o = empty();
  assert.equal(S.AcceptSecurityContext(sCred, s, null, S.ASC_REQ_STREAM, 0, null, o, null, null), S.SEC_E_OK);
  assert.equal(tokenOf(o)[0], 23, 'an encrypted close_notify record');
});
