/**
 * The SSPI front end (src/sspi, loaded dynamically: absent or incomplete builds give 'n/a'): a full handshake
 * through the canonical InitializeSecurityContext / AcceptSecurityContext loops, and EncryptMessage +
 * DecryptMessage of 16 KiB records in place, as a Schannel caller would write them.
 */
import type { BenchCert } from './certs.js';

/** The SSPI module (src/sspi), loaded when the bench runs. */
export type Sspi = typeof import('../src/sspi/index.js');

export async function loadSspi(): Promise<Sspi | undefined> {
  try {
    const spec = '../src/sspi/index.js';
    const m = (await import(spec)) as Sspi;
    return typeof m.AcceptSecurityContext === 'function' && typeof m.EncryptMessage === 'function' ? m : undefined;
  } catch (e) {
    process.stderr.write(`src/sspi not usable: ${(e as Error).message.split('\n')[0]}\n`);
    return undefined;
  }
}

function cat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const o = new Uint8Array(a.length + b.length);
  o.set(a);
  o.set(b, a.length);
  return o;
}

type CredHandle = InstanceType<Sspi['CredHandle']>;
type CtxtHandle = InstanceType<Sspi['CtxtHandle']>;
type SecBuffer = InstanceType<Sspi['SecBuffer']>;
type SecBufferDesc = InstanceType<Sspi['SecBufferDesc']>;
type TlsParameters = InstanceType<Sspi['TLS_PARAMETERS']>;

interface Creds {
  server: CredHandle;
  client: CredHandle;
}

function creds(S: Sspi, cert: BenchCert, disable?: { alg: string; min?: number; max?: number; usage?: 'cipher' | 'keyExchange' }[]): Creds {
  const sch = new S.SCH_CREDENTIALS();
  sch.cCreds = 1;
  sch.paCred = [S.CertContext.fromPem(cert.cert, cert.key)];
  const tlsParameters = (): TlsParameters[] | undefined => {
    if (disable === undefined) return undefined;
    const tp = new S.TLS_PARAMETERS();
    tp.pDisabledCrypto = disable.map((d) => {
      const cs = new S.CRYPTO_SETTINGS();
      cs.eAlgorithmUsage = d.usage === 'keyExchange' ? S.TlsParametersCngAlgUsageKeyExchange : S.TlsParametersCngAlgUsageCipher;
      cs.strCngAlgId = d.alg;
      cs.dwMinBitLength = d.min ?? 0;
      cs.dwMaxBitLength = d.max ?? 0;
      return cs;
    });
    tp.cDisabledCrypto = tp.pDisabledCrypto.length;
    return [tp];
  };
  const tps = tlsParameters();
  if (tps !== undefined) {
    sch.cTlsParameters = 1;
    sch.pTlsParameters = tps;
  }
  const server = new S.CredHandle();
  let st = S.AcquireCredentialsHandle(null, S.UNISP_NAME, S.SECPKG_CRED_INBOUND, null, sch, null, null, server, new S.TimeStamp());
  if (st !== S.SEC_E_OK) throw new Error(`ACH inbound 0x${(st >>> 0).toString(16)}`);
  const csch = new S.SCH_CREDENTIALS();
  csch.hRootStore = S.CertStore.fromPem(cert.ca);
  const ctps = tlsParameters();
  if (ctps !== undefined) {
    csch.cTlsParameters = 1;
    csch.pTlsParameters = ctps;
  }
  const client = new S.CredHandle();
  st = S.AcquireCredentialsHandle(null, S.UNISP_NAME, S.SECPKG_CRED_OUTBOUND, null, csch, null, null, client, null);
  if (st !== S.SEC_E_OK) throw new Error(`ACH outbound 0x${(st >>> 0).toString(16)}`);
  return { server, client };
}

