/**
 * Byte-level mutations for the engine's fast-check properties (TLS 1.3 and 1.2): flip, set, truncate, insert, delete,
 * bounded so a mutated input is never much larger than the original.
 */
import fc from 'fast-check';

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

