/**
 * InitializeSecurityContext / AcceptSecurityContext / DeleteSecurityContext / ApplyControlToken /
 * CompleteAuthToken (SSPI.md §5.4, §5.5, §5.10–§5.13, §6). The engine takes whole records and stops after the one
 * that completes the handshake (`stopAfterHandshake`), so byte accounting is exact: records after it are SECBUFFER_EXTRA
 * (they belong to DecryptMessage), and an incomplete first record is SEC_E_INCOMPLETE_MESSAGE with nothing changed.
 *
 * One and only one of the following happens in an ISC/ASC call:
 *  - a pending control token is turned into an alert record (SEC_E_OK), input ignored;
 *  - a result held back earlier (output buffer too small, SEC_I_INCOMPLETE_CREDENTIALS) is delivered;
 *  - post-handshake work reported by DecryptMessage (SEC_I_RENEGOTIATE) is completed;
 *  - input records are run through the engine.
 */
import type { ConnectionInfo } from '../vocabulary/connection-info.js';
import type { EngineEvent, ProcessResult } from '../engine/events.js';
import { asTlsError, type TlsError } from '../errors.js';
import { canStartRecord, RECORD_HEADER_LENGTH } from '../record/deframer.js';
import { AlertDescription, ProtocolVersion } from '../wire/registry.js';
import { concat, EMPTY, equalPublic } from '../codec/bytes.js';
import { baseType, buffersOf, checkOutput, clearOutput, findBuffer, inputBytes, putOutput, type OutputSlot } from './buffers.js';
import { CertContext } from './cert-context.js';
import * as C from './constants.js';
import { deleteDtlsContext, dtlsHandshakeCall, lookupDtlsContext } from './dtls.js';
import type { SECURITY_STATUS } from './constants.js';
import { clientConfigFor, forgetSessions, lookupCredential, serverConfigFor, storeSession, type Credential } from './credentials.js';
import { newClientEngine, newServerEngine, type SspiEngine } from './engine-port.js';
import { HandleKind, lookupHandle, registerHandle, releaseHandle, wasIssued, writeHandle } from './handles.js';
import { mapCertificate, type AccessToken } from './identity.js';
import { statusForError } from './status.js';
import { fileTimeFromMs, TIMESTAMP_MAX, type CredHandle, type CtxtHandle, type PULONG, type SecBuffer, type SecBufferDesc, type TimeStamp } from './types.js';

/** A result held back for the next call. */
export interface Held {
  /** Input bytes the engine already consumed for it (skipped when the caller sends them again). */
  readonly consumed: Uint8Array;
  readonly output: Uint8Array;
  readonly status: SECURITY_STATUS;
}

/**
 * The phase of a context (SSPI.md §10), each with exactly the fields valid in it: nothing is held back once the
 * context is closing or failed, connection info exists from the end of the handshake on, and post-handshake output
 * waits only while DecryptMessage's SEC_I_RENEGOTIATE is unanswered.
 */
export type ContextPhase =
  /** The handshake runs; `held`: a result held back (output too small, SEC_I_INCOMPLETE_CREDENTIALS). */
  | { readonly kind: 'Handshaking'; readonly held: Held | null }
  /**
   * Records flow. `exchange`: a post-handshake exchange run through ISC/ASC (the server's CertificateRequest, a TLS
   * 1.2 renegotiation) waits for the peer's answer.
   */
  | { readonly kind: 'Established'; readonly info: ConnectionInfo; readonly held: Held | null; readonly exchange: boolean }
  /** DecryptMessage returned SEC_I_RENEGOTIATE: the next ISC/ASC hands out `output` (the replies it produced). */
  | {
      readonly kind: 'PostHandshakePending';
      readonly info: ConnectionInfo;
      readonly output: readonly Uint8Array[];
      readonly held: Held | null;
      readonly exchange: boolean;
    }
  /** We sent close_notify (info undefined when that happened before the handshake completed). */
  | { readonly kind: 'Closing'; readonly info: ConnectionInfo | undefined }
  /** The peer sent close_notify. */
  | { readonly kind: 'PeerClosed'; readonly info: ConnectionInfo | undefined }
  /** A fatal error, a fatal alert sent, or DeleteSecurityContext. */
  | { readonly kind: 'Failed'; readonly info: ConnectionInfo | undefined };

/** The phases that can hold a result back. */
type HoldingPhase = Extract<ContextPhase, { readonly held: Held | null }>;

/** What only a client context has. */
export interface ClientRole {
  readonly side: 'client';
  /** ISC target name. */
  readonly targetName: string | null;
  /** The server chain is not enforced (SCH_CRED_MANUAL_CRED_VALIDATION / ISC_REQ_MANUAL_CRED_VALIDATION). */
  readonly manual: boolean;
  /** This context's session goes into the credential's cache (ApplyControlToken SCHANNEL_SESSION). */
  reconnects: boolean;
  /** A CertificateRequest not yet reported through ISC, and whether the engine answers it with a certificate. */
  certificateRequest: { readonly hasCertificate: boolean } | undefined;
  /** Issuer DNs from the last CertificateRequest (DER), for SECPKG_ATTR_ISSUER_LIST_EX. */
  issuers: readonly Uint8Array[];
}

/** What only a server context has. */
export interface ServerRole {
  readonly side: 'server';
  /** The mapped client identity. */
  token: AccessToken | undefined;
}

/** A control token queued by ApplyControlToken. */
interface ControlAlert {
  readonly level: number;
  readonly description: number;
}

/** A security context (what a CtxtHandle names). */
export class SchannelContext {
  /** Handle id. */
  id = 0;
  /** Phase (SSPI.md §10). */
  phase: ContextPhase = { kind: 'Handshaking', held: null };
  /** Control token queued by ApplyControlToken. */
  control: ControlAlert | null = null;
  /** Parameters set with SECPKG_ATTR_KEYING_MATERIAL_INFO. */
  keyingInfo: { label: string; context: Uint8Array | null; length: number } | undefined;
  /** Attribute flags of the last ISC/ASC. */
  attrs = 0;

  /** Side and what belongs to it. */
  readonly role: ClientRole | ServerRole;
  /** The credential it was made from. */
  readonly cred: Credential;
  /** The engine. */
  readonly engine: SspiEngine;

  /** A context over `engine`. */
  constructor(role: ClientRole | ServerRole, cred: Credential, engine: SspiEngine) {
    this.role = role;
    this.cred = cred;
    this.engine = engine;
  }

  /** Side. */
  get side(): 'client' | 'server' {
    return this.role.side;
  }

  /** Negotiated parameters once the handshake completed. */
  get info(): ConnectionInfo | undefined {
    return this.phase.kind === 'Handshaking' ? undefined : this.phase.info;
  }

  /** The mapped client identity (server contexts). */
  get token(): AccessToken | undefined {
    return this.role.side === 'server' ? this.role.token : undefined;
  }

  /** The peer's chain (DER, leaf first) once known. */
  get peerChain(): readonly Uint8Array[] {
    return this.info?.peerCertificates ?? this.engine.info?.peerCertificates ?? [];
  }
}

