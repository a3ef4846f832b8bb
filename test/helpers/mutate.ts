/**
 * Byte-level mutations for the engine's fast-check properties (TLS 1.3 and 1.2): flip, set, truncate, insert, delete,
 * bounded so a mutated input is never much larger than the original.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { TlsEngine } from '../../src/engine/connection.js';
import { TlsError } from '../../src/errors.js';

export const RUNS = Number(process.env['FUZZ_RUNS'] ?? 10_000);
/** A single process() of a few kilobytes takes well under a millisecond; anything near this is a hang. */
export const PROMPT_MS = 1_000;

export type Mutation =
  | { readonly kind: 'flip'; readonly at: number; readonly bit: number }
  | { readonly kind: 'set'; readonly at: number; readonly value: number }
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'insert'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly kind: 'delete'; readonly at: number; readonly len: number };

const interesting = fc.constantFrom(0, 1, 0x7f, 0x80, 0xfe, 0xff);
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.oneof(interesting, fc.integer({ min: 0, max: 255 })) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 16 }) }) },
);
export const mutationsArb = fc.array(mutationArb, { minLength: 1, maxLength: 4 });

export function mutate(input: Uint8Array, ms: readonly Mutation[]): Uint8Array {
  let b = input.slice();
  for (const m of ms) {
    if (b.length === 0) break;
    const at = m.at % b.length;
    switch (m.kind) {
      case 'flip':
        b[at] = (b[at] as number) ^ (1 << m.bit);
        break;
      case 'set':
        b[at] = m.value;
        break;
      case 'truncate':
        b = b.slice(0, at);
        break;
      case 'insert': {
        const n = new Uint8Array(b.length + m.bytes.length);
        n.set(b.subarray(0, at), 0);
        n.set(m.bytes, at);
        n.set(b.subarray(at), at + m.bytes.length);
        b = n;
        break;
      }
      case 'delete': {
        const end = Math.min(b.length, at + m.len);
        const n = new Uint8Array(b.length - (end - at));
        n.set(b.subarray(0, at), 0);
        n.set(b.subarray(end), at);
        b = n;
        break;
      }
    }
  }
  return b;
}


/**
 * Feed `input` to `engine` as a peer would (process until all of it is used or a record is incomplete) and check the
 * contract every mutation must keep: the call returns promptly, only a TlsError of the peer's making escapes, and a
 * failure latches (the state is 'Failed' and later calls rethrow the same error). Returns the error, if any.
 */
export function feedChecked(engine: TlsEngine, input: Uint8Array): TlsError | undefined {
  const t0 = performance.now();
  let err: unknown;
  try {
    let off = 0;
    for (let i = 0; i < 64 && off < input.length; i++) {
      const r = engine.process(input.subarray(off));
      off += r.consumed;
      if (r.missing !== undefined || r.consumed === 0) break;
    }
  } catch (e) {
    err = e;
  }
  const ms = performance.now() - t0;
  assert.ok(ms < PROMPT_MS, `process() took ${ms.toFixed(0)} ms`);
  if (err === undefined) return undefined;
  assert.ok(err instanceof TlsError, `threw a non-TlsError: ${String(err)}`);
  assert.ok(err.kind !== 'Internal' && err.kind !== 'InvalidConfig', `our own bug surfaced: ${err.reason}: ${err.message}\n${String((err.cause as Error | undefined)?.stack ?? '')}`);
  assert.equal(engine.stateName, 'Failed');
  assert.throws(() => engine.process(new Uint8Array([22, 3, 3, 0, 0])), (e) => e === err);
  return err;
}
