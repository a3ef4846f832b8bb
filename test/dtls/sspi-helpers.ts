/** SSPI DTLS helpers for the tests: Wine's output descriptor, one ISC/ASC call, draining fragments, Encrypt/Decrypt. */
import assert from 'node:assert/strict';
import * as S from '../../src/sspi/index.js';

export const DTLS_ISC_REQ =
  S.ISC_REQ_MANUAL_CRED_VALIDATION | S.ISC_REQ_EXTENDED_ERROR | S.ISC_REQ_DATAGRAM | S.ISC_REQ_USE_SUPPLIED_CREDS | S.ISC_REQ_CONFIDENTIALITY | S.ISC_REQ_SEQUENCE_DETECT | S.ISC_REQ_REPLAY_DETECT;
export const DTLS_ASC_REQ = S.ASC_REQ_EXTENDED_ERROR | S.ASC_REQ_DATAGRAM | S.ASC_REQ_CONFIDENTIALITY | S.ASC_REQ_SEQUENCE_DETECT | S.ASC_REQ_REPLAY_DETECT;

/** Wine's init_dtls_output_buffer: TOKEN of 1420 bytes and ALERT of 1024. */
export function dtlsOutput(): S.SecBufferDesc {
  return new S.SecBufferDesc([new S.SecBuffer(1420, S.SECBUFFER_TOKEN, new Uint8Array(1420)), new S.SecBuffer(1024, S.SECBUFFER_ALERT, new Uint8Array(1024))]);
}
export const tokenOf = (d: S.SecBufferDesc): Uint8Array => {
  const b = d.pBuffers[0] as S.SecBuffer;
  return (b.pvBuffer as Uint8Array).slice(0, b.cbBuffer);
};

/** One ISC/ASC call; returns the status and the token (one datagram, maybe empty). */
export function call(side: 'client' | 'server', cred: S.CredHandle, ctx: S.CtxtHandle, started: boolean, datagram: Uint8Array | null): { status: number; token: Uint8Array } {
  const out = dtlsOutput();
  const input = datagram !== null ? new S.SecBufferDesc([new S.SecBuffer(datagram.length, S.SECBUFFER_TOKEN, datagram), new S.SecBuffer(0, S.SECBUFFER_EMPTY, null)]) : null;
  const attr = { value: 0 };
  const status =
    side === 'client'
      ? S.InitializeSecurityContext(cred, started ? ctx : null, 'localhost', DTLS_ISC_REQ, 0, 0, input, 0, ctx, out, attr, null)
      : S.AcceptSecurityContext(cred, started ? ctx : null, input, DTLS_ASC_REQ, 0, ctx, out, attr, null);
  return { status, token: tokenOf(out) };
}

/** Take every datagram a side has for the peer: the first from `first`, then one per call while SEC_I_MESSAGE_FRAGMENT. */
export function drain(side: 'client' | 'server', cred: S.CredHandle, ctx: S.CtxtHandle, first: { status: number; token: Uint8Array }, fragments: number[]): { status: number; datagrams: Uint8Array[] } {
  const datagrams: Uint8Array[] = [];
  let r = first;
  if (r.token.length > 0) datagrams.push(r.token);
  while (r.status === S.SEC_I_MESSAGE_FRAGMENT) {
    fragments.push(r.token.length);
    r = call(side, cred, ctx, true, null);
    if (r.token.length > 0) datagrams.push(r.token);
  }
  return { status: r.status, datagrams };
}

export function encrypt(ctx: S.CtxtHandle, text: string): Uint8Array {
  const sizes = new S.SecPkgContext_StreamSizes();
  assert.equal(S.QueryContextAttributes(ctx, S.SECPKG_ATTR_STREAM_SIZES, sizes), S.SEC_E_OK);
  const data = new TextEncoder().encode(text);
  const bufs = new S.SecBufferDesc([
    new S.SecBuffer(sizes.cbHeader, S.SECBUFFER_STREAM_HEADER, new Uint8Array(sizes.cbHeader)),
    new S.SecBuffer(data.length, S.SECBUFFER_DATA, data),
    new S.SecBuffer(sizes.cbTrailer, S.SECBUFFER_STREAM_TRAILER, new Uint8Array(sizes.cbTrailer)),
    new S.SecBuffer(0, S.SECBUFFER_EMPTY, null),
  ]);
  assert.equal(S.EncryptMessage(ctx, 0, bufs, 0), S.SEC_E_OK);
  const parts = bufs.pBuffers.slice(0, 3).map((b) => (b.pvBuffer as Uint8Array).slice(0, b.cbBuffer));
  return new Uint8Array(Buffer.concat(parts));
}

export function decrypt(ctx: S.CtxtHandle, datagram: Uint8Array): { status: number; text: string } {
  const copy = datagram.slice();
  const bufs = new S.SecBufferDesc([new S.SecBuffer(copy.length, S.SECBUFFER_DATA, copy), new S.SecBuffer(0, S.SECBUFFER_EMPTY, null), new S.SecBuffer(0, S.SECBUFFER_EMPTY, null), new S.SecBuffer(0, S.SECBUFFER_EMPTY, null)]);
  const status = S.DecryptMessage(ctx, bufs, 0, null);
  const d = bufs.pBuffers[0] as S.SecBuffer;
  return { status, text: Buffer.from((d.pvBuffer as Uint8Array).subarray(0, d.cbBuffer)).toString() };
}