/** Replace the connection info (a renegotiation's, or a post-handshake certificate); no-op while handshaking. */
export function replaceInfo(ctx: SchannelContext, info: (old: ConnectionInfo | undefined) => ConnectionInfo | undefined): void {
  const p = ctx.phase;
  if (p.kind === 'Handshaking') return;
  const next = info(p.info);
  if (next === undefined) return;
  ctx.phase = { ...p, info: next };
}

/** The post-handshake exchange run through ISC/ASC is over (or started: `pending`). */
export function setExchange(ctx: SchannelContext, pending: boolean): void {
  const p = ctx.phase;
  if (p.kind === 'Established' || p.kind === 'PostHandshakePending') ctx.phase = { ...p, exchange: pending };
}

/** Map a client chain to an identity (server contexts, unless SCH_CRED_NO_SYSTEM_MAPPER). */
export function mapPeer(ctx: SchannelContext, chain: readonly Uint8Array[]): void {
  if (ctx.role.side === 'server' && chain.length > 0 && (ctx.cred.flags & C.SCH_CRED_NO_SYSTEM_MAPPER) === 0) {
    ctx.role.token = mapCertificate(ctx.cred.mappers, CertContext.fromDer(chain));
  }
}

/** The context fails (a fatal error or alert, or deletion): nothing held, nothing pending. */
export function toFailed(ctx: SchannelContext): void {
  ctx.phase = { kind: 'Failed', info: ctx.info };
}

/** The peer closed. */
export function toPeerClosed(ctx: SchannelContext): void {
  ctx.phase = { kind: 'PeerClosed', info: ctx.info };
}

/** Hold a result back for the next call (phases that can hold one). */
function hold(ctx: SchannelContext, held: Held | null): void {
  const p = ctx.phase;
  if (isHolding(p)) ctx.phase = { ...p, held };
}

/**
 * DecryptMessage saw a post-handshake message (SEC_I_RENEGOTIATE): the next ISC/ASC hands out `output` (the replies,
 * possibly none). The engine is in traffic here, so the connection info is known.
 */
export function toPostHandshakePending(ctx: SchannelContext, output: Uint8Array): void {
  const p = ctx.phase;
  const info = ctx.info ?? ctx.engine.info;
  if (info === undefined) throw new Error('post-handshake message before the handshake completed');
  ctx.phase = {
    kind: 'PostHandshakePending',
    info,
    output: output.length > 0 ? [output] : [],
    held: isHolding(p) ? p.held : null,
    exchange: p.kind === 'Established' || p.kind === 'PostHandshakePending' ? p.exchange : false,
  };
}

function isHolding(p: ContextPhase): p is HoldingPhase {
  return p.kind === 'Handshaking' || p.kind === 'Established' || p.kind === 'PostHandshakePending';
}

/** The context named by a handle. */
export function lookupContext(h: CtxtHandle | null | undefined): SchannelContext | undefined {
  const ctx = lookupHandle(h, HandleKind.Context);
  return ctx instanceof SchannelContext ? ctx : undefined;
}

/**
 * Engine events that change the context whatever call saw them (ISC/ASC or DecryptMessage): tickets go to the
 * credential's session cache (per target name, as Schannel's), a CertificateRequest is remembered for §6.4.
 */
export function noteEvent(ctx: SchannelContext, ev: EngineEvent): void {
  const role = ctx.role;
  if (ev.type === 'NewTicket' && role.side === 'client' && role.reconnects) {
    storeSession(ctx.cred, role.targetName, role.manual, ev.ticket);
  } else if (ev.type === 'CertificateRequested' && role.side === 'client') {
    role.certificateRequest = { hasCertificate: ev.hasCertificate };
    role.issuers = ev.certificateAuthorities.map((n) => n.slice());
  } else if (ev.type === 'Renegotiated') {
    // A TLS 1.2 renegotiation (RFC 5746) completed, through ISC/ASC or DecryptMessage: the new handshake's info,
    // and the client certificate it brought (server side), replace the old ones.
    replaceInfo(ctx, () => ev.info);
    setExchange(ctx, false);
    mapPeer(ctx, ev.info.peerCertificates);
  }
}

// ---- input parsing ---------------------------------------------------------------------------------------

/** Parse a SEC_APPLICATION_PROTOCOLS buffer (§4.4): the ALPN ids (bytes, as on the wire), or undefined when malformed. */
export function parseApplicationProtocols(bytes: Uint8Array): Uint8Array[] | undefined {
  if (bytes.length < 4) return undefined;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const total = dv.getUint32(0, true);
  if (4 + total > bytes.length) return undefined;
  let off = 4;
  const end = 4 + total;
  let alpn: Uint8Array[] | undefined;
  while (off < end) {
    if (off + 6 > end) return undefined;
    const ext = dv.getUint32(off, true);
    const size = dv.getUint16(off + 4, true);
    off += 6;
    if (off + size > end) return undefined;
    const list: Uint8Array[] = [];
    let p = off;
    while (p < off + size) {
      const len = bytes[p] as number;
      if (len === 0 || p + 1 + len > off + size) return undefined;
      list.push(bytes.slice(p + 1, p + 1 + len));
      p += 1 + len;
    }
    if (ext === C.SecApplicationProtocolNegotiationExt_ALPN) {
      if (list.length === 0) return undefined;
      alpn = list;
    }
    off += size;
  }
  return alpn;
}

/**
 * Build a SEC_APPLICATION_PROTOCOLS buffer body for an ALPN list (helper for callers and tests): ids as bytes, or
 * strings (UTF-8 encoded, as node:tls encodes them).
 */
export function buildApplicationProtocols(protocols: readonly (string | Uint8Array)[]): Uint8Array {
  const ids = protocols.map((p) => (typeof p === 'string' ? new TextEncoder().encode(p) : p));
  const listSize = ids.reduce((n, id) => n + 1 + id.length, 0);
  const out = new Uint8Array(10 + listSize);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, listSize + 6, true);
  dv.setUint32(4, C.SecApplicationProtocolNegotiationExt_ALPN, true);
  dv.setUint16(8, listSize, true);
  let o = 10;
  for (const id of ids) {
    out[o++] = id.length;
    out.set(id, o);
    o += id.length;
  }
  return out;
}

// ---- shared ISC/ASC machinery ------------------------------------------------------------------------------

interface CallArgs {
  readonly side: 'client' | 'server';
  readonly req: number;
  readonly allocate: boolean;
  readonly extendedError: boolean;
  readonly inBufs: SecBuffer[] | undefined;
  readonly pInputGiven: boolean;
  readonly outBufs: SecBuffer[];
  /** Where the handshake token goes: the first TOKEN buffer, else the first EMPTY buffer (retyped TOKEN). */
  readonly token: OutputSlot;
  readonly alert: OutputSlot | undefined;
  /** Client continuation: the credential passed on this call (may differ from the context's, §6.4). */
  readonly callCred?: Credential | undefined;
}

/**
 * One call's arguments, as one literal with every field in CallArgs order (no spreads): the same object shape on
 * every call, and nothing that outlives a scavenge.
 */
function callArgs(
  side: 'client' | 'server',
  req: number,
  allocate: boolean,
  extendedError: boolean,
  checked: Exclude<ReturnType<typeof checkBuffers>, number>,
  pInput: SecBufferDesc | null | undefined,
  callCred: Credential | undefined,
): CallArgs {
  return {
    side,
    req,
    allocate,
    extendedError,
    inBufs: checked.inBufs,
    pInputGiven: pInput !== null && pInput !== undefined,
    outBufs: checked.out.outBufs,
    token: checked.out.token,
    alert: checked.out.alert,
    callCred,
  };
}

