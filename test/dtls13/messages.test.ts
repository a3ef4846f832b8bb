/**
 * DTLS 1.3 message units: the "dtls13" key schedule labels (RFC 9147 §5.9), ACK codec and ACK bookkeeping (§7),
 * DTLSHandshake fragments and the transcript form (§5.2), the stateless HRR cookie (§5.1) and KeyUpdate rules (§8).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromHex, hex, utf8 } from '../../src/codec/bytes.js';
import { NodeCryptoProvider } from '../../src/crypto/node-provider.js';
import { suiteByName } from '../../src/crypto/suites.js';
import { AckList, decodeAck, encodeAck, SentFlight } from '../../src/dtls/v13/ack.js';
import { fromTlsForm, transcriptForm } from '../../src/dtls/v13/handshake-message.js';
import { makeCookie, openCookie } from '../../src/dtls/v13/hrr-cookie.js';
import { KeyUpdateState, MAX_SEND_EPOCH } from '../../src/dtls/v13/key-update.js';
import { dtls13Suite } from '../../src/dtls/v13/suite.js';
import { TlsError } from '../../src/errors.js';
import { EarlySecret, hkdfExpandLabel, recordNumberKey, trafficKeys } from '../../src/tls13/key-schedule.js';

const p = new NodeCryptoProvider();
const tls = suiteByName('TLS_AES_128_GCM_SHA256');
assert.ok(tls);
const dtls = dtls13Suite(tls);

test('key schedule: HkdfLabel carries "dtls13" for a DTLS 1.3 suite, "tls13 " otherwise (HMAC computed independently)', () => {
  const secret = new Uint8Array(32).fill(0x42);
  // HKDF-Expand-Label(secret, "key", "", 16) = first 16 bytes of HMAC(secret, 0010 09 "dtls13key" 00 01).
  const expect = (prefix: string): string => {
    const info = new Uint8Array([0x00, 0x10, 9, ...utf8(prefix + 'key'), 0x00, 0x01]);
    return hex(p.hmac('sha256', secret, info).subarray(0, 16));
  };
  assert.equal(hex(hkdfExpandLabel(p, dtls, secret, 'key', new Uint8Array(0), 16)), expect('dtls13'));
  assert.equal(hex(hkdfExpandLabel(p, tls, secret, 'key', new Uint8Array(0), 16)), expect('tls13 '));
  assert.equal(hex(trafficKeys(p, dtls, secret).key), expect('dtls13'));
  // sn_key = HKDF-Expand-Label(Secret, "sn", "", key_length).
  const sn = new Uint8Array([0x00, 0x10, 8, ...utf8('dtls13sn'), 0x00, 0x01]);
  assert.equal(hex(recordNumberKey(p, dtls, secret)), hex(p.hmac('sha256', secret, sn).subarray(0, 16)));
  // The cached no-PSK secrets are kept apart per prefix.
  const a = new EarlySecret(p, tls, null).handshakeSecret(new Uint8Array(32)).secret;
  const b = new EarlySecret(p, dtls, null).handshakeSecret(new Uint8Array(32)).secret;
  assert.notEqual(hex(a), hex(b));
  assert.equal(hex(new EarlySecret(p, tls, null).handshakeSecret(new Uint8Array(32)).secret), hex(a));
});

test('ACK codec: RecordNumber list sorted, round trip, and the malformed ones refused', () => {
  const ack = encodeAck([
    { epoch: 3, seq: 1 },
    { epoch: 2, seq: 0x1_0000_0002 },
  ]);
  assert.equal(hex(ack), '0020' + '0000000000000002' + '0000000100000002' + '0000000000000003' + '0000000000000001');
  assert.deepEqual(decodeAck(ack), [
    { epoch: 2, seq: 0x1_0000_0002 },
    { epoch: 3, seq: 1 },
  ]);
  assert.deepEqual(decodeAck(fromHex('0000')), []);
  assert.throws(() => decodeAck(fromHex('0008' + '00'.repeat(8))), (e: unknown) => e instanceof TlsError && e.alert === 'decode_error');
  assert.throws(() => decodeAck(fromHex('0000ff')), TlsError);
  assert.throws(() => decodeAck(fromHex('0010' + '00'.repeat(8))), TlsError);
  // At most `max` entries: the highest are kept.
  assert.deepEqual(decodeAck(encodeAck([0, 1, 2, 3].map((seq) => ({ epoch: 0, seq })), 2)), [
    { epoch: 0, seq: 2 },
    { epoch: 0, seq: 3 },
  ]);
});

test('AckList: records of the current flight, once each, bounded, cleared per flight', () => {
  const l = new AckList(3);
  l.add({ epoch: 2, seq: 5 });
  l.add({ epoch: 0, seq: 1 });
  l.add({ epoch: 2, seq: 5 });
  assert.deepEqual(l.records, [
    { epoch: 0, seq: 1 },
    { epoch: 2, seq: 5 },
  ]);
  l.add({ epoch: 2, seq: 6 });
  l.add({ epoch: 2, seq: 7 });
  assert.deepEqual(
    l.records,
    [
      { epoch: 0, seq: 1 },
      { epoch: 2, seq: 6 },
      { epoch: 2, seq: 7 },
    ],
    'the first added (2/5) is forgotten',
  );
  l.clear();
  assert.equal(l.size, 0);
});

test('SentFlight: a partial ACK leaves exactly the missing fragments; any ACK of a record counts (§7.2)', () => {
  const f = new SentFlight();
  f.addMessage(1, 3000);
  f.addMessage(2, 100);
  f.recordSent({ epoch: 2, seq: 0 }, [{ messageSeq: 1, offset: 0, length: 1000 }]);
  f.recordSent({ epoch: 2, seq: 1 }, [{ messageSeq: 1, offset: 1000, length: 1000 }]);
  f.recordSent({ epoch: 2, seq: 2 }, [
    { messageSeq: 1, offset: 2000, length: 1000 },
    { messageSeq: 2, offset: 0, length: 100 },
  ]);
  assert.equal(f.complete, false);
  assert.ok(f.ack([{ epoch: 2, seq: 1 }, { epoch: 9, seq: 9 }]));
  assert.deepEqual(f.unacknowledged(), [
    { messageSeq: 1, offset: 0, length: 1000 },
    { messageSeq: 1, offset: 2000, length: 1000 },
    { messageSeq: 2, offset: 0, length: 100 },
  ]);
  assert.equal(f.ack([{ epoch: 2, seq: 1 }]), false, 'nothing new');
  // A retransmission in smaller pieces, acknowledged piecewise.
  f.recordSent({ epoch: 2, seq: 3 }, [{ messageSeq: 1, offset: 0, length: 500 }]);
  f.recordSent({ epoch: 2, seq: 4 }, [{ messageSeq: 1, offset: 500, length: 500 }]);
  f.ack([{ epoch: 2, seq: 4 }, { epoch: 2, seq: 2 }]);
  assert.deepEqual(f.unacknowledged(), [{ messageSeq: 1, offset: 0, length: 500 }]);
  f.ack([{ epoch: 2, seq: 3 }]);
  assert.ok(f.complete);
});

test('SentFlight: an empty message (e.g. EndOfEarlyData-like bodies) is outstanding until acknowledged', () => {
  const f = new SentFlight();
  f.addMessage(0, 0);
  assert.deepEqual(f.unacknowledged(), [{ messageSeq: 0, offset: 0, length: 0 }]);
  f.recordSent({ epoch: 3, seq: 0 }, [{ messageSeq: 0, offset: 0, length: 0 }]);
  f.ack([{ epoch: 3, seq: 0 }]);
  assert.equal(f.complete, true);
});

test('transcript rule (§5.2): the TLS 1.3 form, without message_seq and the fragment fields', () => {
  const body = new Uint8Array(10).map((_, i) => i);
  assert.equal(hex(transcriptForm(11, body)), '0b00000a00010203040506070809');
  assert.deepEqual(fromTlsForm(transcriptForm(11, body)), { msgType: 11, body });
  assert.throws(() => fromTlsForm(fromHex('0b000005000102')), TlsError);
});

test('HRR cookie: opens for the same address and keys only, within its lifetime, untampered', () => {
  let now = 1_700_000_000_000;
  const clock = Object.assign(Object.create(p) as NodeCryptoProvider, { now: () => now });
  const keys = [new Uint8Array(32).fill(1)];
  const state = { suite: 0x1301, group: 0x11ec, keyShareInHrr: true, ch1Hash: new Uint8Array(32).fill(9) };
  const addr = utf8('127.0.0.1:5000');
  const cookie = makeCookie(clock, keys, addr, state);
  assert.deepEqual(openCookie(clock, keys, addr, cookie), state);
  assert.equal(openCookie(clock, keys, utf8('127.0.0.1:5001'), cookie), null, 'another address');
  assert.equal(openCookie(clock, [new Uint8Array(32).fill(2)], addr, cookie), null, 'another key');
  assert.deepEqual(openCookie(clock, [new Uint8Array(32).fill(2), keys[0] as Uint8Array], addr, cookie), state, 'rotated: the old key still listed');
  for (let i = 0; i < cookie.length; i++) {
    const bad = cookie.slice();
    bad[i] = (bad[i] as number) ^ 0x80;
    assert.equal(openCookie(clock, keys, addr, bad), null, `byte ${i} flipped`);
  }
  assert.equal(openCookie(clock, keys, addr, cookie.subarray(0, 20)), null);
  now += 61_000;
  assert.equal(openCookie(clock, keys, addr, cookie), null, 'expired');
  now -= 200_000;
  assert.equal(openCookie(clock, keys, addr, cookie), null, 'from the future');
});

test('KeyUpdate: one outstanding at a time; the new sending epoch only after the ACK (§8)', () => {
  const k = new KeyUpdateState(3);
  assert.ok(k.canSend);
  k.sent(7);
  assert.equal(k.pending, 7);
  assert.equal(k.canSend, false);
  assert.throws(() => k.sent(8));
  assert.equal(k.shouldAnswer(true), false, 'our own outstanding KeyUpdate answers the request');
  assert.equal(k.acknowledged(), 4);
  assert.equal(k.acknowledged(), null);
  assert.ok(k.shouldAnswer(true));
  assert.equal(k.shouldAnswer(false), false);
  const last = new KeyUpdateState(MAX_SEND_EPOCH);
  assert.equal(last.canSend, false);
  assert.equal(last.shouldAnswer(true), false, 'update_requested ignored at the epoch limit');
});
