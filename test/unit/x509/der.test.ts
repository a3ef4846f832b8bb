import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rootCertificates } from 'node:tls';
import { fromHex } from '../../../src/codec/bytes.js';
import { DerReader, Tag, boolean, decodeOne, integer, oid, time } from '../../../src/x509/der.js';
import { derToPem, parseCertificate, pemToDer } from '../../../src/x509/index.js';

function badEncoding(fn: () => unknown): void {
  assert.throws(fn, { kind: 'BadCertificate', reason: 'BadCertificate.BadEncoding' });
}

describe('DER reader', () => {
  test('reads short and long lengths', () => {
    const long = new Uint8Array([0x04, 0x81, 0x80, ...new Uint8Array(0x80)]);
    assert.equal(decodeOne(long, Tag.OctetString, 't').value.length, 0x80);
    assert.deepEqual(decodeOne(fromHex('0403010203'), Tag.OctetString, 't').value, fromHex('010203'));
  });

  test('rejects non-minimal lengths, indefinite length, high tags, truncation and trailing bytes → BadEncoding', () => {
    badEncoding(() => decodeOne(fromHex('04810100'), Tag.OctetString, 't')); // long form for 1
    badEncoding(() => decodeOne(new Uint8Array([0x04, 0x82, 0x00, 0x80, ...new Uint8Array(0x80)]), Tag.OctetString, 't'));
    badEncoding(() => decodeOne(fromHex('30800000'), Tag.Sequence, 't'));
    badEncoding(() => decodeOne(fromHex('1f2100'), 0x1f, 't'));
    badEncoding(() => decodeOne(fromHex('040301'), Tag.OctetString, 't'));
    badEncoding(() => decodeOne(fromHex('040100ff'), Tag.OctetString, 't'));
    badEncoding(() => decodeOne(fromHex('0500'), Tag.OctetString, 't'));
  });

  test('bounds nesting depth and input size', () => {
    let nested = new Uint8Array(0);
    for (let i = 0; i < 40; i++) nested = new Uint8Array([0x30, nested.length, ...nested]);
    badEncoding(() => {
      const walk = (r: DerReader): void => {
        while (!r.done) walk(r.sequence('s'));
      };
      walk(new DerReader(nested, 't'));
    });
    badEncoding(() => new DerReader(new Uint8Array(300 * 1024), 't'));
  });

  test('INTEGER, BOOLEAN, OID and time decoding are strict', () => {
    assert.equal(integer(decodeOne(fromHex('020100'), Tag.Integer, 't')), 0n);
    assert.equal(integer(decodeOne(fromHex('020200ff'), Tag.Integer, 't')), 255n);
    assert.equal(integer(decodeOne(fromHex('0201ff'), Tag.Integer, 't')), -1n);
    badEncoding(() => integer(decodeOne(fromHex('0202007f'), Tag.Integer, 't')));
    badEncoding(() => integer(decodeOne(fromHex('0200'), Tag.Integer, 't')));
    assert.equal(boolean(decodeOne(fromHex('0101ff'), Tag.Boolean, 't')), true);
    badEncoding(() => boolean(decodeOne(fromHex('010101'), Tag.Boolean, 't')));
    assert.equal(oid(decodeOne(fromHex('06092a864886f70d01010b'), Tag.Oid, 't')), '1.2.840.113549.1.1.11');
    badEncoding(() => oid(decodeOne(fromHex('0603808001'), Tag.Oid, 't')));
    badEncoding(() => oid(decodeOne(fromHex('06022a86'), Tag.Oid, 't')));
    const utc = (s: string): Uint8Array => new Uint8Array([0x17, s.length, ...new TextEncoder().encode(s)]);
    assert.equal(time(decodeOne(utc('491231235959Z'), Tag.UtcTime, 't')), Date.UTC(2049, 11, 31, 23, 59, 59));
    assert.equal(time(decodeOne(utc('500101000000Z'), Tag.UtcTime, 't')), Date.UTC(1950, 0, 1));
    badEncoding(() => time(decodeOne(utc('500101000000+0100'), Tag.UtcTime, 't')));
    badEncoding(() => time(decodeOne(utc('500231000000Z'), Tag.UtcTime, 't')));
  });
});

describe('parseCertificate', () => {
  test('parses every certificate of tls.rootCertificates without throwing', () => {
    let n = 0;
    for (const pem of rootCertificates) {
      const [der] = pemToDer(pem);
      assert.ok(der !== undefined);
      const c = parseCertificate(der);
      assert.ok(c.subject.text.length > 0);
      assert.ok(c.notAfter > c.notBefore);
      assert.notEqual(c.publicKeyAlgorithm, 'unknown', c.subject.text);
      n++;
    }
    assert.ok(n > 100);
  });

  test('mutated certificates only ever throw TlsError BadEncoding (or parse)', () => {
    const ders = rootCertificates.slice(0, 20).map((p) => pemToDer(p)[0] as Uint8Array);
    let seed = 12345;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let i = 0; i < 3000; i++) {
      const d = (ders[rnd(ders.length)] as Uint8Array).slice();
      for (let k = 0; k <= rnd(3); k++) d[rnd(d.length)] = rnd(256);
      const cut = rnd(10) === 0 ? d.subarray(0, rnd(d.length)) : d;
      try {
        parseCertificate(cut);
      } catch (e) {
        assert.equal((e as { reason?: string }).reason, 'BadCertificate.BadEncoding', String(e));
      }
    }
  });

  test('rejects a truncated or extended certificate → BadEncoding', () => {
    const [der] = pemToDer(rootCertificates[0] as string);
    assert.ok(der !== undefined);
    badEncoding(() => parseCertificate(der.subarray(0, der.length - 1)));
    badEncoding(() => parseCertificate(new Uint8Array([...der, 0])));
    badEncoding(() => parseCertificate(new Uint8Array(0)));
  });
});

describe('pemToDer', () => {
  test('round-trips through derToPem and skips surrounding text', () => {
    const der = fromHex('3003020101');
    const pem = `junk\n${derToPem(der)}more junk\n${derToPem(fromHex('05'))}`;
    assert.deepEqual(pemToDer(pem), [der, fromHex('05')]);
    assert.deepEqual(pemToDer(pem, 'PRIVATE KEY'), []);
  });

  test('rejects an unterminated block or bad base64 → InvalidConfig', () => {
    assert.throws(() => pemToDer('-----BEGIN CERTIFICATE-----\nAAAA\n'), { kind: 'InvalidConfig' });
    assert.throws(() => pemToDer('-----BEGIN CERTIFICATE-----\nA*AA\n-----END CERTIFICATE-----'), { kind: 'InvalidConfig' });
  });
});
