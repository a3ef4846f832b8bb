/**
 * Schannel's datagram mode (DTLS 1.2) on the SSPI surface: contexts of a DTLS credential (SP_PROT_DTLS1_2_*, with
 * ISC_REQ_DATAGRAM / ASC_REQ_DATAGRAM) run a DtlsEngine (src/dtls). The rules, from Wine's test_dtls, SSPI.md and
 * Microsoft's pages (decisions in docs/design/dtls.md, "SSPI"):
 *  - one datagram per token: an ISC/ASC input TOKEN is one received datagram; each output TOKEN is one datagram to
 *    send. A flight of several datagrams is handed out one per call with SEC_I_MESSAGE_FRAGMENT until the last one,
 *    which carries the call's real status (SEC_I_CONTINUE_NEEDED or SEC_E_OK);
 *  - the caller owns the timer: an ISC/ASC continuation without an input token (pInput NULL) means "my timer ran
 *    out": the last flight is sent again (new record sequence numbers, same bytes otherwise) with
 *    SEC_I_CONTINUE_NEEDED;
 *  - SECBUFFER_DTLS_MTU on input and SECPKG_ATTR_DTLS_MTU (query and set) give the path MTU (200..65535, default
 *    1096 as Windows);
 *  - Encrypt/DecryptMessage: one record per datagram. A datagram that does not authenticate or is replayed is
 *    dropped with SEC_E_MESSAGE_ALTERED / SEC_E_OUT_OF_SEQUENCE and the context stays usable (RFC 6347 §4.1.2.7);
 *    a repeat of the peer's last flight, which needs our last flight again, gives SEC_I_RENEGOTIATE: call ISC/ASC
 *    without input to take the datagrams.
 */
import { DtlsEngine, MAX_MTU, type DtlsResult } from '../dtls/engine.js';
import type { DatagramEngine } from '../dtls/datagram-engine.js';
import { asTlsError, type TlsError } from '../errors.js';
import { baseType, buffersOf, checkOutput, clearOutput, findBuffer, inputBytes, putOutput, type CheckedOutput } from './buffers.js';
import * as C from './constants.js';
import type { SECURITY_STATUS } from './constants.js';
import { clientConfigFor, serverConfigFor, type Credential } from './credentials.js';
import { lookupHandle, registerHandle, releaseHandle, writeHandle } from './handles.js';
import { statusForError } from './status.js';
import { TIMESTAMP_MAX, type CtxtHandle, type PULONG, type SecBuffer, type SecBufferDesc, type TimeStamp } from './types.js';

/** Handle kind of a DTLS context (a SchannelContext handle is not one, and the reverse). */
export const DTLS_CONTEXT_KIND = 0x44544c53;
/** Windows' default DTLS path MTU (SSPI.md: SEC_DTLS_MTU, default 1096). */
export const DEFAULT_DTLS_MTU = 1096;
/** The smallest PathMTU Windows accepts (docs: 200 bytes). */
export const MIN_DTLS_MTU = 200;

/** SEC_DTLS_MTU: the path MTU (SECBUFFER_DTLS_MTU input, SECPKG_ATTR_DTLS_MTU query and set). */
export class SEC_DTLS_MTU {
  PathMTU = 0;
}

/** A DTLS security context. */
export class DtlsSecurityContext {
  id = 0;
  attrs = 0;
  state: 'Handshaking' | 'Established' | 'Closed' | 'Failed' = 'Handshaking';
  /** Datagrams still to hand out, one per ISC/ASC call. */
  pending: Uint8Array[] = [];
  readonly side: 'client' | 'server';
  readonly cred: Credential;
  readonly engine: DatagramEngine;
  constructor(side: 'client' | 'server', cred: Credential, engine: DatagramEngine) {
    this.side = side;
    this.cred = cred;
    this.engine = engine;
  }
}

/** The DTLS context named by a handle. */
export function lookupDtlsContext(h: CtxtHandle | null | undefined): DtlsSecurityContext | undefined {
  return lookupHandle(h, DTLS_CONTEXT_KIND) as DtlsSecurityContext | undefined;
}

/** Forget a DTLS context (DeleteSecurityContext). */
export function deleteDtlsContext(ctx: DtlsSecurityContext): SECURITY_STATUS {
  releaseHandle(ctx.id);
  return C.SEC_E_OK;
}

