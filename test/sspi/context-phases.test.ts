/**
 * The SSPI context's phases (src/sspi/context.ts `ContextPhase`): a discriminated union in which each phase carries
 * exactly the fields valid in it. The type checks below fail the build if an illegal combination type-checks again;
 * the run-time test pins the combination the old string-typed state allowed: a failed context that still held a
 * handshake result back and handed it out (SEC_E_OK) on the next call.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { getPki, type Pki } from '../helpers/pki.js';
import * as S from '../../src/sspi/index.js';
import type { ContextPhase } from '../../src/sspi/context.js';

let pki: Pki;
before(async () => {
  pki = await getPki();
});

const ISC_REQ = S.ISC_REQ_SEQUENCE_DETECT | S.ISC_REQ_REPLAY_DETECT | S.ISC_REQ_CONFIDENTIALITY | S.ISC_REQ_STREAM | S.ISC_REQ_USE_SUPPLIED_CREDS;
const ASC_REQ = S.ASC_REQ_SEQUENCE_DETECT | S.ASC_REQ_REPLAY_DETECT | S.ASC_REQ_CONFIDENTIALITY | S.ASC_REQ_STREAM | S.ASC_REQ_ALLOCATE_MEMORY;

const allocated = (): S.SecBufferDesc => new S.SecBufferDesc([new S.SecBuffer(0, S.SECBUFFER_TOKEN, null), new S.SecBuffer(0, S.SECBUFFER_EMPTY, null)]);
const tokenIn = (b: Uint8Array): S.SecBufferDesc => new S.SecBufferDesc([new S.SecBuffer(b.length, S.SECBUFFER_TOKEN, b), new S.SecBuffer(0, S.SECBUFFER_EMPTY, null)]);
const bytesOf = (b: S.SecBuffer | undefined): Uint8Array => (b === undefined || b.pvBuffer === null ? new Uint8Array(0) : b.pvBuffer.slice(0, b.cbBuffer));

test('ContextPhase: illegal combinations do not type-check', () => {
  const ok: ContextPhase[] = [{ kind: 'Handshaking', held: null }, { kind: 'Failed', info: undefined }, { kind: 'Closing', info: undefined }];
  // @ts-expect-error a failed context holds no result back
  const failedHolding: ContextPhase = { kind: 'Failed', info: undefined, held: null };
  // @ts-expect-error an established context always has its connection info
  const establishedWithoutInfo: ContextPhase = { kind: 'Established', held: null, exchange: false };
  // @ts-expect-error post-handshake output waits only in PostHandshakePending
  const handshakingWithOutput: ContextPhase = { kind: 'Handshaking', held: null, output: [] };
  // @ts-expect-error a closing context has no post-handshake exchange running
  const closingExchange: ContextPhase = { kind: 'Closing', info: undefined, exchange: true };
  assert.equal(ok.length + [failedHolding, establishedWithoutInfo, handshakingWithOutput, closingExchange].length, 7);
});

test('a result held back (output too small) is dropped when the context fails: the next call is SEC_E_CONTEXT_EXPIRED', () => {
  const sch = new S.SCH_CREDENTIALS();
  sch.cCreds = 1;
  sch.paCred = [S.CertContext.fromPem(pki.server.p256.chainPem, pki.server.p256.keyPem)];
  const sCred = new S.CredHandle();
  assert.equal(S.AcquireCredentialsHandle(null, S.UNISP_NAME, S.SECPKG_CRED_INBOUND, null, sch, null, null, sCred, null), S.SEC_E_OK);
  const csch = new S.SCH_CREDENTIALS();
  csch.hRootStore = S.CertStore.fromPem(pki.ca.certPem);
  const cCred = new S.CredHandle();
  assert.equal(S.AcquireCredentialsHandle(null, S.UNISP_NAME, S.SECPKG_CRED_OUTBOUND, null, csch, null, null, cCred, null), S.SEC_E_OK);

  const cCtx = new S.CtxtHandle();
  const sCtx = new S.CtxtHandle();
  let out = allocated();
  assert.equal(S.InitializeSecurityContext(cCred, null, 'localhost', ISC_REQ | S.ISC_REQ_ALLOCATE_MEMORY, 0, 0, null, 0, cCtx, out, new S.ULONG(), null), S.SEC_I_CONTINUE_NEEDED);
  const hello = bytesOf(out.pBuffers[0]);
  out = allocated();
  assert.equal(S.AcceptSecurityContext(sCred, null, tokenIn(hello), ASC_REQ, 0, sCtx, out, new S.ULONG(), null), S.SEC_I_CONTINUE_NEEDED);
  const flight = bytesOf(out.pBuffers[0]);

  // The client's Finished does not fit a 4-byte TOKEN (no ALLOCATE_MEMORY): it is held back for the next call.
  const small = new S.SecBufferDesc([new S.SecBuffer(4, S.SECBUFFER_TOKEN, new Uint8Array(4))]);
  assert.equal(S.InitializeSecurityContext(cCred, cCtx, 'localhost', ISC_REQ, 0, 0, tokenIn(flight), 0, null, small, new S.ULONG(), null), S.SEC_E_INSUFFICIENT_MEMORY);

  // A fatal alert is applied and sent: the context has failed.
  const token = new Uint8Array(12);
  const dv = new DataView(token.buffer);
  dv.setUint32(0, S.SCHANNEL_ALERT, true);
  dv.setUint32(4, S.TLS1_ALERT_FATAL, true);
  dv.setUint32(8, S.TLS1_ALERT_HANDSHAKE_FAILURE, true);
  assert.equal(S.ApplyControlToken(cCtx, new S.SecBufferDesc([new S.SecBuffer(12, S.SECBUFFER_TOKEN, token)])), S.SEC_E_OK);
  out = allocated();
  assert.equal(S.InitializeSecurityContext(cCred, cCtx, 'localhost', ISC_REQ | S.ISC_REQ_ALLOCATE_MEMORY, 0, 0, null, 0, null, out, new S.ULONG(), null), S.SEC_E_OK);
  const alert = bytesOf(out.pBuffers[0]);
  assert.ok(alert.length > 0 && alert[0] === 23, 'the alert record went out (TLS 1.3: protected, outer type application_data)');

  // The held Finished is not handed out after the fatal alert.
  out = allocated();
  assert.equal(S.InitializeSecurityContext(cCred, cCtx, 'localhost', ISC_REQ | S.ISC_REQ_ALLOCATE_MEMORY, 0, 0, tokenIn(flight), 0, null, out, new S.ULONG(), null), S.SEC_E_CONTEXT_EXPIRED);
  assert.equal(bytesOf(out.pBuffers[0]).length, 0);
  S.DeleteSecurityContext(cCtx);
  S.DeleteSecurityContext(sCtx);
  S.FreeCredentialsHandle(cCred);
  S.FreeCredentialsHandle(sCred);
});