interface EngineRun {
  consumed: number;
  missing: number | undefined;
  output: Uint8Array;
  established: boolean;
  error: TlsError | undefined;
  postHandshake: boolean;
  /** The connection info of the HandshakeComplete event, when one came. */
  info: ConnectionInfo | undefined;
}

/**
 * Run whole records through the engine until the handshake completes (the engine's `stopAfterHandshake`: what
 * follows belongs to DecryptMessage), input runs out, or a record is incomplete.
 */
function runHandshake(ctx: SchannelContext, data: Uint8Array): EngineRun {
  let r: ProcessResult;
  try {
    r = ctx.engine.process(data, { stopAfterHandshake: true });
  } catch (e) {
    return { consumed: 0, missing: undefined, output: EMPTY, established: false, error: asTlsError(e), postHandshake: false, info: undefined };
  }
  let established = false;
  let postHandshake = false;
  let info: ConnectionInfo | undefined;
  for (const ev of r.events) {
    noteEvent(ctx, ev);
    if (ev.type === 'HandshakeComplete') {
      established = true;
      info = ev.info;
    } else if (ev.type === 'PostHandshake' || ev.type === 'NewTicket' || ev.type === 'KeyUpdated') {
      postHandshake = true;
    }
  }
  return { consumed: r.consumed, missing: r.missing, output: r.output, established, error: undefined, postHandshake, info };
}

/** Fill the first EMPTY input buffer with `type`/`size` (MISSING on INCOMPLETE, EXTRA on success). */
function markInput(inBufs: SecBuffer[] | undefined, type: number, size: number): void {
  if (inBufs === undefined) return;
  const slot = inBufs.find((b) => baseType(b) === C.SECBUFFER_EMPTY);
  if (slot === undefined) return;
  slot.BufferType = type;
  slot.cbBuffer = size;
}

/** Attribute flags for this call (§2.3, §2.5): REPLAY|SEQUENCE|CONFIDENTIALITY|STREAM always, plus echoes. */
function attrFlags(a: Pick<CallArgs, 'side' | 'req' | 'allocate'>, mutualMapped: boolean): number {
  if (a.side === 'client') {
    let f = C.ISC_RET_REPLAY_DETECT | C.ISC_RET_SEQUENCE_DETECT | C.ISC_RET_CONFIDENTIALITY | C.ISC_RET_STREAM;
    if ((a.req & C.ISC_REQ_EXTENDED_ERROR) !== 0) f |= C.ISC_RET_EXTENDED_ERROR;
    if (a.allocate) f |= C.ISC_RET_ALLOCATED_MEMORY;
    if ((a.req & C.ISC_REQ_USE_SUPPLIED_CREDS) !== 0) f |= C.ISC_RET_USED_SUPPLIED_CREDS;
    if ((a.req & C.ISC_REQ_MANUAL_CRED_VALIDATION) !== 0) f |= C.ISC_RET_MANUAL_CRED_VALIDATION;
    if ((a.req & C.ISC_REQ_CONNECTION) !== 0) f |= C.ISC_RET_CONNECTION;
    if ((a.req & C.ISC_REQ_INTEGRITY) !== 0) f |= C.ISC_RET_INTEGRITY;
    return f >>> 0;
  }
  let f = C.ASC_RET_REPLAY_DETECT | C.ASC_RET_SEQUENCE_DETECT | C.ASC_RET_CONFIDENTIALITY | C.ASC_RET_STREAM;
  if ((a.req & C.ASC_REQ_EXTENDED_ERROR) !== 0) f |= C.ASC_RET_EXTENDED_ERROR;
  if (a.allocate) f |= C.ASC_RET_ALLOCATED_MEMORY;
  if ((a.req & C.ASC_REQ_CONNECTION) !== 0) f |= C.ASC_RET_CONNECTION;
  if ((a.req & C.ASC_REQ_INTEGRITY) !== 0) f |= C.ASC_RET_INTEGRITY;
  if (mutualMapped) f |= C.ASC_RET_MUTUAL_AUTH;
  return f >>> 0;
}

function clearToken(a: CallArgs): void {
  clearOutput(a.token);
}

function clearAlert(a: CallArgs): void {
  if (a.alert !== undefined) clearOutput(a.alert);
}

/**
 * The token into its slot; false (nothing written) when the caller's buffer is too small. Every token here is the
 * engine's output or an array made for this call, handed out once: a package allocation takes it uncopied.
 */
function putToken(a: CallArgs, bytes: Uint8Array): boolean {
  return putOutput(a.token, bytes, true);
}

/** Output too small: report size 0 (SEC_E_INSUFFICIENT_MEMORY). */
function tokenTooSmall(a: CallArgs): void {
  a.token.buffer.cbBuffer = 0;
}

/** Failure: empty TOKEN, the alert record in ALERT (or TOKEN) when EXTENDED_ERROR was asked. */
function fail(ctx: SchannelContext, a: CallArgs, err: TlsError): SECURITY_STATUS {
  const status = statusForError(err, a.side);
  let alert: Uint8Array | null = null;
  try {
    alert = ctx.engine.takeAlert();
  } catch {
    alert = null;
  }
  toFailed(ctx);
  clearToken(a);
  clearAlert(a);
  if (a.extendedError && alert !== null && alert.length > 0) {
    if (a.alert === undefined || !putOutput(a.alert, alert, true)) putToken(a, alert);
  }
  return status;
}

/** The ptsExpiry / ptsTimeStamp value: the peer certificate's NotAfter, else the maximum (§1.2). */
function peerExpiry(ctx: SchannelContext): bigint {
  const leaf = ctx.peerChain[0];
  if (leaf === undefined) return TIMESTAMP_MAX;
  const c = CertContext.fromDer([leaf]);
  return c.notAfter !== undefined ? fileTimeFromMs(c.notAfter) : TIMESTAMP_MAX;
}

/** Record an established handshake (`info` from its HandshakeComplete event): phase, client-certificate mapping. */
function onEstablished(ctx: SchannelContext, info: ConnectionInfo | undefined): void {
  const known = info ?? ctx.engine.info;
  if (known === undefined) throw new Error('handshake complete without connection info');
  ctx.phase = { kind: 'Established', info: known, held: null, exchange: false };
  mapPeer(ctx, ctx.peerChain);
}

/**
 * Answer the CertificateRequest the engine waits on (§6.4) with the certificate of `cred` (the credential of this
 * call, else the context's), or with none. Returns the output and whether the handshake is now established.
 */
function supplyCertificate(ctx: SchannelContext, cred: Credential | undefined): { output: Uint8Array; established: boolean; info: ConnectionInfo | undefined } {
  const cc = (cred ?? ctx.cred).certificates[0];
  const r = ctx.engine.supplyClientCertificate(cc === undefined ? null : { cert: [...cc.chain], key: cc.privateKey as string | Uint8Array });
  let established = false;
  let info: ConnectionInfo | undefined;
  for (const ev of r.events) {
    noteEvent(ctx, ev);
    if (ev.type === 'HandshakeComplete') {
      established = true;
      info = ev.info;
    }
  }
  return { output: r.output, established, info };
}

