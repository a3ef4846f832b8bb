/**
 * DTLS 1.3 record layer units (RFC 9147 §4): unified header and DTLSPlaintext codec, demultiplexing, sequence number
 * reconstruction, record number encryption (known answers), the replay window, and sealing/opening across epochs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromHex, hex } from '../../src/codec/bytes.js';
import { NodeCryptoProvider } from '../../src/crypto/node-provider.js';
import { suiteByName } from '../../src/crypto/suites.js';
import { epochForBits, epochKind } from '../../src/dtls/v13/epochs.js';
import { encodePlaintextHeader, encodeUnifiedHeader, splitDatagram } from '../../src/dtls/v13/header.js';
import { xorRecordNumber } from '../../src/dtls/v13/record-number.js';
import { Dtls13RecordLayer } from '../../src/dtls/v13/record-layer.js';
import { reconstructSequence } from '../../src/dtls/v13/sequence.js';
import { dtls13Suite } from '../../src/dtls/v13/suite.js';
import { TlsError } from '../../src/errors.js';

const p = new NodeCryptoProvider();

function suite(name: string) {
  const s = suiteByName(name);
  assert.ok(s);
  return dtls13Suite(s);
}

test('unified header: bits C S L E E as in Figure 3/4', () => {
  // Figure 4 "minimal": 001 0 0 0 EE then an 8-bit sequence number.
  assert.equal(hex(encodeUnifiedHeader({ epoch: 3, seq: 0x1234, seqLength: 1, length: null })), '2334');
  // 16-bit sequence number and length: 0x2c | epoch bits.
  assert.equal(hex(encodeUnifiedHeader({ epoch: 6, seq: 0x1234, length: 0x0102 })), '2e12340102');
  // Connection ID: the C bit and the CID after the first byte.
  assert.equal(hex(encodeUnifiedHeader({ epoch: 2, seq: 1, length: 17, cid: fromHex('aabb') })), '3eaabb00010011');
});

test('DTLSPlaintext header: type, {254,253}, 16-bit epoch, 48-bit sequence number, length', () => {
  assert.equal(hex(encodePlaintextHeader(22, 0, 0x0102_0304_0506, 0x10)), '16fefd00000102030405060010');
});

test('splitDatagram: plaintext and ciphertext records in one datagram, each as §4.1 demultiplexes', () => {
  const plain = new Uint8Array([...encodePlaintextHeader(22, 0, 5, 3), 1, 2, 3]);
  const body = new Uint8Array(20).fill(7);
  const withLength = new Uint8Array([...encodeUnifiedHeader({ epoch: 2, seq: 0x0a0b, length: body.length }), ...body]);
  const last = new Uint8Array([...encodeUnifiedHeader({ epoch: 3, seq: 9, seqLength: 1, length: null }), ...body, 0xff]);
  const d = splitDatagram(new Uint8Array([...plain, ...withLength, ...last]));
  assert.equal(d.dropped, null);
  assert.equal(d.records.length, 3);
  const [a, b, c] = d.records;
  assert.ok(a?.kind === 'plaintext' && b?.kind === 'ciphertext' && c?.kind === 'ciphertext');
  assert.deepEqual([a.type, a.epoch, a.seq, hex(a.fragment)], [22, 0, 5, '010203']);
  assert.deepEqual([b.epochBits, b.seqLength, b.seqOffset, hex(b.header), b.encrypted.length], [2, 2, 1, '2e0a0b0014', 20]);
  assert.deepEqual([c.epochBits, c.seqLength, hex(c.header), c.encrypted.length], [3, 1, '2309', 21]);
});

test('splitDatagram drops what it cannot parse and keeps the records before it', () => {
  const plain = new Uint8Array([...encodePlaintextHeader(21, 0, 1, 2), 1, 0]);
  // Application data (23) in the clear is not a DTLS 1.3 plaintext type; CCS (20) neither.
  for (const bad of [23, 20, 0x40, 0x00]) {
    const d = splitDatagram(new Uint8Array([...plain, bad, 1, 2, 3]));
    assert.equal(d.records.length, 1, `first byte ${bad}`);
    assert.notEqual(d.dropped, null);
  }
  // A connection ID we did not negotiate; a length past the datagram; a truncated plaintext header.
  assert.notEqual(splitDatagram(fromHex('3c0001000100')).dropped, null);
  assert.notEqual(splitDatagram(fromHex('2c00010020aabb')).dropped, null);
  assert.notEqual(splitDatagram(fromHex('16fefd0000')).dropped, null);
  // With a 2-byte CID negotiated the same header parses.
  const d = splitDatagram(fromHex('3caabb000100020102'), 2);
  assert.equal(d.dropped, null);
  assert.ok(d.records[0]?.kind === 'ciphertext');
  assert.equal(hex(d.records[0].cid), 'aabb');
});

test('reconstructSequence: closest to one plus the highest deprotected (§4.2.2)', () => {
  assert.equal(reconstructSequence(0, 0, 8), 0);
  assert.equal(reconstructSequence(0, 5, 16), 5);
  assert.equal(reconstructSequence(0x1ff, 0x00, 8), 0x200);
  assert.equal(reconstructSequence(0x200, 0xff, 8), 0x1ff);
  assert.equal(reconstructSequence(0x12345, 0x2340, 16), 0x12340);
  assert.equal(reconstructSequence(0x1fff0, 0x0003, 16), 0x20003);
  assert.equal(reconstructSequence(0x20003, 0xfff0, 16), 0x1fff0);
  // Never negative: early in an epoch a high value is read as itself.
  assert.equal(reconstructSequence(3, 0xff, 8), 0xff);
  // Exhaustive over a range: the answer matches the low bits and lies within half a window of `expected`.
  for (let expected = 0; expected < 1000; expected += 7) {
    for (let actual = Math.max(0, expected - 127); actual < expected + 128; actual++) {
      assert.equal(reconstructSequence(expected, actual & 0xff, 8), actual, `expected ${expected} actual ${actual}`);
    }
  }
});

test('record number mask: AES-ECB (FIPS-197 C.1/C.3) and the ChaCha20 block (RFC 8439 §2.3.2)', () => {
  const key16 = fromHex('000102030405060708090a0b0c0d0e0f');
  const key32 = fromHex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
  const sample = fromHex('00112233445566778899aabbccddeeff');
  assert.equal(hex(p.recordNumberMask('aes-128-gcm', key16, sample)), '69c4e0d86a7b0430d8cdb78070b4c55a');
  assert.equal(hex(p.recordNumberMask('aes-256-gcm', key32, sample)), '8ea2b7ca516745bfeafc49904b496089');
  // counter 1 (little-endian), nonce 000000090000004a00000000.
  const chachaSample = fromHex('01000000000000090000004a00000000');
  assert.equal(hex(p.recordNumberMask('chacha20-poly1305', key32, chachaSample)), '10f1e7e4d13b5915500fdd1fa32071c4');
});

test('xorRecordNumber: XORs the leading mask bytes into the sequence number; under 16 bytes it refuses', () => {
  const key = fromHex('000102030405060708090a0b0c0d0e0f');
  const header = fromHex('2c12340020');
  const encrypted = fromHex('00112233445566778899aabbccddeeff00');
  assert.ok(xorRecordNumber(p, { alg: 'aes-128-gcm', key }, header, 1, 2, encrypted));
  assert.equal(hex(header), `2c${(0x1234 ^ 0x69c4).toString(16)}0020`);
  assert.ok(xorRecordNumber(p, { alg: 'aes-128-gcm', key }, header, 1, 2, encrypted));
  assert.equal(hex(header), '2c12340020');
  assert.equal(xorRecordNumber(p, { alg: 'aes-128-gcm', key }, header, 1, 2, encrypted.subarray(0, 15)), false);
  assert.equal(hex(header), '2c12340020');
});

test('epochs: kinds and the held epoch named by two bits', () => {
  assert.deepEqual([0, 1, 2, 3, 7].map(epochKind), ['plaintext', 'early-data', 'handshake', 'application', 'application']);
  assert.equal(epochForBits([2, 3], 2), 2);
  assert.equal(epochForBits([2, 3], 3), 3);
  assert.equal(epochForBits([2, 3], 0), undefined);
  assert.equal(epochForBits([3, 4, 5, 6], 2), 6);
  assert.equal(epochForBits([3, 4, 5, 6], 3), 3);
});

function pair(name: string): { a: Dtls13RecordLayer; b: Dtls13RecordLayer } {
  const s = suite(name);
  const a = new Dtls13RecordLayer(p);
  const b = new Dtls13RecordLayer(p);
  for (const epoch of [2, 3]) {
    const secret = new Uint8Array(s.hashLen).fill(epoch);
    a.installSend(s, epoch, secret);
    b.installReceive(s, epoch, secret);
  }
  return { a, b };
}

for (const name of ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256']) {
  test(`record layer (${name}): seal and open, the sequence number encrypted on the wire, replays and forgeries dropped`, () => {
    const { a, b } = pair(name);
    const records = [0, 1, 2].map((i) => a.seal(23, new Uint8Array([i, i, i]), { seqLength: i === 1 ? 1 : 2 }));
    // Epoch 3 bits, S per record, L set.
    assert.equal((records[0] as Uint8Array)[0], 0x2f);
    assert.equal((records[1] as Uint8Array)[0], 0x27);
    // The sequence number bytes are masked: the clear value would be 00 00, 01, 00 02.
    assert.notEqual(hex((records[0] as Uint8Array).subarray(1, 3)), '0000');
    const opened = b.open(new Uint8Array([...(records[2] as Uint8Array), ...(records[0] as Uint8Array), ...(records[1] as Uint8Array)]));
    assert.equal(opened.dropped, 0);
    assert.deepEqual(
      opened.records.map((r) => [r.epoch, r.seq, r.type, hex(r.content)]),
      [
        [3, 2, 23, '020202'],
        [3, 0, 23, '000000'],
        [3, 1, 23, '010101'],
      ],
    );
    // The same records again: replays.
    assert.deepEqual(b.open(records[0] as Uint8Array), { records: [], dropped: 1 });
    // One flipped bit anywhere: dropped, never thrown.
    const r = a.seal(23, new Uint8Array([9]));
    for (let i = 0; i < r.length; i++) {
      const bad = r.slice();
      bad[i] = (bad[i] as number) ^ 0x01;
      const out = b.open(bad);
      assert.equal(out.records.length, 0, `bit flipped at ${i}`);
    }
    assert.equal(b.open(r).records.length, 1);
  });
}

test('record layer: a DTLS 1.3 suite copy derives other keys than TLS 1.3 ("dtls13" labels), and plain TLS suites are refused', () => {
  const tls = suiteByName('TLS_AES_128_GCM_SHA256');
  assert.ok(tls);
  assert.throws(() => new Dtls13RecordLayer(p).installSend(tls, 2, new Uint8Array(32)), TlsError);
  assert.equal(dtls13Suite(tls), dtls13Suite(tls), 'one copy per suite');
  assert.equal(dtls13Suite(tls).id, tls.id);
});

test('record layer: epoch 0 is DTLSPlaintext; epochs by their bits; older epochs held up to four', () => {
  const s = suite('TLS_AES_128_GCM_SHA256');
  const a = new Dtls13RecordLayer(p);
  const b = new Dtls13RecordLayer(p);
  const hello = a.seal(22, new Uint8Array([1, 0, 0, 0]));
  assert.equal(hex(hello.subarray(0, 13)), '16fefd00000000000000000004');
  assert.deepEqual(b.open(hello).records.map((r) => [r.epoch, r.seq, r.type]), [[0, 0, 22]]);
  assert.equal(b.open(hello).dropped, 1, 'a replayed plaintext record');
  const secret = (e: number): Uint8Array => new Uint8Array(32).fill(e);
  const sealed: Uint8Array[] = [];
  for (let e = 2; e <= 7; e++) {
    a.installSend(s, e, secret(e));
    b.installReceive(s, e, secret(e));
    sealed.push(a.seal(23, new Uint8Array([e])));
  }
  assert.deepEqual(b.receiveEpochs, [4, 5, 6, 7]);
  // Epochs 2 and 3 are forgotten (their bits now name 6 and 7); 4..7 open.
  const opened = b.open(new Uint8Array(sealed.flatMap((x) => [...x])));
  assert.deepEqual(opened.records.map((r) => r.epoch), [4, 5, 6, 7]);
  assert.equal(opened.dropped, 2);
  b.dropReceiveBefore(7);
  assert.deepEqual(b.receiveEpochs, [7]);
  assert.equal(b.open(a.seal(21, new Uint8Array([1, 0]))).records[0]?.type, 21);
  // Once plaintext is closed, a DTLSPlaintext alert is dropped.
  assert.equal(b.open(fromHex('15fefd000000000000000900020100')).dropped, 1);
});

test('record layer: an all-zero DTLSInnerPlaintext that deprotects is unexpected_message', () => {
  const s = suite('TLS_AES_128_GCM_SHA256');
  const a = new Dtls13RecordLayer(p);
  const b = new Dtls13RecordLayer(p);
  a.installSend(s, 3, new Uint8Array(32));
  b.installReceive(s, 3, new Uint8Array(32));
  // Content type 0 with zero padding: the inner plaintext is all zeros.
  const r = a.seal(0, new Uint8Array(0), { padding: 4 });
  assert.throws(() => b.open(r), (e: unknown) => e instanceof TlsError && e.alert === 'unexpected_message');
});