/** One full handshake through ISC/ASC; returns the two contexts. */
function sspiPair(S: Sspi, c: Creds): { cCtx: CtxtHandle; sCtx: CtxtHandle } {
  const ISC = S.ISC_REQ_SEQUENCE_DETECT | S.ISC_REQ_REPLAY_DETECT | S.ISC_REQ_CONFIDENTIALITY | S.ISC_REQ_STREAM | S.ISC_REQ_ALLOCATE_MEMORY | S.ISC_REQ_USE_SUPPLIED_CREDS;
  const ASC = S.ASC_REQ_SEQUENCE_DETECT | S.ASC_REQ_REPLAY_DETECT | S.ASC_REQ_CONFIDENTIALITY | S.ASC_REQ_STREAM | S.ASC_REQ_ALLOCATE_MEMORY;
  const tokenOut = (): SecBufferDesc => new S.SecBufferDesc([new S.SecBuffer(0, S.SECBUFFER_TOKEN, null), new S.SecBuffer(0, S.SECBUFFER_ALERT, null), new S.SecBuffer(0, S.SECBUFFER_EMPTY, null)]);
  const tokenIn = (b: Uint8Array): SecBufferDesc => new S.SecBufferDesc([new S.SecBuffer(b.length, S.SECBUFFER_TOKEN, b), new S.SecBuffer(0, S.SECBUFFER_EMPTY, null)]);
  const bytesOf = (b: SecBuffer | undefined): Uint8Array => (b === undefined || b.pvBuffer === null ? new Uint8Array(0) : b.pvBuffer.subarray(0, b.cbBuffer));
  const cCtx = new S.CtxtHandle();
  const sCtx = new S.CtxtHandle();
  let out = tokenOut();
  let st = S.InitializeSecurityContext(c.client, null, 'localhost', ISC, 0, 0, null, 0, cCtx, out, new S.ULONG(), null);
  if (st !== S.SEC_I_CONTINUE_NEEDED) throw new Error(`ISC first 0x${(st >>> 0).toString(16)}`);
  let toServer: Uint8Array = bytesOf(out.pBuffers[0]);
  let toClient: Uint8Array = new Uint8Array(0);
  let sDone = false;
  let cDone = false;
  let sHave = false;
  for (let round = 0; round < 10 && !(sDone && cDone); round++) {
    while (toServer.length > 0 && !sDone) {
      const inp = tokenIn(toServer);
      out = tokenOut();
      st = S.AcceptSecurityContext(c.server, sHave ? sCtx : null, inp, ASC, 0, sCtx, out, new S.ULONG(), new S.TimeStamp());
      if (st === S.SEC_E_INCOMPLETE_MESSAGE) break;
      if (st !== S.SEC_E_OK && st !== S.SEC_I_CONTINUE_NEEDED) throw new Error(`ASC 0x${(st >>> 0).toString(16)}`);
      sHave = true;
      toClient = cat(toClient, bytesOf(out.pBuffers[0]).slice());
      const x = inp.pBuffers[1] as SecBuffer;
      toServer = x.BufferType === S.SECBUFFER_EXTRA ? toServer.subarray(toServer.length - x.cbBuffer) : new Uint8Array(0);
      if (st === S.SEC_E_OK) sDone = true;
    }
    toServer = new Uint8Array(0);
    while (toClient.length > 0 && !cDone) {
      const inp = tokenIn(toClient);
      out = tokenOut();
      st = S.InitializeSecurityContext(c.client, cCtx, 'localhost', ISC, 0, 0, inp, 0, null, out, new S.ULONG(), null);
      if (st === S.SEC_E_INCOMPLETE_MESSAGE) break;
      if (st !== S.SEC_E_OK && st !== S.SEC_I_CONTINUE_NEEDED) throw new Error(`ISC 0x${(st >>> 0).toString(16)}`);
      toServer = cat(toServer, bytesOf(out.pBuffers[0]).slice());
      const x = inp.pBuffers[1] as SecBuffer;
      toClient = x.BufferType === S.SECBUFFER_EXTRA ? toClient.subarray(toClient.length - x.cbBuffer) : new Uint8Array(0);
      if (st === S.SEC_E_OK) cDone = true;
    }
  }
  if (!sDone || !cDone) throw new Error('SSPI handshake did not complete');
  return { cCtx, sCtx };
}