/** Deliver a held result (too-small output or incomplete credentials), skipping re-sent consumed bytes. */
function deliverHeld(ctx: SchannelContext, a: CallArgs, data: Uint8Array, first: Held): SECURITY_STATUS {
  let held = first;
  if (ctx.side === 'client' && ctx.engine.awaitingClientCertificate) {
    // The retry after SEC_I_INCOMPLETE_CREDENTIALS: answer now, with this call's credential if it has a certificate.
    let sup: ReturnType<typeof supplyCertificate>;
    try {
      sup = supplyCertificate(ctx, a.callCred);
    } catch (e) {
      return fail(ctx, a, asTlsError(e));
    }
    if (sup.established) onEstablished(ctx, sup.info);
    held = { ...held, output: concat(held.output, sup.output), status: sup.established ? C.SEC_E_OK : C.SEC_I_CONTINUE_NEEDED };
    hold(ctx, held);
  }
  let rest = data;
  if (data.length >= held.consumed.length && equalPublic(data.subarray(0, held.consumed.length), held.consumed)) {
    rest = data.subarray(held.consumed.length);
  }
  if (!putToken(a, held.output)) {
    clearToken(a);
    return C.SEC_E_INSUFFICIENT_MEMORY;
  }
  const p = ctx.phase;
  if (p.kind === 'PostHandshakePending') ctx.phase = { kind: 'Established', info: p.info, held: null, exchange: p.exchange };
  else hold(ctx, null);
  clearAlert(a);
  if (rest.length > 0) markInput(a.inBufs, C.SECBUFFER_EXTRA, rest.length);
  return held.status;
}

/**
 * §6.4 recommended behaviour: a CertificateRequest, no certificate to answer with, and no ISC_REQ_USE_SUPPLIED_CREDS
 * on this call → SEC_I_INCOMPLETE_CREDENTIALS (once per request; the retry sends the empty Certificate).
 */
function incompleteCredentials(ctx: SchannelContext, a: CallArgs): boolean {
  const role = ctx.role;
  if (role.side !== 'client' || role.certificateRequest === undefined) return false;
  const request = role.certificateRequest;
  role.certificateRequest = undefined;
  return !request.hasCertificate && (a.req & C.ISC_REQ_USE_SUPPLIED_CREDS) === 0;
}

/** The handshake step proper, for a context that exists. Returns the status; writes outputs. */
function step(ctx: SchannelContext, a: CallArgs, data: Uint8Array): SECURITY_STATUS {
  // Record framing pre-checks (§5.4 step 5): not TLS at all → INVALID_TOKEN; short header → MISSING.
  if (!canStartRecord(data, 0)) {
    clearToken(a);
    return C.SEC_E_INVALID_TOKEN;
  }
  if (data.length < RECORD_HEADER_LENGTH) {
    markInput(a.inBufs, C.SECBUFFER_MISSING, RECORD_HEADER_LENGTH - data.length);
    return C.SEC_E_INCOMPLETE_MESSAGE;
  }
  const run = runHandshake(ctx, data);
  if (run.error !== undefined) return fail(ctx, a, run.error);
  if (run.consumed === 0) {
    markInput(a.inBufs, C.SECBUFFER_MISSING, run.missing ?? 1);
    return C.SEC_E_INCOMPLETE_MESSAGE;
  }
  let status: SECURITY_STATUS = C.SEC_I_CONTINUE_NEEDED;
  if (ctx.side === 'client' && ctx.engine.awaitingClientCertificate) {
    // §6.4: the server asked for a certificate this credential cannot give.
    if (incompleteCredentials(ctx, a)) {
      hold(ctx, { consumed: data.slice(0, run.consumed), output: run.output, status });
      clearToken(a);
      clearAlert(a);
      return C.SEC_I_INCOMPLETE_CREDENTIALS;
    }
    // ISC_REQ_USE_SUPPLIED_CREDS: go on with what we have (an empty Certificate).
    try {
      const sup = supplyCertificate(ctx, undefined);
      run.output = concat(run.output, sup.output);
      run.established = run.established || sup.established;
      run.info = run.info ?? sup.info;
    } catch (e) {
      return fail(ctx, a, asTlsError(e));
    }
  }
  if (run.established) {
    onEstablished(ctx, run.info);
    status = C.SEC_E_OK;
  }
  // Client: the server asked for a certificate we do not have (§6.4): the reply is held until the caller calls again.
  if ((run.output.length > 0 || run.established) && incompleteCredentials(ctx, a)) {
    hold(ctx, { consumed: data.slice(0, run.consumed), output: run.output, status });
    clearToken(a);
    clearAlert(a);
    return C.SEC_I_INCOMPLETE_CREDENTIALS;
  }
  if (!putToken(a, run.output)) {
    hold(ctx, { consumed: data.slice(0, run.consumed), output: run.output, status });
    tokenTooSmall(a);
    return C.SEC_E_INSUFFICIENT_MEMORY;
  }
  clearAlert(a);
  if (run.consumed < data.length) markInput(a.inBufs, C.SECBUFFER_EXTRA, data.length - run.consumed);
  return status;
}

/** A pending control token: emit its alert record (§5.10, §6.6); input is ignored. */
function emitControl(ctx: SchannelContext, a: CallArgs): SECURITY_STATUS {
  const c = ctx.control;
  if (c === null) return C.SEC_E_OK;
  ctx.control = null;
  let rec: Uint8Array;
  try {
    rec = c.description === AlertDescription.close_notify && c.level === C.TLS1_ALERT_WARNING ? ctx.engine.close() : ctx.engine.sendAlert(c.description, c.level === C.TLS1_ALERT_FATAL);
    if (rec.length === 0) rec = ctx.engine.sendAlert(c.description, c.level === C.TLS1_ALERT_FATAL);
  } catch {
    // The engine has no keys or refuses (failed/closed): a plaintext alert record (what Windows sent before keys).
    rec = Uint8Array.of(21, 3, 3, 0, 2, c.level, c.description);
  }
  if (!putToken(a, rec)) {
    ctx.control = c;
    tokenTooSmall(a);
    return C.SEC_E_INSUFFICIENT_MEMORY;
  }
  clearAlert(a);
  if (c.level === C.TLS1_ALERT_FATAL) toFailed(ctx);
  else if (c.description === AlertDescription.close_notify && ctx.phase.kind !== 'Failed') ctx.phase = { kind: 'Closing', info: ctx.info };
  return C.SEC_E_OK;
}

/**
 * Client, renegotiation: a CertificateRequest this credential cannot answer is handled as in the first handshake
 * (§6.4): SEC_I_INCOMPLETE_CREDENTIALS with the reply held, the retry answers with its credential's certificate or
 * none; with ISC_REQ_USE_SUPPLIED_CREDS the (empty) Certificate goes now, appended to `outs`.
 */
function answerCertificateRequest(ctx: SchannelContext, a: CallArgs, consumed: Uint8Array, outs: Uint8Array[]): SECURITY_STATUS | undefined {
  if (ctx.side !== 'client' || !ctx.engine.awaitingClientCertificate) return undefined;
  if (incompleteCredentials(ctx, a)) {
    hold(ctx, { consumed: consumed.slice(), output: concat(...outs), status: C.SEC_I_CONTINUE_NEEDED });
    clearToken(a);
    clearAlert(a);
    return C.SEC_I_INCOMPLETE_CREDENTIALS;
  }
  try {
    const sup = supplyCertificate(ctx, undefined);
    if (sup.output.length > 0) outs.push(sup.output);
  } catch (e) {
    return fail(ctx, a, asTlsError(e));
  }
  return undefined;
}