type Outputs = CheckedOutput;

/** The MTU of a SECBUFFER_DTLS_MTU input buffer (a little-endian WORD), undefined when absent, 'bad' when malformed. */
function mtuFromInput(inBufs: readonly SecBuffer[] | undefined): number | undefined | 'bad' {
  const b = inBufs !== undefined ? findBuffer(inBufs, C.SECBUFFER_DTLS_MTU) : undefined;
  if (b === undefined) return undefined;
  const bytes = inputBytes(b);
  if (bytes === undefined || bytes.length !== 2) return 'bad';
  const mtu = (bytes[0] as number) | ((bytes[1] as number) << 8);
  return mtu >= MIN_DTLS_MTU && mtu <= MAX_MTU ? mtu : 'bad';
}

function attrFlags(side: 'client' | 'server', req: number, allocate: boolean): number {
  // Wine test_dtls: REPLAY|SEQUENCE|CONFIDENTIALITY|STREAM always (STREAM even for DTLS), plus the echoes.
  let f = C.ISC_RET_REPLAY_DETECT | C.ISC_RET_SEQUENCE_DETECT | C.ISC_RET_CONFIDENTIALITY | C.ISC_RET_STREAM;
  if ((req & C.ISC_REQ_DATAGRAM) !== 0) f |= C.ISC_RET_DATAGRAM;
  if ((req & C.ISC_REQ_EXTENDED_ERROR) !== 0) f |= side === 'client' ? C.ISC_RET_EXTENDED_ERROR : C.ASC_RET_EXTENDED_ERROR;
  if (allocate) f |= side === 'client' ? C.ISC_RET_ALLOCATED_MEMORY : C.ASC_RET_ALLOCATED_MEMORY;
  if (side === 'client') {
    if ((req & C.ISC_REQ_USE_SUPPLIED_CREDS) !== 0) f |= C.ISC_RET_USED_SUPPLIED_CREDS;
    if ((req & C.ISC_REQ_MANUAL_CRED_VALIDATION) !== 0) f |= C.ISC_RET_MANUAL_CRED_VALIDATION;
  }
  return f >>> 0;
}

/** Arguments of one ISC/ASC call in datagram mode. */
export interface DtlsCall {
  readonly side: 'client' | 'server';
  readonly cred: Credential | undefined;
  readonly ctx: DtlsSecurityContext | undefined;
  readonly targetName: string | null;
  readonly req: number;
  readonly pInput: SecBufferDesc | null;
  readonly phNewContext: CtxtHandle | null;
  readonly pOutput: SecBufferDesc | null;
  readonly pfContextAttr: PULONG | null;
  readonly ptsExpiry: TimeStamp | null;
}

