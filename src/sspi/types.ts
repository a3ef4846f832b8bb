/**
 * SSPI core types (shared/spec/SSPI.md §1, DESIGN.md Part 1): handles, TimeStamp, SecBuffer, SecBufferDesc and the
 * out-parameter objects. Field names are the Windows ones so ported code reads the same: where C passes `&x`, the
 * TypeScript caller passes an object the function fills.
 */
import { SECBUFFER_EMPTY, SECBUFFER_VERSION } from './constants.js';

/** The invalid half value (`(ULONG_PTR)-1`). */
const INVALID = -1;

/**
 * `SecHandle { dwLower, dwUpper }`. The values are opaque: this package puts a table id in `dwLower` and the handle
 * kind in `dwUpper`. Two handles are the same handle when both halves are equal.
 */
export class SecHandle {
  /** Table id (opaque). */
  dwLower: number = INVALID;
  /** Handle kind (opaque). */
  dwUpper: number = INVALID;
}

/** A credential handle (from AcquireCredentialsHandle). */
export class CredHandle extends SecHandle {}

/** A security-context handle (from InitializeSecurityContext / AcceptSecurityContext). */
export class CtxtHandle extends SecHandle {}

/** Sets both halves of `h` to -1 (the SecInvalidateHandle macro). */
export function SecInvalidateHandle(h: SecHandle): void {
  h.dwLower = INVALID;
  h.dwUpper = INVALID;
}

/** True when neither half of `h` is -1 (the SecIsValidHandle macro). */
export function SecIsValidHandle(h: SecHandle | null | undefined): boolean {
  return h != null && h.dwLower !== INVALID && h.dwUpper !== INVALID;
}

/** FILETIME value meaning "never expires" (`0x7FFFFFFFFFFFFFFF`). */
export const TIMESTAMP_MAX = 0x7fffffffffffffffn;

/** Milliseconds between 1601-01-01 and 1970-01-01. */
const EPOCH_DIFF_MS = 11644473600000n;

/**
 * `TimeStamp` (a LARGE_INTEGER in FILETIME units: 100 ns since 1601-01-01 UTC). `QuadPart` holds the value;
 * `LowPart`/`HighPart` read its halves.
 */
export class TimeStamp {
  /** The 64-bit value. */
  QuadPart = 0n;
  /** Low 32 bits (unsigned). */
  get LowPart(): number {
    return Number(this.QuadPart & 0xffffffffn);
  }
  /** High 32 bits (signed). */
  get HighPart(): number {
    return Number(BigInt.asIntN(32, this.QuadPart >> 32n));
  }
  /** The value as a JS Date (undefined for the maximum value). */
  toDate(): Date | undefined {
    if (this.QuadPart === TIMESTAMP_MAX) return undefined;
    return new Date(Number(this.QuadPart / 10000n - EPOCH_DIFF_MS));
  }
}

/** FILETIME for a JS time (ms since the Unix epoch). */
export function fileTimeFromMs(ms: number): bigint {
  return (BigInt(Math.floor(ms)) + EPOCH_DIFF_MS) * 10000n;
}

/** An `unsigned long *` out parameter (e.g. pfContextAttr): the function writes `value`. */
export interface PULONG {
  value: number;
}

/** A ready-made `unsigned long` out parameter. */
export class ULONG implements PULONG {
  /** The value written by the callee. */
  value = 0;
}

/**
 * `SecBuffer { cbBuffer, BufferType, pvBuffer }`. `pvBuffer` is a view over the caller's memory: input data is
 * `pvBuffer[0 .. cbBuffer)`. Functions rewrite `cbBuffer`/`BufferType` (and, for package allocations, `pvBuffer`)
 * on every call, so callers re-initialise output buffers before each call.
 */
export class SecBuffer {
  /** Size in bytes of the data in pvBuffer. */
  cbBuffer: number;
  /** SECBUFFER_* type, optionally OR-ed with SECBUFFER_READONLY etc. */
  BufferType: number;
  /** The bytes (a view into caller memory, or a package allocation), or null. */
  pvBuffer: Uint8Array | null;

  /** Arguments in C field order: `{ cbBuffer, BufferType, pvBuffer }`. */
  constructor(cbBuffer = 0, BufferType: number = SECBUFFER_EMPTY, pvBuffer: Uint8Array | null = null) {
    this.cbBuffer = cbBuffer;
    this.BufferType = BufferType;
    this.pvBuffer = pvBuffer;
  }
}

/** `SecBufferDesc { ulVersion, cBuffers, pBuffers }`; keep `cBuffers` equal to `pBuffers.length`. */
export class SecBufferDesc {
  /** SECBUFFER_VERSION (0). */
  ulVersion: number = SECBUFFER_VERSION;
  /** Number of buffers in pBuffers that the package looks at. */
  cBuffers: number;
  /** The buffers. */
  pBuffers: SecBuffer[];

  /** Makes a descriptor over `pBuffers` with `cBuffers = pBuffers.length`. */
  constructor(pBuffers: SecBuffer[] = []) {
    this.pBuffers = pBuffers;
    this.cBuffers = pBuffers.length;
  }
}

/** A pointer out parameter (`T *`), e.g. for `PCCERT_CONTEXT` attributes: the function writes `value`. */
export class Ref<T> {
  /** The value written by the callee. */
  value: T;
  /** Starts with `initial`. */
  constructor(initial: T) {
    this.value = initial;
  }
}