/**
 * Server, after ASC sent a TLS 1.3 post-handshake CertificateRequest: the client's Certificate, CertificateVerify and
 * Finished records given to ASC as TOKEN input (as .NET's renegotiation loop does) are processed one record at a time:
 * SEC_I_CONTINUE_NEEDED until the Finished, then SEC_E_OK with REMOTE_CERT_CONTEXT updated and the rest as EXTRA.
 * Application data in between cannot be handed out through ASC: SEC_E_ILLEGAL_MESSAGE (.NET fails there too,
 * net_ssl_renegotiate_data).
 */
function continuePostHandshakeAuth(ctx: SchannelContext, a: CallArgs, data: Uint8Array, pending?: Uint8Array): SECURITY_STATUS {
  const outs: Uint8Array[] = pending !== undefined && pending.length > 0 ? [pending] : [];
  let off = 0;
  let done = false;
  while (off < data.length && !done) {
    let r;
    try {
      r = ctx.engine.process(data.subarray(off), { maxRecords: 1 });
    } catch (e) {
      return fail(ctx, a, asTlsError(e));
    }
    if (r.output.length > 0) outs.push(r.output);
    if (r.consumed === 0) {
      // Nothing whole yet: INCOMPLETE, unless there is output to hand out first (a renegotiation's ClientHello).
      if (off === 0 && outs.length === 0) {
        markInput(a.inBufs, C.SECBUFFER_MISSING, r.missing ?? 1);
        return C.SEC_E_INCOMPLETE_MESSAGE;
      }
      break;
    }
    off += r.consumed;
    if (r.plaintext.some((p) => p.length > 0)) {
      clearToken(a);
      return C.SEC_E_ILLEGAL_MESSAGE;
    }
    for (const ev of r.events) {
      noteEvent(ctx, ev);
      if (ev.type === 'Renegotiated') {
        done = true; // noteEvent took the new handshake's info
      } else if (ev.type === 'WarningAlert' && ev.description === AlertDescription.no_renegotiation) {
        // The client declined the HelloRequest (RFC 5746 §4.2): the connection goes on without a new handshake.
        done = true;
      } else if (ev.type === 'PeerCertificateUpdated') {
        done = true;
        if (ev.chain.length > 0) {
          const chain = ev.chain.map((c) => c.slice());
          replaceInfo(ctx, (old) => (old !== undefined ? { ...old, peerCertificates: chain } : undefined));
          mapPeer(ctx, ev.chain);
        }
      } else if (ev.type === 'PeerClosed') {
        toPeerClosed(ctx);
        clearToken(a);
        return C.SEC_I_CONTEXT_EXPIRED;
      }
    }
    const paused = answerCertificateRequest(ctx, a, data.subarray(0, off), outs);
    if (paused !== undefined) return paused;
  }
  // A CertificateRequest that arrived through DecryptMessage before this call.
  const paused = answerCertificateRequest(ctx, a, data.subarray(0, off), outs);
  if (paused !== undefined) return paused;
  if (!putToken(a, concat(...outs))) {
    tokenTooSmall(a);
    return C.SEC_E_INSUFFICIENT_MEMORY;
  }
  clearAlert(a);
  if (off < data.length) markInput(a.inBufs, C.SECBUFFER_EXTRA, data.length - off);
  if (!done) return C.SEC_I_CONTINUE_NEEDED;
  setExchange(ctx, false);
  return C.SEC_E_OK;
}

/** Shared continuation logic for ISC and ASC on an existing context. */
function continueContext(ctx: SchannelContext, a: CallArgs): SECURITY_STATUS {
  if (ctx.control !== null) return emitControl(ctx, a);
  const tokenIn = a.inBufs !== undefined ? findBuffer(a.inBufs, C.SECBUFFER_TOKEN) : undefined;
  let data: Uint8Array = new Uint8Array(0);
  if (tokenIn !== undefined) {
    const d = inputBytes(tokenIn);
    if (d === undefined) return C.SEC_E_INVALID_TOKEN;
    data = d;
  }
  const p = ctx.phase;
  if (isHolding(p) && p.held !== null) return deliverHeld(ctx, a, data, p.held);
  switch (p.kind) {
    case 'PostHandshakePending':
      return deliverPostHandshake(ctx, p, a, data);
    case 'Established':
    case 'Closing':
    case 'PeerClosed':
      return afterHandshake(ctx, p, a, data);
    case 'Failed':
      clearToken(a);
      return C.SEC_E_CONTEXT_EXPIRED;
    case 'Handshaking':
      if (!a.pInputGiven || tokenIn === undefined) return C.SEC_E_INCOMPLETE_MESSAGE;
      return step(ctx, a, data);
  }
}

/** The message was handled when DecryptMessage saw it; hand out any reply and return the input as EXTRA. */
function deliverPostHandshake(
  ctx: SchannelContext,
  p: Extract<ContextPhase, { kind: 'PostHandshakePending' }>,
  a: CallArgs,
  data: Uint8Array,
): SECURITY_STATUS {
  const out = concat(...p.output);
  if (ctx.engine.renegotiating) {
    // TLS 1.2 renegotiation (client: the HelloRequest was answered with a ClientHello; either side: part of the
    // new handshake came through DecryptMessage): ISC/ASC run it to its end, SEC_I_CONTINUE_NEEDED until then,
    // the input being the records after the one DecryptMessage reported (as Windows/.NET pass them).
    ctx.phase = { kind: 'Established', info: p.info, held: null, exchange: true };
    return continuePostHandshakeAuth(ctx, a, data, out);
  }
  if (incompleteCredentials(ctx, a)) {
    // A TLS 1.3 post-handshake CertificateRequest we cannot answer with a certificate (§6.5): report it first.
    ctx.phase = { ...p, output: [], held: { consumed: new Uint8Array(0), output: out, status: C.SEC_E_OK } };
    clearToken(a);
    clearAlert(a);
    return C.SEC_I_INCOMPLETE_CREDENTIALS;
  }
  if (!putToken(a, out)) {
    tokenTooSmall(a);
    return C.SEC_E_INSUFFICIENT_MEMORY;
  }
  // A renegotiation whose last record came through DecryptMessage is complete now.
  ctx.phase = { kind: 'Established', info: p.info, held: null, exchange: false };
  clearAlert(a);
  if (data.length > 0) markInput(a.inBufs, C.SECBUFFER_EXTRA, data.length);
  return C.SEC_E_OK;
}

