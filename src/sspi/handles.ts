/**
 * The handle table: credential and context objects live here, keyed by the id in `dwLower`; `dwUpper` holds the
 * kind, so a credential handle passed as a context (or the reverse) is SEC_E_INVALID_HANDLE (SSPI.md §1.1).
 */
import type { SecHandle } from './types.js';

/** Handle kinds, stored in dwUpper. */
export const HandleKind = { Credential: 0x43524544, Context: 0x43545854 } as const;

let nextId = 1;
const table = new Map<number, { kind: number; obj: object }>();

/** Register `obj` and write its handle into `h`. */
export function registerHandle(h: SecHandle, kind: number, obj: object): number {
  const id = nextId++;
  table.set(id, { kind, obj });
  h.dwLower = id;
  h.dwUpper = kind;
  return id;
}

/** Write an existing id into `h`. */
export function writeHandle(h: SecHandle, kind: number, id: number): void {
  h.dwLower = id;
  h.dwUpper = kind;
}

/** The live object named by `h` if it is of `kind`; undefined for null, invalid, freed or wrong-kind handles. */
export function lookupHandle(h: SecHandle | null | undefined, kind: number): object | undefined {
  if (h === null || h === undefined || typeof h !== 'object') return undefined;
  if (h.dwUpper !== kind) return undefined;
  const e = table.get(h.dwLower);
  return e !== undefined && e.kind === kind ? e.obj : undefined;
}

/** Remove an id; returns whether it was live. */
export function releaseHandle(id: number): boolean {
  return table.delete(id);
}

/** Whether `id` was ever issued (for "already deleted" vs garbage). */
export function wasIssued(h: SecHandle | null | undefined, kind: number): boolean {
  return h != null && h.dwUpper === kind && Number.isInteger(h.dwLower) && h.dwLower > 0 && h.dwLower < nextId;
}