/** InitializeSecurityContext / AcceptSecurityContext for a DTLS credential or context. */
export function dtlsHandshakeCall(call: DtlsCall): SECURITY_STATUS {
  const { side, req } = call;
  const allocate = (req & (side === 'client' ? C.ISC_REQ_ALLOCATE_MEMORY : C.ASC_REQ_ALLOCATE_MEMORY)) !== 0;
  // Wine test_dtls: *pfContextAttr is written even when the call fails.
  if (call.pfContextAttr) call.pfContextAttr.value = (C.ISC_RET_CONFIDENTIALITY | C.ISC_RET_SEQUENCE_DETECT | C.ISC_RET_REPLAY_DETECT) >>> 0;
  const out = checkOutput(call.pOutput, allocate);
  if (typeof out === 'number') return out;
  const inBufs = buffersOf(call.pInput);
  if (call.pInput !== null && call.pInput !== undefined && inBufs === undefined) return C.SEC_E_INVALID_TOKEN;
  const mtu = mtuFromInput(inBufs);
  if (mtu === 'bad') return C.SEC_E_INVALID_PARAMETER;
  const tokenBuf = inBufs !== undefined ? findBuffer(inBufs, C.SECBUFFER_TOKEN) : undefined;
  const datagram = tokenBuf !== undefined ? inputBytes(tokenBuf) : undefined;
  if (tokenBuf !== undefined && datagram === undefined) return C.SEC_E_INVALID_TOKEN;

  let ctx = call.ctx;
  let created = false;
  if (ctx === undefined) {
    const cred = call.cred as Credential;
    if (side === 'server' && ((cred.use & C.SECPKG_CRED_INBOUND) === 0 || cred.certificates.length === 0)) return C.SEC_E_NO_CREDENTIALS;
    if (side === 'server' && (datagram === undefined || datagram.length === 0)) return C.SEC_E_INCOMPLETE_MESSAGE;
    const manual = (cred.flags & (C.SCH_CRED_MANUAL_CRED_VALIDATION | C.SCH_CRED_DEFERRED_CRED_VALIDATION)) !== 0 || (req & C.ISC_REQ_MANUAL_CRED_VALIDATION) !== 0;
    let engine: DtlsEngine;
    try {
      const config = side === 'client' ? clientConfigFor(cred, call.targetName, manual, undefined) : serverConfigFor(cred, { mutual: (req & C.ASC_REQ_MUTUAL_AUTH) !== 0, alpn: undefined });
      engine = new DtlsEngine(config, { mtu: mtu ?? DEFAULT_DTLS_MTU });
    } catch (e) {
      return statusForError(asTlsError(e), side);
    }
    ctx = new DtlsSecurityContext(side, cred, engine);
    created = true;
  } else if (mtu !== undefined) {
    ctx.engine.mtu = mtu;
  }
  const c = ctx;
  if (c.state === 'Failed') return C.SEC_E_INVALID_HANDLE;

  let status: SECURITY_STATUS | undefined;
  try {
    if (created && side === 'client') c.pending.push(...c.engine.start().datagrams);
    else if (datagram !== undefined && datagram.length > 0) c.pending.push(...take(c, c.engine.process(datagram)));
    else if (c.pending.length === 0 && !c.engine.isEstablished) c.pending.push(...c.engine.retransmit());
  } catch (e) {
    status = fail(c, out, asTlsError(e), (req & (side === 'client' ? C.ISC_REQ_EXTENDED_ERROR : C.ASC_REQ_EXTENDED_ERROR)) !== 0);
  }
  if (status === undefined) {
    if (c.engine.isEstablished && c.state === 'Handshaking') c.state = 'Established';
    const next = c.pending[0];
    if (next !== undefined) {
      if (!putOutput(out.token, next)) {
        out.token.buffer.cbBuffer = 0;
        return C.SEC_E_INSUFFICIENT_MEMORY;
      }
      c.pending.shift();
    } else {
      clearOutput(out.token);
    }
    if (out.alert !== undefined) clearOutput(out.alert);
    status = c.pending.length > 0 ? C.SEC_I_MESSAGE_FRAGMENT : c.engine.isEstablished ? C.SEC_E_OK : C.SEC_I_CONTINUE_NEEDED;
  }
  if (status !== C.SEC_E_OK && status !== C.SEC_I_CONTINUE_NEEDED && status !== C.SEC_I_MESSAGE_FRAGMENT) return status;
  c.attrs = attrFlags(side, req, allocate);
  if (call.pfContextAttr) call.pfContextAttr.value = c.attrs;
  if (created) {
    if (call.phNewContext === null || call.phNewContext === undefined) return C.SEC_E_INVALID_HANDLE;
    c.id = registerHandle(call.phNewContext, DTLS_CONTEXT_KIND, c);
    // Observed on Windows (SSPI.md §1.2): a DTLS client's first call writes 0.
    if (call.ptsExpiry) call.ptsExpiry.QuadPart = 0n;
  } else {
    if (call.phNewContext !== null && call.phNewContext !== undefined) writeHandle(call.phNewContext, DTLS_CONTEXT_KIND, c.id);
    if (call.ptsExpiry) call.ptsExpiry.QuadPart = TIMESTAMP_MAX;
  }
  return status;
}

/** Datagrams of a result; events noted. */
function take(ctx: DtlsSecurityContext, r: DtlsResult): Uint8Array[] {
  if (r.events.some((e) => e.type === 'PeerClosed')) ctx.state = 'Closed';
  return r.datagrams;
}

