/**
 * readExtensions' duplicate check (RFC 8446 §4.2: illegal_parameter), on both of its paths: the first few
 * extensions are checked against the list read so far, later ones against a set of every type seen, including
 * the surplus unknown ones a ClientHello's list skips. The same for a ClientHello's key shares (RFC 8446 §4.2.8:
 * one per group, each for a group of supported_groups), short lists scanned and long ones in sets.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Reader } from '../../../src/codec/reader.js';
import { Writer } from '../../../src/codec/writer.js';
import { TlsError } from '../../../src/errors.js';
import { decodeClientKeyShares, readExtensions } from '../../../src/wire/extensions.js';

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

/** A client key_share body: one 1-byte share per group. */
function shares(groups: readonly number[]): Uint8Array {
  const w = new Writer();
  w.vec16((w) => {
    for (const g of groups) w.u16(g).vec16Bytes(Uint8Array.of(1));
  });
  return w.finish();
}

function assertShareError(groups: readonly number[], supported: readonly number[], reason: string): void {
  assert.throws(
    () => decodeClientKeyShares(shares(groups), supported),
    (e: unknown) => e instanceof TlsError && e.alertCode === 47 && new RegExp(reason).test(`${e.kind}.${e.reason}`),
  );
}

describe('decodeClientKeyShares: one share per group, each in supported_groups', () => {
  const few = [0x001d, 0x0017, 0x0018];
  const many = [...few, ...Array.from({ length: 40 }, (_, i) => 0x7a00 + i)];

  test('known groups kept, unknown ones skipped (few and many)', () => {
    assert.deepEqual(decodeClientKeyShares(shares(few), few).map((s) => s.group), few);
    assert.deepEqual(decodeClientKeyShares(shares(many), many).map((s) => s.group), few);
  });

  test('a duplicate group, among few shares and after many', () => {
    assertShareError([0x001d, 0x0017, 0x001d], few, 'DuplicateKeyShare');
    assertShareError([...many, 0x7a05], many, 'DuplicateKeyShare');
    assertShareError([...many.slice(0, 16), 0x7a0c], many, 'DuplicateKeyShare');
  });

  test('a share for a group not in supported_groups, short and long lists', () => {
    assertShareError([0x001d, 0x0018], [0x001d, 0x0017], 'KeyShareNotInSupportedGroups');
    assertShareError([...many.slice(0, 20), 0x7b00], many, 'KeyShareNotInSupportedGroups');
  });
});
