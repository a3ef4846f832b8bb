import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex } from '../../../src/codec/bytes.js';
import { dnsNameMatches, isValidDnsName, isValidPresentedDnsName, parseIpAddress } from '../../../src/x509/hostname.js';
import { dnsWithin, emailWithin, ipWithin, isValidDnsBase, isValidEmailBase, isValidMailbox } from '../../../src/x509/name-constraints.js';

describe('dnsNameMatches (RFC 6125 / 9525)', () => {
  const cases: [string, string, boolean][] = [
    ['example.com', 'example.com', true],
    ['EXAMPLE.com', 'example.COM', true],
    ['example.com.', 'example.com', true],
    ['example.com', 'example.com.', true],
    ['*.example.com', 'www.example.com', true],
    ['*.example.com', 'a.b.example.com', false],
    ['*.example.com', 'example.com', false],
    ['*.example.com', '.example.com', false],
    ['*.com', 'example.com', false],
    ['*', 'localhost', false],
    ['w*.example.com', 'www.example.com', false],
    ['*w.example.com', 'www.example.com', false],
    ['www.*.com', 'www.example.com', false],
    ['*.*.example.com', 'a.b.example.com', false],
    ['example.com', 'www.example.com', false],
  ];
  for (const [pattern, ref, want] of cases) {
    test(`${pattern} vs ${ref} → ${want}`, () => assert.equal(dnsNameMatches(pattern, ref), want));
  }
  test('reference names must be valid', () => {
    assert.equal(isValidDnsName('www.example.com.'), true);
    assert.equal(isValidDnsName('bad..example.com'), false);
    assert.equal(isValidDnsName('-bad.example.com'), false);
    assert.equal(isValidDnsName('ünicode.example'), false);
    assert.equal(isValidDnsName('foo_bar.example.com'), false); // RFC 1034/1123 preferred name syntax: no underscore
    assert.equal(isValidPresentedDnsName('*.example.com'), true);
    assert.equal(isValidPresentedDnsName('.example.com'), false);
    assert.equal(isValidPresentedDnsName('a.*.example.com'), false);
    assert.equal(isValidPresentedDnsName('_srv.example.com'), false);
  });
});

describe('parseIpAddress', () => {
  test('parses IPv4 and IPv6 forms', () => {
    assert.deepEqual(parseIpAddress('192.0.2.1'), fromHex('c0000201'));
    assert.deepEqual(parseIpAddress('::1'), fromHex('00000000000000000000000000000001'));
    assert.deepEqual(parseIpAddress('2001:db8::8:800:200c:417a'), fromHex('20010db8000000000008080020 0c417a'));
    assert.deepEqual(parseIpAddress('::ffff:192.0.2.1'), fromHex('00000000000000000000ffffc0000201'));
    assert.deepEqual(parseIpAddress('[::]'), new Uint8Array(16));
  });
  test('rejects malformed addresses', () => {
    for (const s of ['1.2.3', '1.2.3.256', '01.2.3.4', '1::2::3', '1:2:3:4:5:6:7:8:9', 'example.com', '12345::', '']) {
      assert.equal(parseIpAddress(s), undefined, s);
    }
  });
});

describe('name-constraint matching', () => {
  test('dNSName subtrees', () => {
    assert.equal(dnsWithin('example.com', 'example.com'), true);
    assert.equal(dnsWithin('www.example.com', 'example.com'), true);
    assert.equal(dnsWithin('wwwexample.com', 'example.com'), false);
    assert.equal(dnsWithin('anything.test', ''), true);
    // RFC 5280 §4.2.1.10 allows a leading period in URI bases only: a dNSName base with one is malformed.
    assert.equal(isValidDnsBase('.example.com'), false);
    assert.equal(isValidDnsBase('*.example.com'), false);
    assert.equal(isValidDnsBase('example.com'), true);
  });
  test('rfc822Name subtrees: a mailbox exactly, a host, or the hosts below a .domain', () => {
    assert.equal(emailWithin('alice@example.com', 'alice@example.com'), true);
    assert.equal(emailWithin('alice@EXAMPLE.com', 'alice@example.com'), true);
    assert.equal(emailWithin('Alice@example.com', 'alice@example.com'), false); // the local part is case-sensitive
    assert.equal(emailWithin('bob@example.com', 'example.com'), true);
    assert.equal(emailWithin('bob@mail.example.com', 'example.com'), false);
    assert.equal(emailWithin('bob@mail.example.com', '.example.com'), true);
    assert.equal(emailWithin('bob@example.com', '.example.com'), false);
    assert.equal(emailWithin('*@example.com', '*@example.com'), true); // a literal asterisk, not a pattern
    assert.equal(emailWithin('bob@example.com', '*@example.com'), false);
    assert.equal(isValidMailbox('bob@example.com'), true);
    assert.equal(isValidMailbox('@example.com'), false);
    assert.equal(isValidMailbox('bob@-example.com'), false);
    assert.equal(isValidEmailBase('.example.com'), true);
    assert.equal(isValidEmailBase('ex ample.com'), false);
  });
  test('iPAddress subtrees', () => {
    assert.equal(ipWithin(fromHex('0a010203'), fromHex('0a000000ff000000')), true);
    assert.equal(ipWithin(fromHex('0b010203'), fromHex('0a000000ff000000')), false);
    assert.equal(ipWithin(fromHex('0a010203'), new Uint8Array(32)), false);
  });
});
