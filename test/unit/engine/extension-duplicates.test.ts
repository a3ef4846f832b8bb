/**
 * readExtensions' duplicate check (RFC 8446 §4.2: illegal_parameter), on both of its paths: the first few
 * extensions are checked against the list read so far, later ones against a set of every type seen, including
 * the surplus unknown ones a ClientHello's list skips.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Reader } from '../../../src/codec/reader.js';
import { Writer } from '../../../src/codec/writer.js';
import { TlsError } from '../../../src/errors.js';
import { readExtensions } from '../../../src/wire/extensions.js';

/** An extensions vector of these types, each with a one-byte body. */
function vector(types: readonly number[]): Reader {
  const w = new Writer();
  w.vec16((w) => {
    for (const t of types) w.u16(t).vec16Bytes(Uint8Array.of(t & 0xff));
  });
  return new Reader(w.finish(), 'test');
}

/** Unknown (not registered) extension types: 0x7a00, 0x7a01, ... */
function unknown(n: number): number[] {
  return Array.from({ length: n }, (_, i) => 0x7a00 + i);
}

function assertDuplicate(types: readonly number[], skipSurplusUnknown = false): void {
  assert.throws(
    () => readExtensions(vector(types), skipSurplusUnknown),
    (e: unknown) => e instanceof TlsError && e.alertCode === 47 && /DuplicateExtension/.test(`${e.kind}.${e.reason}`),
  );
}

describe('readExtensions: duplicates refused wherever they are', () => {
  test('distinct types are all kept, in order (few and many)', () => {
    for (const n of [0, 1, 5, 15, 16, 17, 40]) {
      const types = unknown(n);
      assert.deepEqual(readExtensions(vector(types)).map((e) => e.type), types);
    }
  });

  test('a duplicate among the first few', () => {
    assertDuplicate([0x7a00, 0x7a01, 0x7a00]);
    assertDuplicate([...unknown(14), 0x7a03]);
  });

  test('a duplicate at and after the switch to the set', () => {
    assertDuplicate([...unknown(15), 0x7a00]); // the 16th repeats the first
    assertDuplicate([...unknown(16), 0x7a0f]); // the 17th repeats the 16th
    assertDuplicate([...unknown(30), 0x7a02]);
  });

  test('a ClientHello list: a duplicate of a skipped surplus unknown extension', () => {
    const many = unknown(80); // more than MAX_EXTENSIONS unknown ones: the surplus is skipped, not stored
    assert.equal(readExtensions(vector(many), true).length, 65);
    assertDuplicate([...many, 0x7a46], true);
  });
});
