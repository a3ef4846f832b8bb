/** Reader.u16List: the same items as `list((e) => e.u16(field))`, and the same decode error for an odd byte. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Reader } from '../../../src/codec/reader.js';
import { TlsError } from '../../../src/errors.js';

describe('Reader.u16List', () => {
  test('items in order, from the reader position to its end', () => {
    const b = Uint8Array.of(9, 0x13, 0x01, 0x13, 0x02, 0xff, 0xff, 0x00, 0x00, 7);
    const r = new Reader(b, 't', 1, 9);
    assert.deepEqual(r.u16List('x'), [0x1301, 0x1302, 0xffff, 0]);
    assert.equal(r.remaining, 0);
    assert.deepEqual(new Reader(b, 't', 3, 3).u16List('x'), []);
    assert.deepEqual(new Reader(b, 't', 1, 9).u16List('x'), new Reader(b, 't', 1, 9).list((e) => e.u16('x')));
  });

  test('an odd byte left: decode_error naming the field, as list() gives', () => {
    const b = Uint8Array.of(0x13, 0x01, 0x13);
    const err = (f: () => unknown): TlsError => {
      try {
        f();
      } catch (e) {
        assert.ok(e instanceof TlsError);
        return e;
      }
      assert.fail('no error');
    };
    const a = err(() => new Reader(b, 't').u16List('cipher_suite'));
    const l = err(() => new Reader(b, 't').list((e) => e.u16('cipher_suite')));
    assert.equal(a.alertCode, 50);
    assert.equal(a.message, l.message);
  });
});
