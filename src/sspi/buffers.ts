/**
 * SecBuffer helpers shared by the SSPI functions: type lookup that ignores attribute bits (SSPI.md §1.3), input
 * views, and output writing under the ALLOCATE_MEMORY rule (§6.8). Output buffers are rewritten on every call.
 */
import { SEC_E_INSUFFICIENT_MEMORY, SEC_E_INVALID_TOKEN, SECBUFFER_ALERT, SECBUFFER_ATTRMASK, SECBUFFER_EMPTY, SECBUFFER_TOKEN, type SECURITY_STATUS } from './constants.js';
import { SecBuffer, SecBufferDesc } from './types.js';

/** BufferType without the attribute bits. */
export function baseType(b: SecBuffer): number {
  return (b.BufferType & ~SECBUFFER_ATTRMASK) >>> 0;
}

/** The descriptor's buffers (the first cBuffers), or undefined when the descriptor is malformed. */
export function buffersOf(desc: SecBufferDesc | null | undefined): SecBuffer[] | undefined {
  if (desc === null || desc === undefined || !(desc instanceof SecBufferDesc) || !Array.isArray(desc.pBuffers)) return undefined;
  const n = desc.cBuffers >>> 0;
  if (n > desc.pBuffers.length) return undefined;
  const out = desc.pBuffers.slice(0, n);
  for (const b of out) if (!(b instanceof SecBuffer)) return undefined;
  return out;
}

/** The first buffer of a base type. */
export function findBuffer(bufs: readonly SecBuffer[], type: number): SecBuffer | undefined {
  return bufs.find((b) => baseType(b) === type);
}

/** The bytes of an input buffer (`pvBuffer[0..cbBuffer)`), or undefined when cbBuffer overruns pvBuffer. */
export function inputBytes(b: SecBuffer): Uint8Array | undefined {
  const n = b.cbBuffer >>> 0;
  if (n === 0) return new Uint8Array(0);
  if (b.pvBuffer === null || !(b.pvBuffer instanceof Uint8Array) || b.pvBuffer.length < n) return undefined;
  return b.pvBuffer.subarray(0, n);
}

/**
 * An output buffer as Windows fills it (docs/design/sspi-decisions.md, "Output buffers"): the buffer, whether the
 * package allocates its memory (ALLOCATE_MEMORY, or a buffer that has no memory behind it), and whether it is an
 * EMPTY buffer that becomes SECBUFFER_TOKEN when written (curl's single-EMPTY output descriptor).
 */
export interface OutputSlot {
  readonly buffer: SecBuffer;
  readonly allocate: boolean;
  readonly retype: number | undefined;
}

/** The slot for `b`: package memory when the caller asked for it or gave none (`pvBuffer == null`). */
export function outputSlot(b: SecBuffer, allocate: boolean, retype?: number): OutputSlot {
  return { buffer: b, allocate: allocate || !(b.pvBuffer instanceof Uint8Array), retype };
}

/**
 * Write `bytes` into a slot (retyping an EMPTY buffer); false (buffer untouched) when the caller's memory is too small.
 * `owned`: `bytes` were made for this call and nothing else refers to them (an engine's output: TlsConnection.takeOutput
 * hands the same arrays to its callers uncopied), so a package allocation can be `bytes` itself rather than a copy.
 */
export function putOutput(slot: OutputSlot, bytes: Uint8Array, owned = false): boolean {
  if (!writeOutput(slot.buffer, bytes, slot.allocate, owned)) return false;
  if (slot.retype !== undefined) slot.buffer.BufferType = slot.retype;
  return true;
}

/** Empty a slot: size 0, and no pointer left behind in a package-allocated buffer. */
export function clearOutput(slot: OutputSlot): void {
  slot.buffer.cbBuffer = 0;
  if (slot.allocate) slot.buffer.pvBuffer = null;
}

/** Bytes a caller-owned output buffer can take. */
export function capacity(b: SecBuffer): number {
  return b.pvBuffer instanceof Uint8Array ? Math.min(b.cbBuffer >>> 0, b.pvBuffer.length) : 0;
}

/**
 * Put `bytes` into an output buffer: a package allocation with ALLOCATE_MEMORY (`bytes` themselves when `owned`, else a
 * copy), else a copy into the caller's memory. Returns false (buffer untouched) when the caller's buffer is too small.
 */
export function writeOutput(b: SecBuffer, bytes: Uint8Array, allocate: boolean, owned = false): boolean {
  if (allocate) {
    b.pvBuffer = bytes.length === 0 ? null : owned ? bytes : bytes.slice();
    b.cbBuffer = bytes.length;
    return true;
  }
  if (bytes.length > capacity(b)) return false;
  if (bytes.length > 0 && b.pvBuffer !== null) b.pvBuffer.set(bytes, 0);
  b.cbBuffer = bytes.length;
  return true;
}

/**
 * Package allocations handed to callers (ALLOCATE_MEMORY outputs, attribute members). They are ordinary garbage-collected
 * objects: FreeContextBuffer has nothing to release and accepts any pointer (SEC_E_OK, as Windows returns for the
 * pointers it handed out), so no registry of them is kept. `mark` names the places that hand one out.
 */
export const allocations = {
  /** `x`, handed to the caller as a package allocation. */
  mark<T extends object>(x: T): T {
    return x;
  },
};

/** An EMPTY buffer (helper for building descriptors). */
export function emptyBuffer(): SecBuffer {
  return new SecBuffer(0, SECBUFFER_EMPTY, null);
}

/** The output descriptor of an ISC/ASC call: its buffers, the TOKEN (else first EMPTY) slot and the ALERT slot. */
export interface CheckedOutput {
  readonly outBufs: SecBuffer[];
  readonly token: OutputSlot;
  readonly alert: OutputSlot | undefined;
}

/**
 * Validate the output descriptor (§5.4 "Output buffers"; rules and evidence in sspi-decisions.md "Output buffers"):
 * the status to fail with, or the TOKEN (else first EMPTY) and ALERT slots.
 */
export function checkOutput(pOutput: SecBufferDesc | null, allocate: boolean): SECURITY_STATUS | CheckedOutput {
  const outBufs = buffersOf(pOutput);
  if (outBufs === undefined || outBufs.length === 0) return SEC_E_INVALID_TOKEN;
  if (!allocate) {
    // Wine test_context_output_buffer_size: a zero-size TOKEN or ALERT without ALLOCATE_MEMORY.
    for (const b of outBufs) {
      const t = baseType(b);
      if ((t === SECBUFFER_TOKEN || t === SECBUFFER_ALERT) && (b.cbBuffer >>> 0) === 0) return SEC_E_INSUFFICIENT_MEMORY;
    }
  }
  const tokenBuf = findBuffer(outBufs, SECBUFFER_TOKEN);
  let token: OutputSlot;
  if (tokenBuf !== undefined) token = outputSlot(tokenBuf, allocate);
  else {
    const empty = findBuffer(outBufs, SECBUFFER_EMPTY);
    if (empty === undefined) return SEC_E_INVALID_TOKEN;
    token = outputSlot(empty, allocate, SECBUFFER_TOKEN);
  }
  const alertBuf = findBuffer(outBufs, SECBUFFER_ALERT);
  return { outBufs, token, alert: alertBuf !== undefined ? outputSlot(alertBuf, allocate) : undefined };
}
