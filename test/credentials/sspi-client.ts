/**
 * The Schannel client loop (as curl's schannel.c drives it) over a TCP socket, for the credential tests: handshake
 * with InitializeSecurityContext until SEC_E_OK, then one EncryptMessage'd line. Every wait is bounded.
 */
import { connect } from 'node:net';
import * as S from '../../src/sspi/index.js';

const hex = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

/** Handshake with `hCred` against 127.0.0.1:`port` as `serverName`, then send `line`. Rejects with the failing status. */
export async function sspiClientSend(hCred: S.CredHandle, port: number, serverName: string, line: string, timeoutMs = 15_000): Promise<void> {
  const socket = connect(port, '127.0.0.1');
  let pending = new Uint8Array(0);
  let wake: (() => void) | undefined;
  let ended = false;
  socket.on('data', (d: Buffer) => {
    const n = new Uint8Array(pending.length + d.length);
    n.set(pending);
    n.set(d, pending.length);
    pending = n;
    wake?.();
  });
  socket.on('close', () => {
    ended = true;
    wake?.();
  });
  socket.on('error', () => {
    ended = true;
    wake?.();
  });
  const deadline = Date.now() + timeoutMs;
  const more = (): Promise<void> =>
    new Promise((resolve, reject) => {
      if (ended) return reject(new Error('connection closed during the handshake'));
      const t = setTimeout(() => reject(new Error('timed out waiting for the server')), Math.max(1, deadline - Date.now()));
      wake = () => {
        clearTimeout(t);
        wake = undefined;
        resolve();
      };
    });
  const send = (out: S.SecBufferDesc): void => {
    for (const b of out.pBuffers) {
      if ((b.BufferType === S.SECBUFFER_TOKEN || b.BufferType === S.SECBUFFER_ALERT) && b.cbBuffer > 0 && b.pvBuffer !== null) socket.write(b.pvBuffer.subarray(0, b.cbBuffer));
    }
  };
  const hCtx = new S.CtxtHandle();
  const req = S.ISC_REQ_SEQUENCE_DETECT | S.ISC_REQ_REPLAY_DETECT | S.ISC_REQ_CONFIDENTIALITY | S.ISC_REQ_ALLOCATE_MEMORY | S.ISC_REQ_STREAM;
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const out0 = new S.SecBufferDesc([new S.SecBuffer(0, S.SECBUFFER_TOKEN, null)]);
    const st0 = S.InitializeSecurityContext(hCred, null, serverName, req, 0, 0, null, 0, hCtx, out0, new S.ULONG(), null);
    if (st0 !== S.SEC_I_CONTINUE_NEEDED) throw new Error(`InitializeSecurityContext ${hex(st0)}`);
    send(out0);
    for (;;) {
      if (pending.length === 0) await more();
      const input = new S.SecBufferDesc([new S.SecBuffer(pending.length, S.SECBUFFER_TOKEN, pending), new S.SecBuffer(0, S.SECBUFFER_EMPTY, null)]);
      const output = new S.SecBufferDesc([new S.SecBuffer(0, S.SECBUFFER_TOKEN, null), new S.SecBuffer(0, S.SECBUFFER_ALERT, null)]);
      const st = S.InitializeSecurityContext(hCred, hCtx, serverName, req, 0, 0, input, 0, null, output, new S.ULONG(), null);
      if (st === S.SEC_E_INCOMPLETE_MESSAGE) {
        await more();
        continue;
      }
      send(output);
      if (st !== S.SEC_E_OK && st !== S.SEC_I_CONTINUE_NEEDED) throw new Error(`InitializeSecurityContext ${hex(st)}`);
      const extra = input.pBuffers[1] as S.SecBuffer;
      pending = extra.BufferType === S.SECBUFFER_EXTRA ? pending.slice(pending.length - extra.cbBuffer) : new Uint8Array(0);
      if (st === S.SEC_E_OK) break;
    }
    const sizes = new S.SecPkgContext_StreamSizes();
    S.QueryContextAttributes(hCtx, S.SECPKG_ATTR_STREAM_SIZES, sizes);
    const data = new TextEncoder().encode(line);
    const buf = new Uint8Array(sizes.cbHeader + data.length + sizes.cbTrailer);
    buf.set(data, sizes.cbHeader);
    const msg = new S.SecBufferDesc([
      new S.SecBuffer(sizes.cbHeader, S.SECBUFFER_STREAM_HEADER, buf.subarray(0, sizes.cbHeader)),
      new S.SecBuffer(data.length, S.SECBUFFER_DATA, buf.subarray(sizes.cbHeader, sizes.cbHeader + data.length)),
      new S.SecBuffer(sizes.cbTrailer, S.SECBUFFER_STREAM_TRAILER, buf.subarray(sizes.cbHeader + data.length)),
      new S.SecBuffer(0, S.SECBUFFER_EMPTY, null),
    ]);
    const st = S.EncryptMessage(hCtx, 0, msg, 0);
    if (st !== S.SEC_E_OK) throw new Error(`EncryptMessage ${hex(st)}`);
    const [h, d, t] = msg.pBuffers as [S.SecBuffer, S.SecBuffer, S.SecBuffer];
    await new Promise<void>((resolve) => socket.write(buf.subarray(0, h.cbBuffer + d.cbBuffer + t.cbBuffer), () => resolve()));
  } finally {
    S.DeleteSecurityContext(hCtx);
    socket.destroy();
  }
}