/** A full handshake step (contexts deleted after), or undefined when the SSPI build cannot do one. */
export function sspiHandshake(S: Sspi, cert: BenchCert): (() => void) | undefined {
  try {
    // x25519, as the idiomatic rows: the hybrid group (the default) is disabled the Schannel way, by CRYPTO_SETTINGS.
    const c = creds(S, cert, [{ alg: 'MLKEM', usage: 'keyExchange' }]);
    const once = (): void => {
      const p = sspiPair(S, c);
      S.DeleteSecurityContext(p.cCtx);
      S.DeleteSecurityContext(p.sCtx);
    };
    once();
    return once;
  } catch (e) {
    process.stderr.write(`sspi handshake: ${(e as Error).message}\n`);
    return undefined;
  }
}

/** EncryptMessage (client) + DecryptMessage (server) of one 16 KiB record, in place. */
export function sspiBulk(S: Sspi, cert: BenchCert, alg: 'aes-128-gcm' | 'chacha20-poly1305', size = 16384): (() => number) | undefined {
  try {
    const disable = alg === 'aes-128-gcm' ? [{ alg: 'CHACHA20_POLY1305' }, { alg: 'AES', min: 128, max: 128 }] : [{ alg: 'AES' }];
    const c = creds(S, cert, disable);
    const { cCtx, sCtx } = sspiPair(S, c);
    const sizes = new S.SecPkgContext_StreamSizes();
    if (S.QueryContextAttributes(cCtx, S.SECPKG_ATTR_STREAM_SIZES, sizes) !== S.SEC_E_OK) throw new Error('STREAM_SIZES');
    const n = Math.min(size, sizes.cbMaximumMessage);
    const h = sizes.cbHeader as number;
    const t = sizes.cbTrailer as number;
    const buf = new Uint8Array(h + n + t);
    const plain = new Uint8Array(n).fill(0x61);
    return () => {
      buf.set(plain, h);
      const msg = new S.SecBufferDesc([
        new S.SecBuffer(h, S.SECBUFFER_STREAM_HEADER, buf.subarray(0, h)),
        new S.SecBuffer(n, S.SECBUFFER_DATA, buf.subarray(h, h + n)),
        new S.SecBuffer(t, S.SECBUFFER_STREAM_TRAILER, buf.subarray(h + n)),
        new S.SecBuffer(0, S.SECBUFFER_EMPTY, null),
      ]);
      let st = S.EncryptMessage(cCtx, 0, msg, 0);
      if (st !== S.SEC_E_OK) throw new Error(`EncryptMessage 0x${(st >>> 0).toString(16)}`);
      const [hb, db, tb] = msg.pBuffers as [SecBuffer, SecBuffer, SecBuffer];
      const len = hb.cbBuffer + db.cbBuffer + tb.cbBuffer;
      const rec = buf.subarray(0, len);
      const dm = new S.SecBufferDesc([new S.SecBuffer(len, S.SECBUFFER_DATA, rec), new S.SecBuffer(), new S.SecBuffer(), new S.SecBuffer()]);
      st = S.DecryptMessage(sCtx, dm, 0, null);
      if (st !== S.SEC_E_OK) throw new Error(`DecryptMessage 0x${(st >>> 0).toString(16)}`);
      const d = dm.pBuffers.find((b) => b.BufferType === S.SECBUFFER_DATA);
      if (d === undefined || d.cbBuffer !== n) throw new Error('DecryptMessage: no data');
      return n;
    };
  } catch (e) {
    process.stderr.write(`sspi bulk (${alg}): ${(e as Error).message}\n`);
    return undefined;
  }
}