/** ISC/ASC on an established or closed context. */
function afterHandshake(
  ctx: SchannelContext,
  p: Extract<ContextPhase, { kind: 'Established' | 'Closing' | 'PeerClosed' }>,
  a: CallArgs,
  data: Uint8Array,
): SECURITY_STATUS {
  const exchange = p.kind === 'Established' && p.exchange;
  // §6.5: a server asking for a client certificate after the handshake (TLS 1.3 post-handshake auth).
  if (a.side === 'server' && p.kind === 'Established' && (a.req & C.ASC_REQ_MUTUAL_AUTH) !== 0 && data.length === 0 && !exchange) {
    let rec: Uint8Array;
    try {
      // TLS 1.2: a renegotiation with CertificateRequest (HelloRequest first, RFC 5746), as IIS and .NET's
      // NegotiateClientCertificateAsync get from Schannel; TLS 1.3: post-handshake CertificateRequest.
      const verifier = ctx.cred.cache.server?.verifier ?? null;
      rec = ctx.engine.version === ProtocolVersion.TLS12
        ? ctx.engine.requestRenegotiation({ clientAuth: 'optional', enforce: verifier !== null })
        : ctx.engine.requestClientCertificate();
    } catch (e) {
      const err = asTlsError(e);
      return err.kind === 'Internal' || err.kind === 'Closed' ? C.SEC_E_UNSUPPORTED_FUNCTION : statusForError(err, 'server');
    }
    if (!putToken(a, rec)) {
      tokenTooSmall(a);
      return C.SEC_E_INSUFFICIENT_MEMORY;
    }
    clearAlert(a);
    setExchange(ctx, true);
    return C.SEC_I_CONTINUE_NEEDED;
  }
  // The client's answer to that request, handed to ASC as TOKEN input (.NET's renegotiation loop).
  if (exchange && data.length > 0) return continuePostHandshakeAuth(ctx, a, data);
  // Nothing pending (§9 open question, recommendation): SEC_E_OK with an empty token; input goes back as EXTRA.
  if (!a.pInputGiven && p.kind !== 'Established') return C.SEC_E_INCOMPLETE_MESSAGE;
  clearToken(a);
  clearAlert(a);
  if (data.length > 0) markInput(a.inBufs, C.SECBUFFER_EXTRA, data.length);
  return C.SEC_E_OK;
}

/**
 * Validate pInput: EMPTY buffers must be empty on input (§8.22; Wine test_communication, an EMPTY of 0xdeadbeef bytes
 * next to the TOKEN). The first ISC call reads only SECBUFFER_APPLICATION_PROTOCOLS and ignores the rest (Wine
 * test_connection_shutdown passes a 24-byte EMPTY buffer there and gets SEC_I_CONTINUE_NEEDED).
 */
function checkInput(pInput: SecBufferDesc | null, strictEmpty: boolean): SECURITY_STATUS | SecBuffer[] | undefined {
  if (pInput === null || pInput === undefined) return undefined;
  const bufs = buffersOf(pInput);
  if (bufs === undefined) return C.SEC_E_INVALID_TOKEN;
  if (strictEmpty) for (const b of bufs) if (baseType(b) === C.SECBUFFER_EMPTY && (b.cbBuffer >>> 0) !== 0) return C.SEC_E_INVALID_TOKEN;
  return bufs;
}

function alpnFromInput(inBufs: SecBuffer[] | undefined): Uint8Array[] | undefined | 'bad' {
  if (inBufs === undefined) return undefined;
  const b = findBuffer(inBufs, C.SECBUFFER_APPLICATION_PROTOCOLS);
  if (b === undefined) return undefined;
  const bytes = inputBytes(b);
  if (bytes === undefined) return 'bad';
  return parseApplicationProtocols(bytes) ?? 'bad';
}

// ---- InitializeSecurityContext ---------------------------------------------------------------------------

/**
 * InitializeSecurityContext (client, §5.4). First call: `phContext` null, the ClientHello goes to the output TOKEN
 * and `phNewContext` receives the handle (SEC_I_CONTINUE_NEEDED). Later calls pass the server's records as
 * `[TOKEN, EMPTY]`. Never throws.
 */
export function InitializeSecurityContext(
  phCredential: CredHandle | null,
  phContext: CtxtHandle | null,
  pszTargetName: string | null,
  fContextReq: number,
  Reserved1: number,
  TargetDataRep: number,
  pInput: SecBufferDesc | null,
  Reserved2: number,
  phNewContext: CtxtHandle | null,
  pOutput: SecBufferDesc | null,
  pfContextAttr: PULONG | null,
  ptsExpiry: TimeStamp | null,
): SECURITY_STATUS {
  void Reserved1;
  void Reserved2;
  void TargetDataRep;
  try {
    return initialize(phCredential, phContext, pszTargetName, fContextReq >>> 0, pInput, phNewContext, pOutput, pfContextAttr, ptsExpiry);
  } catch {
    return C.SEC_E_INTERNAL_ERROR;
  }
}

/**
 * The context of a continuation call (of the right side), or else the credential of a first call (holding the
 * `use` bits asked for): SEC_E_INVALID_HANDLE otherwise.
 */
function resolveHandles(
  phContext: CtxtHandle | null,
  phCredential: CredHandle | null,
  side: 'client' | 'server',
  use: number,
): SECURITY_STATUS | { ctx: SchannelContext; cred: undefined } | { ctx: undefined; cred: Credential } {
  if (phContext !== null && phContext !== undefined) {
    const ctx = lookupContext(phContext);
    if (ctx === undefined || ctx.side !== side) return C.SEC_E_INVALID_HANDLE;
    return { ctx, cred: undefined };
  }
  const cred = lookupCredential(phCredential);
  if (cred === undefined || (cred.use & use) !== use) return C.SEC_E_INVALID_HANDLE;
  return { ctx: undefined, cred };
}

/** The output and input descriptors checked; on a failure the output token is emptied as Windows does. */
function checkBuffers(
  pOutput: SecBufferDesc | null,
  pInput: SecBufferDesc | null,
  allocate: boolean,
  firstClientCall = false,
): SECURITY_STATUS | { out: Exclude<ReturnType<typeof checkOutput>, SECURITY_STATUS>; inBufs: SecBuffer[] | undefined } {
  const out = checkOutput(pOutput, allocate);
  if (typeof out === 'number') {
    const t = buffersOf(pOutput);
    const tok = t !== undefined ? findBuffer(t, C.SECBUFFER_TOKEN) : undefined;
    if (tok !== undefined && out === C.SEC_E_INVALID_TOKEN) tok.cbBuffer = 0;
    return out;
  }
  const inBufs = checkInput(pInput, !firstClientCall);
  if (typeof inBufs === 'number') {
    out.token.buffer.cbBuffer = 0;
    return inBufs;
  }
  return { out, inBufs };
}