function fail(ctx: DtlsSecurityContext, out: Outputs, err: TlsError, extendedError: boolean): SECURITY_STATUS {
  ctx.state = 'Failed';
  clearOutput(out.token);
  if (out.alert !== undefined) clearOutput(out.alert);
  const alert = ctx.engine.takeAlert();
  if (extendedError && alert !== null) {
    if (out.alert === undefined || !putOutput(out.alert, alert)) putOutput(out.token, alert);
  }
  return statusForError(err, ctx.side);
}

/** EncryptMessage: `[STREAM_HEADER, DATA, STREAM_TRAILER, EMPTY]`, one record (one datagram) of at most cbMaximumMessage. */
export function dtlsEncrypt(ctx: DtlsSecurityContext, pMessage: SecBufferDesc | null): SECURITY_STATUS {
  const bufs = buffersOf(pMessage);
  if (bufs === undefined) return C.SEC_E_INVALID_TOKEN;
  if (ctx.state !== 'Established') return C.SEC_E_CONTEXT_EXPIRED;
  const writable = bufs.filter((b) => (b.BufferType & C.SECBUFFER_READONLY) === 0);
  const datas = writable.filter((b) => baseType(b) === C.SECBUFFER_DATA);
  if (datas.length !== 1) return C.SEC_E_INVALID_TOKEN;
  const data = datas[0] as SecBuffer;
  const header = writable.find((b) => baseType(b) === C.SECBUFFER_STREAM_HEADER);
  const trailer = writable.find((b) => baseType(b) === C.SECBUFFER_STREAM_TRAILER);
  const plain = inputBytes(data);
  if (plain === undefined) return C.SEC_E_INVALID_TOKEN;
  if (header === undefined || trailer === undefined || plain.length > ctx.engine.maxPlaintext || plain.length === 0) return C.SEC_E_BUFFER_TOO_SMALL;
  const sizes = streamSizes(ctx);
  const hCap = header.pvBuffer instanceof Uint8Array ? Math.min(header.cbBuffer >>> 0, header.pvBuffer.length) : 0;
  const tCap = trailer.pvBuffer instanceof Uint8Array ? Math.min(trailer.cbBuffer >>> 0, trailer.pvBuffer.length) : 0;
  if (hCap < sizes.cbHeader || tCap < sizes.cbTrailer) return C.SEC_E_BUFFER_TOO_SMALL;
  let record: Uint8Array;
  try {
    const [r] = ctx.engine.seal(plain);
    if (r === undefined) return C.SEC_E_INTERNAL_ERROR;
    record = r;
  } catch (e) {
    return statusForError(asTlsError(e), ctx.side);
  }
  const h = record.subarray(0, sizes.cbHeader);
  const body = record.subarray(sizes.cbHeader, sizes.cbHeader + plain.length);
  const t = record.subarray(sizes.cbHeader + plain.length);
  (header.pvBuffer as Uint8Array).set(h);
  header.cbBuffer = h.length;
  (data.pvBuffer as Uint8Array).set(body);
  (trailer.pvBuffer as Uint8Array).set(t);
  trailer.cbBuffer = t.length;
  return C.SEC_E_OK;
}

/**
 * DecryptMessage: the DATA buffer holds one datagram; its records' application data is written back into DATA (in
 * place). Status: SEC_E_OK (DATA may be empty), SEC_I_CONTEXT_EXPIRED after close_notify, SEC_I_RENEGOTIATE when
 * handshake datagrams wait for ISC/ASC, SEC_E_MESSAGE_ALTERED / SEC_E_OUT_OF_SEQUENCE for a dropped datagram.
 */
