/**
 * The Schannel server loop (AcceptSecurityContext until SEC_E_OK, then DecryptMessage) for one connection on
 * 127.0.0.1, for the credential tests. Resolves with the first plaintext and the client certificate's subject.
 */
import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import * as S from '../../src/sspi/index.js';

const hex = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

/** A listening one-connection SSPI server. */
export interface SspiServer {
  readonly port: number;
  /** The first decrypted data and the client certificate subject ('' without one); rejects with the failing status. */
  readonly result: Promise<{ readonly data: string; readonly clientSubject: string }>;
  close(): void;
}

/** Listen; the first connection is served with `hCred` (ASC_REQ_MUTUAL_AUTH when `mutual`). */
export async function sspiServerOnce(hCred: S.CredHandle, mutual: boolean, timeoutMs = 15_000): Promise<SspiServer> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  let socket: Socket | undefined;
  const result = new Promise<{ data: string; clientSubject: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('SSPI server timed out')), timeoutMs);
    const done = (e: Error | undefined, v?: { data: string; clientSubject: string }): void => {
      clearTimeout(timer);
      if (e !== undefined) reject(e);
      else resolve(v as { data: string; clientSubject: string });
    };
    server.once('connection', (s: Socket) => {
      socket = s;
      const req = S.ASC_REQ_SEQUENCE_DETECT | S.ASC_REQ_REPLAY_DETECT | S.ASC_REQ_CONFIDENTIALITY | S.ASC_REQ_ALLOCATE_MEMORY | S.ASC_REQ_STREAM | (mutual ? S.ASC_REQ_MUTUAL_AUTH : 0);
      const hCtx = new S.CtxtHandle();
      let haveCtx = false;
      let established = false;
      let pending = new Uint8Array(0);
      let subject = '';
      s.on('error', (e) => done(e));
      s.on('data', (d: Buffer) => {
        const n = new Uint8Array(pending.length + d.length);
        n.set(pending);
        n.set(d, pending.length);
        pending = n;
        while (pending.length > 0) {
          if (!established) {
            const input = new S.SecBufferDesc([new S.SecBuffer(pending.length, S.SECBUFFER_TOKEN, pending), new S.SecBuffer(0, S.SECBUFFER_EMPTY, null)]);
            const output = new S.SecBufferDesc([new S.SecBuffer(0, S.SECBUFFER_TOKEN, null), new S.SecBuffer(0, S.SECBUFFER_ALERT, null)]);
            const st = S.AcceptSecurityContext(hCred, haveCtx ? hCtx : null, input, req, 0, hCtx, output, new S.ULONG(), null);
            if (st === S.SEC_E_INCOMPLETE_MESSAGE) return;
            for (const b of output.pBuffers) if (b.cbBuffer > 0 && b.pvBuffer !== null) s.write(b.pvBuffer.subarray(0, b.cbBuffer));
            if (st !== S.SEC_E_OK && st !== S.SEC_I_CONTINUE_NEEDED) return done(new Error(`AcceptSecurityContext ${hex(st)}`));
            haveCtx = true;
            const extra = input.pBuffers[1] as S.SecBuffer;
            pending = extra.BufferType === S.SECBUFFER_EXTRA ? pending.slice(pending.length - extra.cbBuffer) : new Uint8Array(0);
            if (st === S.SEC_E_OK) {
              established = true;
              const remote = new S.Ref<S.CertContext | null>(null);
              if (S.QueryContextAttributes(hCtx, S.SECPKG_ATTR_REMOTE_CERT_CONTEXT, remote) === S.SEC_E_OK) subject = remote.value?.subject ?? '';
            }
            continue;
          }
          const msg = new S.SecBufferDesc([new S.SecBuffer(pending.length, S.SECBUFFER_DATA, pending), new S.SecBuffer(), new S.SecBuffer(), new S.SecBuffer()]);
          const st = S.DecryptMessage(hCtx, msg, 0, null);
          if (st === S.SEC_E_INCOMPLETE_MESSAGE) return;
          const data = msg.pBuffers.find((b) => b.BufferType === S.SECBUFFER_DATA);
          const extra = msg.pBuffers.find((b) => b.BufferType === S.SECBUFFER_EXTRA);
          pending = extra !== undefined && extra.pvBuffer !== null ? extra.pvBuffer.slice(0, extra.cbBuffer) : new Uint8Array(0);
          if (st !== S.SEC_E_OK) return done(new Error(`DecryptMessage ${hex(st)}`));
          if (data !== undefined && data.cbBuffer > 0 && data.pvBuffer !== null) {
            return done(undefined, { data: new TextDecoder().decode(data.pvBuffer.subarray(0, data.cbBuffer)), clientSubject: subject });
          }
        }
      });
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    result,
    close: () => {
      socket?.destroy();
      server.close();
    },
  };
}
