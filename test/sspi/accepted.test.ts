/**
 * A server context's engine starts at the hello stage (src/engine/hello-stage.ts): the ClientHello is decoded once
 * and the context's own settings (the SECBUFFER_APPLICATION_PROTOCOLS list and ASC_REQ_MUTUAL_AUTH of its first
 * AcceptSecurityContext call) are applied where the configuration is chosen, at the Accepted point. These tests
 * cut the ClientHello into several records given to separate ASC calls, and check the byte accounting and the
 * hello stage's refusals through ASC.
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

const out = (): S.SecBufferDesc => new S.SecBufferDesc([new S.SecBuffer(0, S.SECBUFFER_TOKEN, null), new S.SecBuffer(0, S.SECBUFFER_ALERT, null)]);
const bytesOf = (b: S.SecBuffer | undefined): Uint8Array => (b === undefined || b.pvBuffer === null ? new Uint8Array(0) : b.pvBuffer.slice(0, b.cbBuffer));

function input(bytes: Uint8Array, alpn?: string[]): S.SecBufferDesc {
  const bufs = [new S.SecBuffer(bytes.length, S.SECBUFFER_TOKEN, bytes), new S.SecBuffer(0, S.SECBUFFER_EMPTY, null)];
  if (alpn !== undefined) {
    const l = S.buildApplicationProtocols(alpn);
    bufs.push(new S.SecBuffer(l.length, S.SECBUFFER_APPLICATION_PROTOCOLS, l));
  }
  return new S.SecBufferDesc(bufs);
}

function credentials(mutual: boolean): { sCred: S.CredHandle; cCred: S.CredHandle } {
  const sch = new S.SCH_CREDENTIALS();
  sch.cCreds = 1;
  sch.paCred = [S.CertContext.fromPem(pki.server.p256.chainPem, pki.server.p256.keyPem)];
  if (mutual) sch.hRootStore = S.CertStore.fromPem(pki.ca.certPem);
  const sCred = new S.CredHandle();
  assert.equal(S.AcquireCredentialsHandle(null, S.UNISP_NAME, S.SECPKG_CRED_INBOUND, null, sch, null, null, sCred, null), S.SEC_E_OK);
  const csch = new S.SCH_CREDENTIALS();
  csch.hRootStore = S.CertStore.fromPem(pki.ca.certPem);
  csch.cCreds = 1;
  csch.paCred = [S.CertContext.fromPem(pki.client.chainPem, pki.client.keyPem)];
  const cCred = new S.CredHandle();
  assert.equal(S.AcquireCredentialsHandle(null, S.UNISP_NAME, S.SECPKG_CRED_OUTBOUND, null, csch, null, null, cCred, null), S.SEC_E_OK);
  return { sCred, cCred };
}

/** The handshake records of `record` (one handshake record) re-cut into `parts` records of about equal size. */
function recut(record: Uint8Array, parts: number): Uint8Array[] {
  const body = record.subarray(5);
  const size = Math.ceil(body.length / parts);
  const out: Uint8Array[] = [];
  for (let at = 0; at < body.length; at += size) {
    const piece = body.subarray(at, Math.min(body.length, at + size));
    out.push(Uint8Array.of(22, 3, 1, piece.length >> 8, piece.length & 0xff, ...piece));
  }
  return out;
}

function clientHello(cCred: S.CredHandle, cCtx: S.CtxtHandle, alpn: string[]): Uint8Array {
  const l = S.buildApplicationProtocols(alpn);
  const first = new S.SecBufferDesc([new S.SecBuffer(l.length, S.SECBUFFER_APPLICATION_PROTOCOLS, l)]);
  const o = out();
  assert.equal(S.InitializeSecurityContext(cCred, null, 'localhost', ISC_REQ, 0, 0, first, 0, cCtx, o, new S.ULONG(), null), S.SEC_I_CONTINUE_NEEDED);
  return bytesOf(o.pBuffers[0]);
}

/** Run the rest of the handshake: server flight ↔ client until both say SEC_E_OK. */
function finish(cCred: S.CredHandle, cCtx: S.CtxtHandle, sCred: S.CredHandle, sCtx: S.CtxtHandle, flight: Uint8Array): void {
  let toClient = flight;
  let serverDone = false;
  for (let round = 0; round < 6; round++) {
    const o = out();
    const st = S.InitializeSecurityContext(cCred, cCtx, 'localhost', ISC_REQ, 0, 0, input(toClient), 0, null, o, new S.ULONG(), null);
    assert.ok(st === S.SEC_E_OK || st === S.SEC_I_CONTINUE_NEEDED, `ISC ${st.toString(16)}`);
    const toServer = bytesOf(o.pBuffers[0]);
    if (st === S.SEC_E_OK && serverDone) return;
    const so = out();
    const sst = S.AcceptSecurityContext(sCred, sCtx, input(toServer), ASC_REQ, 0, null, so, new S.ULONG(), null);
    assert.ok(sst === S.SEC_E_OK || sst === S.SEC_I_CONTINUE_NEEDED, `ASC ${sst.toString(16)}`);
    serverDone = sst === S.SEC_E_OK;
    toClient = bytesOf(so.pBuffers[0]);
    if (st === S.SEC_E_OK && serverDone) return;
  }
  assert.fail('handshake did not finish');
}