export function dtlsDecrypt(ctx: DtlsSecurityContext, pMessage: SecBufferDesc | null, pfQOP: PULONG | null): SECURITY_STATUS {
  const bufs = buffersOf(pMessage);
  if (bufs === undefined) return C.SEC_E_INVALID_TOKEN;
  const datas = bufs.filter((b) => baseType(b) === C.SECBUFFER_DATA);
  if (datas.length !== 1) return C.SEC_E_INVALID_TOKEN;
  if (ctx.state === 'Failed' || ctx.state === 'Handshaking') return C.SEC_E_CONTEXT_EXPIRED;
  if (ctx.state === 'Closed') return C.SEC_I_CONTEXT_EXPIRED;
  if (pfQOP) pfQOP.value = 0;
  const slot = datas[0] as SecBuffer;
  const bytes = inputBytes(slot);
  if (bytes === undefined) return C.SEC_E_INVALID_TOKEN;
  const before = { ...ctx.engine.drops };
  let r: DtlsResult;
  try {
    r = ctx.engine.process(bytes.slice());
  } catch (e) {
    ctx.state = 'Failed';
    return statusForError(asTlsError(e), ctx.side);
  }
  let at = 0;
  for (const p of r.plaintext) {
    (slot.pvBuffer as Uint8Array).set(p, at);
    at += p.length;
  }
  slot.cbBuffer = at;
  if (r.datagrams.length > 0) ctx.pending.push(...r.datagrams);
  if (r.events.some((e) => e.type === 'PeerClosed')) {
    ctx.state = 'Closed';
    return C.SEC_I_CONTEXT_EXPIRED;
  }
  if (at > 0) return C.SEC_E_OK;
  if (ctx.pending.length > 0) return C.SEC_I_RENEGOTIATE;
  const d = ctx.engine.drops;
  if (d.replayed > before.replayed) return C.SEC_E_OUT_OF_SEQUENCE;
  if (d.badMac > before.badMac || d.malformed > before.malformed) return C.SEC_E_MESSAGE_ALTERED;
  return C.SEC_E_OK;
}

/** SecPkgContext_DatagramSizes (the SecPkgContext_StreamSizes shape) of the current write epoch. */
interface DatagramSizes {
  cbHeader: number;
  cbTrailer: number;
  cbMaximumMessage: number;
  cBuffers: number;
  cbBlockSize: number;
}

function streamSizes(ctx: DtlsSecurityContext): DatagramSizes {
  const s: DatagramSizes = { cbHeader: 0, cbTrailer: 0, cbMaximumMessage: 0, cBuffers: 0, cbBlockSize: 0 };
  const suite = ctx.engine.info !== undefined ? ctx.engine.info.cipherSuite : undefined;
  const explicit = suite !== undefined && (ctx.engine.info?.cipherName ?? '').includes('GCM') ? 8 : 0;
  s.cbHeader = 13 + explicit;
  s.cbTrailer = 16;
  s.cbMaximumMessage = ctx.engine.maxPlaintext;
  s.cBuffers = 4;
  s.cbBlockSize = 1;
  return s;
}

/** QueryContextAttributes for a DTLS context: DTLS_MTU, STREAM_SIZES / DATAGRAM_SIZES. */
export function dtlsQuery(ctx: DtlsSecurityContext, attr: number, pBuffer: object): SECURITY_STATUS {
  if (attr === C.SECPKG_ATTR_DTLS_MTU) {
    if (!(pBuffer instanceof SEC_DTLS_MTU)) return C.SEC_E_INVALID_PARAMETER;
    pBuffer.PathMTU = ctx.engine.mtu;
    return C.SEC_E_OK;
  }
  if (attr === C.SECPKG_ATTR_STREAM_SIZES) {
    if (!('cbHeader' in pBuffer && 'cbMaximumMessage' in pBuffer)) return C.SEC_E_INVALID_PARAMETER;
    if (ctx.state !== 'Established') return C.SEC_E_INVALID_HANDLE;
    Object.assign(pBuffer, streamSizes(ctx));
    return C.SEC_E_OK;
  }
  return C.SEC_E_UNSUPPORTED_FUNCTION;
}

/** SetContextAttributes(SECPKG_ATTR_DTLS_MTU): the path MTU for what is sent next. */
export function dtlsSet(ctx: DtlsSecurityContext, attr: number, pBuffer: object | null): SECURITY_STATUS {
  if (attr !== C.SECPKG_ATTR_DTLS_MTU) return C.SEC_E_UNSUPPORTED_FUNCTION;
  if (!(pBuffer instanceof SEC_DTLS_MTU)) return C.SEC_E_INVALID_PARAMETER;
  const mtu = pBuffer.PathMTU;
  if (!Number.isInteger(mtu) || mtu < MIN_DTLS_MTU || mtu > MAX_MTU) return C.SEC_E_INVALID_PARAMETER;
  ctx.engine.mtu = mtu;
  return C.SEC_E_OK;
}