function initialize(
  phCredential: CredHandle | null,
  phContext: CtxtHandle | null,
  pszTargetName: string | null,
  req: number,
  pInput: SecBufferDesc | null,
  phNewContext: CtxtHandle | null,
  pOutput: SecBufferDesc | null,
  pfContextAttr: PULONG | null,
  ptsExpiry: TimeStamp | null,
): SECURITY_STATUS {
  const dtls = phContext !== null && phContext !== undefined ? lookupDtlsContext(phContext) : undefined;
  if (dtls !== undefined) {
    if (dtls.side !== 'client') return C.SEC_E_INVALID_HANDLE;
    return dtlsHandshakeCall({ side: 'client', cred: undefined, ctx: dtls, targetName: pszTargetName, req, pInput, phNewContext, pOutput, pfContextAttr, ptsExpiry });
  }
  const handles = resolveHandles(phContext, phCredential, 'client', C.SECPKG_CRED_OUTBOUND);
  if (typeof handles === 'number') return handles;
  const { ctx, cred } = handles;
  // A DTLS credential's contexts run the datagram engine (src/sspi/dtls.ts).
  if (ctx === undefined && cred?.datagram === true) {
    return dtlsHandshakeCall({ side: 'client', cred, ctx: undefined, targetName: pszTargetName, req, pInput, phNewContext, pOutput, pfContextAttr, ptsExpiry });
  }
  if ((req & (C.ISC_REQ_DELEGATE | C.ISC_REQ_PROMPT_FOR_CREDS | C.ISC_REQ_DATAGRAM)) !== 0) return C.SEC_E_UNSUPPORTED_FUNCTION;
  const allocate = (req & C.ISC_REQ_ALLOCATE_MEMORY) !== 0;
  const base = { side: 'client' as const, req, allocate, extendedError: (req & C.ISC_REQ_EXTENDED_ERROR) !== 0 };
  if (pfContextAttr) pfContextAttr.value = attrFlags(base, false) & ~(C.ISC_RET_STREAM | C.ISC_RET_EXTENDED_ERROR | C.ISC_RET_ALLOCATED_MEMORY | C.ISC_RET_USED_SUPPLIED_CREDS);
  const checked = checkBuffers(pOutput, pInput, allocate, ctx === undefined);
  if (typeof checked === 'number') return checked;
  const { inBufs } = checked;
  // A continuation may pass another credential (the retry after SEC_I_INCOMPLETE_CREDENTIALS, §6.4).
  const callCred = ctx !== undefined && phCredential !== null ? lookupCredential(phCredential) : undefined;
  const a = callArgs('client', req, allocate, base.extendedError, checked, pInput, callCred !== undefined && (callCred.use & C.SECPKG_CRED_OUTBOUND) !== 0 ? callCred : undefined);

  if (ctx === undefined) {
    const c = cred;
    const alpn = alpnFromInput(inBufs);
    if (alpn === 'bad') return C.SEC_E_INVALID_TOKEN;
    let engine: SspiEngine;
    const manual = (c.flags & (C.SCH_CRED_MANUAL_CRED_VALIDATION | C.SCH_CRED_DEFERRED_CRED_VALIDATION)) !== 0 || (req & C.ISC_REQ_MANUAL_CRED_VALIDATION) !== 0;
    try {
      engine = newClientEngine(clientConfigFor(c, pszTargetName, manual, alpn));
    } catch (e) {
      return statusForError(asTlsError(e), 'client');
    }
    const nc = new SchannelContext({ side: 'client', targetName: pszTargetName, manual, reconnects: true, certificateRequest: undefined, issuers: [] }, c, engine);
    let hello: Uint8Array;
    try {
      hello = engine.start();
    } catch (e) {
      return fail(nc, a, asTlsError(e));
    }
    if (!putToken(a, hello)) {
      tokenTooSmall(a);
      return C.SEC_E_INSUFFICIENT_MEMORY;
    }
    clearAlert(a);
    if (phNewContext === null || phNewContext === undefined) return C.SEC_E_INVALID_HANDLE;
    nc.id = registerHandle(phNewContext, HandleKind.Context, nc);
    nc.attrs = attrFlags(a, false);
    if (pfContextAttr) pfContextAttr.value = nc.attrs;
    if (ptsExpiry) ptsExpiry.QuadPart = 0n;
    return C.SEC_I_CONTINUE_NEEDED;
  }

  const status = continueContext(ctx, a);
  ctx.attrs = attrFlags(a, false);
  if (pfContextAttr) pfContextAttr.value = ctx.attrs;
  if (status === C.SEC_E_OK || status === C.SEC_I_CONTINUE_NEEDED || status === C.SEC_I_INCOMPLETE_CREDENTIALS) {
    if (phNewContext !== null && phNewContext !== undefined) writeHandle(phNewContext, HandleKind.Context, ctx.id);
    if (ptsExpiry) ptsExpiry.QuadPart = peerExpiry(ctx);
  }
  return status;
}

// ---- AcceptSecurityContext --------------------------------------------------------------------------------

/**
 * AcceptSecurityContext (server, §5.5). First call: `phContext` null with the ClientHello in `[TOKEN, EMPTY]`
 * (plus an optional SECBUFFER_APPLICATION_PROTOCOLS buffer); `phNewContext` receives the handle. Never throws.
 */
export function AcceptSecurityContext(
  phCredential: CredHandle | null,
  phContext: CtxtHandle | null,
  pInput: SecBufferDesc | null,
  fContextReq: number,
  TargetDataRep: number,
  phNewContext: CtxtHandle | null,
  pOutput: SecBufferDesc | null,
  pfContextAttr: PULONG | null,
  ptsTimeStamp: TimeStamp | null,
): SECURITY_STATUS {
  void TargetDataRep;
  try {
    return accept(phCredential, phContext, pInput, fContextReq >>> 0, phNewContext, pOutput, pfContextAttr, ptsTimeStamp);
  } catch {
    return C.SEC_E_INTERNAL_ERROR;
  }
}

function accept(
  phCredential: CredHandle | null,
  phContext: CtxtHandle | null,
  pInput: SecBufferDesc | null,
  req: number,
  phNewContext: CtxtHandle | null,
  pOutput: SecBufferDesc | null,
  pfContextAttr: PULONG | null,
  ptsTimeStamp: TimeStamp | null,
): SECURITY_STATUS {
  const dtls = phContext !== null && phContext !== undefined ? lookupDtlsContext(phContext) : undefined;
  if (dtls !== undefined) {
    if (dtls.side !== 'server') return C.SEC_E_INVALID_HANDLE;
    return dtlsHandshakeCall({ side: 'server', cred: undefined, ctx: dtls, targetName: null, req, pInput, phNewContext, pOutput, pfContextAttr, ptsExpiry: ptsTimeStamp });
  }
  const handles = resolveHandles(phContext, phCredential, 'server', 0);
  if (typeof handles === 'number') return handles;
  const { ctx, cred } = handles;
  if (ctx === undefined && cred?.datagram === true) {
    return dtlsHandshakeCall({ side: 'server', cred, ctx: undefined, targetName: null, req, pInput, phNewContext, pOutput, pfContextAttr, ptsExpiry: ptsTimeStamp });
  }
  if ((req & (C.ASC_REQ_DELEGATE | C.ASC_REQ_PROMPT_FOR_CREDS | C.ASC_REQ_DATAGRAM)) !== 0) return C.SEC_E_UNSUPPORTED_FUNCTION;
  const allocate = (req & C.ASC_REQ_ALLOCATE_MEMORY) !== 0;
  const checked = checkBuffers(pOutput, pInput, allocate);
  if (typeof checked === 'number') return checked;
  const { inBufs } = checked;
  const a = callArgs('server', req, allocate, (req & C.ASC_REQ_EXTENDED_ERROR) !== 0, checked, pInput, undefined);

  if (ctx === undefined) {
    const c = cred;
    if ((c.use & C.SECPKG_CRED_INBOUND) === 0 || c.certificates.length === 0) return C.SEC_E_NO_CREDENTIALS;
    const tokenIn = inBufs !== undefined ? findBuffer(inBufs, C.SECBUFFER_TOKEN) : undefined;
    if (tokenIn === undefined) return C.SEC_E_INCOMPLETE_MESSAGE;
    const data = inputBytes(tokenIn);
    if (data === undefined) return C.SEC_E_INVALID_TOKEN;
    const alpn = alpnFromInput(inBufs);
    if (alpn === 'bad') return C.SEC_E_INVALID_TOKEN;
    // The context's own settings (ALPN list, ASC_REQ_MUTUAL_AUTH) are applied where the engine's configuration is
    // chosen: at the Accepted point, once the ClientHello has been decoded (src/engine/hello-stage.ts).
    const settings = { mutual: (req & C.ASC_REQ_MUTUAL_AUTH) !== 0, alpn };
    const engine = newServerEngine(() => serverConfigFor(c, settings));
    const nc = new SchannelContext({ side: 'server', token: undefined }, c, engine);
    const status = step(nc, a, data);
    nc.attrs = attrFlags(a, status === C.SEC_E_OK && nc.token !== undefined);
    if (pfContextAttr) pfContextAttr.value = nc.attrs;
    if (status !== C.SEC_E_OK && status !== C.SEC_I_CONTINUE_NEEDED) {
      // INCOMPLETE on the first call creates no context (SSPI.md §5.5 recommendation), nor does a failure.
      return status;
    }
    if (phNewContext === null || phNewContext === undefined) return C.SEC_E_INVALID_HANDLE;
    nc.id = registerHandle(phNewContext, HandleKind.Context, nc);
    if (ptsTimeStamp) ptsTimeStamp.QuadPart = peerExpiry(nc);
    return status;
  }

  const status = continueContext(ctx, a);
  ctx.attrs = attrFlags(a, status === C.SEC_E_OK && ctx.token !== undefined && ctx.phase.kind !== 'Failed');
  if (pfContextAttr) pfContextAttr.value = ctx.attrs;
  if (status === C.SEC_E_OK || status === C.SEC_I_CONTINUE_NEEDED) {
    if (phNewContext !== null && phNewContext !== undefined) writeHandle(phNewContext, HandleKind.Context, ctx.id);
    if (ptsTimeStamp) ptsTimeStamp.QuadPart = peerExpiry(ctx);
  }
  return status;
}