function protocol(ctx: S.CtxtHandle): string {
  const ap = new S.SecPkgContext_ApplicationProtocol();
  assert.equal(S.QueryContextAttributes(ctx, S.SECPKG_ATTR_APPLICATION_PROTOCOL, ap), S.SEC_E_OK);
  return ap.ProtoNegoStatus === 1 ? new TextDecoder().decode(ap.ProtocolId) : '(none)';
}

test('a ClientHello in three records over three ASC calls: the first call\'s ALPN list and MUTUAL_AUTH apply at the Accepted point', () => {
  const { sCred, cCred } = credentials(true);
  const cCtx = new S.CtxtHandle();
  const sCtx = new S.CtxtHandle();
  const records = recut(clientHello(cCred, cCtx, ['h2', 'http/1.1']), 3);
  assert.equal(records.length, 3);
  // First call: the first record and the context's settings. The hello is not complete: no output yet, a context.
  let o = out();
  assert.equal(S.AcceptSecurityContext(sCred, null, input(records[0] as Uint8Array, ['http/1.1']), ASC_REQ | S.ASC_REQ_MUTUAL_AUTH, 0, sCtx, o, new S.ULONG(), null), S.SEC_I_CONTINUE_NEEDED);
  assert.equal(bytesOf(o.pBuffers[0]).length, 0);
  // Second call: the second record and the first 3 bytes of the third: the whole record is consumed, the incomplete
  // one is left for the next call (EXTRA).
  const third = records[2] as Uint8Array;
  const second = Uint8Array.of(...(records[1] as Uint8Array), ...third.subarray(0, 3));
  o = out();
  const inp = input(second);
  assert.equal(S.AcceptSecurityContext(sCred, sCtx, inp, ASC_REQ, 0, null, o, new S.ULONG(), null), S.SEC_I_CONTINUE_NEEDED);
  assert.equal(bytesOf(o.pBuffers[0]).length, 0);
  const extra = inp.pBuffers[1] as S.SecBuffer;
  assert.deepEqual([extra.BufferType, extra.cbBuffer], [S.SECBUFFER_EXTRA, 3]);
  // Third call: the last record completes the hello: the server's flight, with a CertificateRequest (MUTUAL_AUTH).
  o = out();
  assert.equal(S.AcceptSecurityContext(sCred, sCtx, input(third), ASC_REQ, 0, null, o, new S.ULONG(), null), S.SEC_I_CONTINUE_NEEDED);
  const flight = bytesOf(o.pBuffers[0]);
  assert.ok(flight.length > 0);
  finish(cCred, cCtx, sCred, sCtx, flight);
  assert.equal(protocol(sCtx), 'http/1.1');
  assert.equal(protocol(cCtx), 'http/1.1');
  const remote = new S.Ref<S.CertContext | null>(null);
  assert.equal(S.QueryContextAttributes(sCtx, S.SECPKG_ATTR_REMOTE_CERT_CONTEXT, remote), S.SEC_E_OK, 'the client certificate MUTUAL_AUTH asked for');
});

test('ASC before the ClientHello is complete: a bad record header is refused before its body arrives; a non-handshake record gets unexpected_message', () => {
  const { sCred } = credentials(false);
  // A handshake record announcing more than 2^14 bytes: refused from its header alone (record_overflow).
  let o = out();
  const big = Uint8Array.of(22, 3, 1, 0x48, 0x01, 1, 0, 0);
  const sCtx = new S.CtxtHandle();
  const st = S.AcceptSecurityContext(sCred, null, input(big), ASC_REQ | S.ASC_REQ_EXTENDED_ERROR, 0, sCtx, o, new S.ULONG(), null);
  assert.notEqual(st, S.SEC_E_INCOMPLETE_MESSAGE);
  assert.ok(st < 0 || st >= 0x80000000, `an error status, not ${st.toString(16)}`);
  const alert = bytesOf(o.pBuffers[1]);
  assert.deepEqual([...alert], [21, 3, 3, 0, 2, 2, 22], 'record_overflow alert');
  // An application_data record first: unexpected_message.
  o = out();
  const appData = Uint8Array.of(23, 3, 3, 0, 3, 1, 2, 3);
  S.AcceptSecurityContext(sCred, null, input(appData), ASC_REQ | S.ASC_REQ_EXTENDED_ERROR, 0, new S.CtxtHandle(), o, new S.ULONG(), null);
  assert.deepEqual([...bytesOf(o.pBuffers[1])], [21, 3, 3, 0, 2, 2, 10], 'unexpected_message alert');
});