// ---- the rest of the context functions ------------------------------------------------------------------

/**
 * DeleteSecurityContext (§5.11): frees the context (no close_notify is sent). A handle that was valid and is already
 * deleted gives SEC_E_OK (documented); garbage gives SEC_E_INVALID_HANDLE (§9.13 compromise).
 */
export function DeleteSecurityContext(phContext: CtxtHandle | null): SECURITY_STATUS {
  try {
    const dtls = lookupDtlsContext(phContext);
    if (dtls !== undefined) return deleteDtlsContext(dtls);
    const ctx = lookupContext(phContext);
    if (ctx === undefined || phContext === null) return wasIssued(phContext, HandleKind.Context) ? C.SEC_E_OK : C.SEC_E_INVALID_HANDLE;
    releaseHandle(phContext.dwLower);
    toFailed(ctx);
    return C.SEC_E_OK;
  } catch {
    return C.SEC_E_INTERNAL_ERROR;
  }
}

/**
 * ApplyControlToken (§5.10): `[TOKEN]` holding a DWORD SCHANNEL_SHUTDOWN, or a 12-byte SCHANNEL_ALERT_TOKEN
 * `{ SCHANNEL_ALERT, level, description }`. The next ISC/ASC emits the alert record. Never throws.
 */
export function ApplyControlToken(phContext: CtxtHandle | null, pInput: SecBufferDesc | null): SECURITY_STATUS {
  try {
    const ctx = lookupContext(phContext);
    if (ctx === undefined) return C.SEC_E_INVALID_HANDLE;
    if (pInput === null || pInput === undefined) return C.SEC_E_INTERNAL_ERROR;
    const bufs = buffersOf(pInput);
    if (bufs === undefined || bufs.length !== 1) return C.SEC_E_INVALID_TOKEN;
    const b = bufs[0] as SecBuffer;
    if (baseType(b) !== C.SECBUFFER_TOKEN) return C.SEC_E_INVALID_TOKEN;
    const bytes = inputBytes(b);
    if (bytes === undefined) return C.SEC_E_INVALID_TOKEN;
    if (bytes.length < 4) return C.SEC_E_UNSUPPORTED_FUNCTION;
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const type = dv.getUint32(0, true);
    switch (type) {
      case C.SCHANNEL_SHUTDOWN:
        ctx.control = { level: C.TLS1_ALERT_WARNING, description: C.TLS1_ALERT_CLOSE_NOTIFY };
        return C.SEC_E_OK;
      case C.SCHANNEL_ALERT: {
        if (bytes.length < 12) return C.SEC_E_INVALID_TOKEN;
        const level = dv.getUint32(4, true);
        const description = dv.getUint32(8, true);
        if ((level !== C.TLS1_ALERT_WARNING && level !== C.TLS1_ALERT_FATAL) || !Object.values(AlertDescription).includes(description as never)) {
          return C.SEC_E_INVALID_TOKEN;
        }
        ctx.control = { level, description };
        return C.SEC_E_OK;
      }
      case C.SCHANNEL_SESSION: {
        // SCHANNEL_SESSION_TOKEN { dwTokenType, dwFlags } (.NET SslStreamPal: AllowTlsResume = false).
        if (bytes.length < 8) return C.SEC_E_INVALID_TOKEN;
        const flags = dv.getUint32(4, true);
        if (flags !== C.SSL_SESSION_ENABLE_RECONNECTS && flags !== C.SSL_SESSION_DISABLE_RECONNECTS) return C.SEC_E_INVALID_TOKEN;
        // Server contexts: the engine's ticket and session-ID policy is fixed when the context starts; use
        // SCH_CRED_DISABLE_RECONNECTS on the credential (decisions: "Resumption switched off").
        const role = ctx.role;
        if (role.side === 'server') return C.SEC_E_UNSUPPORTED_FUNCTION;
        role.reconnects = flags === C.SSL_SESSION_ENABLE_RECONNECTS;
        if (!role.reconnects) forgetSessions(ctx.cred, role.targetName);
        return C.SEC_E_OK;
      }
      case C.SCHANNEL_RENEGOTIATE:
      default:
        return C.SEC_E_UNSUPPORTED_FUNCTION;
    }
  } catch {
    return C.SEC_E_INTERNAL_ERROR;
  }
}

/**
 * CompleteAuthToken: Schannel never asks for it (it never returns SEC_I_COMPLETE_NEEDED or
 * SEC_I_COMPLETE_AND_CONTINUE), but ported code that calls it anyway gets SEC_E_OK for a live context.
 */
export function CompleteAuthToken(phContext: CtxtHandle | null, pToken: SecBufferDesc | null): SECURITY_STATUS {
  void pToken;
  return lookupContext(phContext) === undefined ? C.SEC_E_INVALID_HANDLE : C.SEC_E_OK;
}

/**
 * FreeContextBuffer (§5.12): releases a package allocation; null is harmless. Always SEC_E_OK: allocations are garbage
 * collected once the caller drops them, so there is nothing to release here.
 */
export function FreeContextBuffer(pvContextBuffer: object | null): SECURITY_STATUS {
  void pvContextBuffer;
  return C.SEC_E_OK;
}
