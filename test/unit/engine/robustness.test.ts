/**
 * Hostile input to the engine, one case per kind of damage (truncated, oversized, reordered, duplicated,
 * bit-flipped), each checked on both ends (DESIGN C.12): the TlsError's alert, exactly one fatal alert record
 * with that description on the wire and nothing after it, and the Failed latch (later calls rethrow the same
 * error). Tampering inside protected records uses the null cipher (test/helpers/deterministic-provider.ts);
 * bit flips of protected records use real AES-GCM.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeClientHello, encodeClientHello } from '../../../src/wire/client-hello.js';
import { ContentType, HandshakeType, NamedGroup } from '../../../src/wire/registry.js';
import { concatBytes } from '../../helpers/hex.js';
import {
  assertRejected,
  doHandshake,
  encodeRecord,
  makePair,
  openNull,
  parseRecords,
  receiveCatching,
  sealNull,
  splitHandshakeMessages,
  transfer,
  transferAltered,
  transferRaw,
  type WireRecord,
} from '../../helpers/pair.js';

/** Replace the body of a handshake message, fixing its u24 length. */
function withBody(msg: Uint8Array, body: Uint8Array): Uint8Array {
  return concatBytes(new Uint8Array([msg[0] as number, body.length >>> 16, (body.length >>> 8) & 0xff, body.length & 0xff]), body);
}

function handshakeRecord(...msgs: Uint8Array[]): WireRecord {
  return { type: ContentType.Handshake, version: 0x0303, body: concatBytes(...msgs) };
}

function flipBit(b: Uint8Array, at: number, bit = 0): Uint8Array {
  const c = b.slice();
  c[at] = (c[at] as number) ^ (1 << bit);
  return c;
}

/** The server's first flight with the null cipher: ServerHello record, CCS, and the protected messages. */
function nullFlight(records: readonly WireRecord[]): { sh: WireRecord; ccs: WireRecord | undefined; messages: Uint8Array[] } {
  const sh = records[0] as WireRecord;
  const ccs = records.find((r) => r.type === ContentType.ChangeCipherSpec);
  const messages = records.filter((r) => r.type === ContentType.ApplicationData).flatMap((r) => splitHandshakeMessages(openNull(r).content));
  return { sh, ccs, messages };
}

describe('ClientHello damage → the server rejects with the prescribed alert', () => {
  test('rejects a truncated ClientHello (lengths consistent, body one byte short) → decode_error', async () => {
    const p = await makePair();
    const err = transferAltered(p.client, (r) => {
      const ch = splitHandshakeMessages(r.body)[0] as Uint8Array;
      return handshakeRecord(withBody(ch, ch.subarray(4, ch.length - 1)));
    }, p.server);
    assertRejected(p.server, err, { alert: 'decode_error', kind: 'InvalidMessage' });
  });

  test('a truncated record is not an error: it waits for the rest', async () => {
    const p = await makePair();
    const ch = p.client.takeOutput();
    const r = p.server.engine.process(ch.subarray(0, 100));
    assert.deepEqual({ consumed: r.consumed, missing: r.missing, out: r.output.length }, { consumed: 0, missing: ch.length - 100, out: 0 });
    assert.equal(p.server.engine.stateName, 'ExpectClientHello');
    p.server.receive(ch.subarray(0, 3));
    p.server.receive(ch.subarray(3));
    assert.ok(p.server.hasOutput, 'the server answered once the record was whole');
  });

  test('rejects a plaintext record over 2^14 bytes → record_overflow (from the header alone)', async () => {
    const p = await makePair();
    p.client.takeOutput();
    const err = receiveCatching(p.server, new Uint8Array([ContentType.Handshake, 3, 3, 0x40, 0x01, 1, 0, 0]));
    assertRejected(p.server, err, { alert: 'record_overflow', reason: 'LimitExceeded.RecordOverflow' });
  });

  test('rejects a ClientHello with a duplicated extension → illegal_parameter', async () => {
    const p = await makePair();
    const err = transferAltered(p.client, (r) => {
      const ch = splitHandshakeMessages(r.body)[0] as Uint8Array;
      const hello = decodeClientHello(ch.subarray(4));
      const dup = hello.extensions.find((e) => e.type === 10) ?? hello.extensions[0];
      assert.ok(dup !== undefined);
      return handshakeRecord(encodeClientHello({ ...hello, extensions: [...hello.extensions, dup] }));
    }, p.server);
    assertRejected(p.server, err, { alert: 'illegal_parameter', reason: 'PeerMisbehaved.DuplicateExtension' });
  });

  test('rejects a bit flip in legacy_session_id length (32 → 33) → decode_error', async () => {
    const p = await makePair();
    // record header 5 + handshake header 4 + legacy_version 2 + random 32 → session id length at 43.
    const err = transferRaw(p.client, (b) => flipBit(b, 43, 0), p.server);
    assertRejected(p.server, err, { alert: 'decode_error' });
  });

  test('rejects two ClientHellos in one record → unexpected_message', async () => {
    const p = await makePair({}, {}, { nullCipher: true });
    const err = transferAltered(p.client, (r) => handshakeRecord(r.body, r.body), p.server);
    assert.ok(err !== undefined);
    assertRejected(p.server, err, { alert: 'unexpected_message' });
  });

  test('an alert for a failure in the call that made the ServerHello is readable by the client', async () => {
    // The engine drops the unsent ServerHello on failure but seals the alert under the handshake keys it had
    // just installed: the client, which never saw the ServerHello, cannot read it (RFC 8446 §6: it must get the
    // alert). Expected: a plaintext alert (or the ServerHello flight, then the protected alert).
    const p = await makePair();
    const err = transferAltered(p.client, (r) => handshakeRecord(r.body, r.body), p.server);
    assert.equal(err?.alert, 'unexpected_message');
    const seen = receiveCatching(p.client, p.server.takeOutput());
    assert.deepEqual({ kind: seen?.kind, alert: seen?.alert }, { kind: 'AlertReceived', alert: 'unexpected_message' });
  });

  test('rejects a record of unknown content type → unexpected_message', async () => {
    const p = await makePair();
    const err = transferAltered(p.client, (r) => ({ ...r, type: 0x63 }), p.server);
    assertRejected(p.server, err, { alert: 'unexpected_message' });
  });

  test('rejects application data before the handshake → unexpected_message', async () => {
    const p = await makePair();
    p.client.takeOutput();
    const err = receiveCatching(p.server, encodeRecord({ type: ContentType.ApplicationData, version: 0x0303, body: new Uint8Array(20) }));
    assert.ok(err !== undefined);
    assert.equal(p.server.engine.stateName, 'Failed');
    // Before any key the record cannot be opened: an unprotected application_data record is unexpected.
    assertRejected(p.server, err, { alert: err.alert });
  });
});

describe('server flight damage → the client rejects with the prescribed alert', () => {
  test('rejects a bit flip in ServerHello.legacy_compression_method → illegal_parameter', async () => {
    const p = await makePair();
    transfer(p.client, p.server);
    const err = transferAltered(p.server, (r, i) => {
      if (i !== 0) return r;
      const sh = splitHandshakeMessages(r.body)[0] as Uint8Array;
      // body: version 2, random 32, session id 1+32, suite 2 → compression at 69.
      return handshakeRecord(withBody(sh, flipBit(sh.subarray(4), 69)));
    }, p.client);
    assertRejected(p.client, err, { alert: 'illegal_parameter', reason: 'PeerMisbehaved.LegacyCompressionNotNull' });
  });

  test('rejects two ServerHellos in one record → unexpected_message (key change not on a record boundary)', async () => {
    const p = await makePair();
    transfer(p.client, p.server);
    const err = transferAltered(p.server, (r, i) => (i === 0 ? handshakeRecord(r.body, r.body) : r), p.client);
    assert.ok(err !== undefined);
    assert.equal(err.alert, 'unexpected_message');
    assert.equal(p.client.engine.stateName, 'Failed');
  });

  test('rejects a second ServerHello inside the encrypted flight → unexpected_message', async () => {
    const p = await makePair({}, {}, { nullCipher: true });
    transfer(p.client, p.server);
    const recs = parseRecords(p.server.takeOutput());
    const f = nullFlight(recs);
    const sh = splitHandshakeMessages(f.sh.body)[0] as Uint8Array;
    const bytes = concatBytes(encodeRecord(f.sh), ...(f.ccs ? [encodeRecord(f.ccs)] : []), encodeRecord(sealNull(ContentType.Handshake, concatBytes(sh, ...f.messages))));
    const err = receiveCatching(p.client, bytes);
    assertRejected(p.client, err, { alert: 'unexpected_message', kind: 'UnexpectedMessage' });
  });

  test('rejects Finished before CertificateVerify → unexpected_message', async () => {
    const p = await makePair({}, {}, { nullCipher: true });
    transfer(p.client, p.server);
    const f = nullFlight(parseRecords(p.server.takeOutput()));
    const types = f.messages.map((m) => m[0]);
    assert.deepEqual(types.slice(0, 4), [HandshakeType.EncryptedExtensions, HandshakeType.Certificate, HandshakeType.CertificateVerify, HandshakeType.Finished]);
    const [ee, cert, cv, fin] = f.messages as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
    const bytes = concatBytes(encodeRecord(f.sh), ...(f.ccs ? [encodeRecord(f.ccs)] : []), encodeRecord(sealNull(ContentType.Handshake, concatBytes(ee, cert, fin, cv))));
    const err = receiveCatching(p.client, bytes);
    assertRejected(p.client, err, { alert: 'unexpected_message', reason: 'UnexpectedMessage.Finished' });
  });

  test('rejects a missing Certificate (EE then CertificateVerify) → unexpected_message', async () => {
    const p = await makePair({}, {}, { nullCipher: true });
    transfer(p.client, p.server);
    const f = nullFlight(parseRecords(p.server.takeOutput()));
    const [ee, , cv, fin] = f.messages as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
    const bytes = concatBytes(encodeRecord(f.sh), encodeRecord(sealNull(ContentType.Handshake, concatBytes(ee, cv, fin))));
    assertRejected(p.client, receiveCatching(p.client, bytes), { alert: 'unexpected_message' });
  });

  test('rejects a flipped bit in the server Finished → decrypt_error', async () => {
    const p = await makePair({}, {}, { nullCipher: true });
    transfer(p.client, p.server);
    const f = nullFlight(parseRecords(p.server.takeOutput()));
    const msgs = f.messages.slice();
    msgs[3] = flipBit(msgs[3] as Uint8Array, 10);
    const bytes = concatBytes(encodeRecord(f.sh), encodeRecord(sealNull(ContentType.Handshake, concatBytes(...msgs.slice(0, 4)))));
    assertRejected(p.client, receiveCatching(p.client, bytes), { alert: 'decrypt_error', reason: 'PeerMisbehaved.IncorrectFinished' });
  });

  test('rejects a flipped bit in the CertificateVerify signature → decrypt_error', async () => {
    const p = await makePair({}, {}, { nullCipher: true });
    transfer(p.client, p.server);
    const f = nullFlight(parseRecords(p.server.takeOutput()));
    const msgs = f.messages.slice();
    const cv = msgs[2] as Uint8Array;
    msgs[2] = flipBit(cv, cv.length - 5);
    const bytes = concatBytes(encodeRecord(f.sh), encodeRecord(sealNull(ContentType.Handshake, concatBytes(...msgs.slice(0, 4)))));
    assertRejected(p.client, receiveCatching(p.client, bytes), { alert: 'decrypt_error' });
  });

  test('rejects a truncated EncryptedExtensions (lengths consistent) → decode_error', async () => {
    const p = await makePair({}, {}, { nullCipher: true });
    transfer(p.client, p.server);
    const f = nullFlight(parseRecords(p.server.takeOutput()));
    const msgs = f.messages.slice();
    const ee = msgs[0] as Uint8Array;
    msgs[0] = withBody(ee, ee.subarray(4, ee.length - 1));
    const bytes = concatBytes(encodeRecord(f.sh), encodeRecord(sealNull(ContentType.Handshake, concatBytes(...msgs.slice(0, 4)))));
    assertRejected(p.client, receiveCatching(p.client, bytes), { alert: 'decode_error' });
  });

  for (const where of ['first', 'middle', 'tag'] as const) {
    test(`rejects a bit flip in the protected flight (${where} byte, AES-GCM) → bad_record_mac; the server receives that alert`, async () => {
      const p = await makePair();
      transfer(p.client, p.server);
      const err = transferAltered(p.server, (r) => {
        if (r.type !== ContentType.ApplicationData) return r;
        const at = where === 'first' ? 0 : where === 'middle' ? r.body.length >> 1 : r.body.length - 1;
        return { ...r, body: flipBit(r.body, at, 3) };
      }, p.client);
      assertRejected(p.client, err, { alert: 'bad_record_mac', kind: 'BadRecordMac' }, p.server);
    });
  }

  test('rejects a protected record over 2^14 + 256 bytes → record_overflow', async () => {
    const p = await makePair({}, {}, { nullCipher: true });
    doHandshake(p);
    const err = receiveCatching(p.client, encodeRecord({ type: ContentType.ApplicationData, version: 0x0303, body: new Uint8Array(16384 + 257) }));
    assertRejected(p.client, err, { alert: 'record_overflow' });
  });

  test('rejects a protected record whose plaintext is over 2^14 bytes → record_overflow', async () => {
    const p = await makePair({}, {}, { nullCipher: true });
    doHandshake(p);
    const err = receiveCatching(p.client, encodeRecord(sealNull(ContentType.ApplicationData, new Uint8Array(16385))));
    assertRejected(p.client, err, { alert: 'record_overflow' });
  });

  test('rejects a replayed (duplicated) application record → bad_record_mac', async () => {
    const p = await makePair();
    doHandshake(p);
    p.server.write(new Uint8Array([1, 2, 3]));
    const rec = p.server.takeOutput();
    p.client.receive(rec);
    assertRejected(p.client, receiveCatching(p.client, rec), { alert: 'bad_record_mac' }, p.server);
  });

  test('a received fatal alert fails the connection and sends nothing back', async () => {
    const p = await makePair();
    transfer(p.client, p.server);
    p.server.takeOutput();
    const err = receiveCatching(p.client, new Uint8Array([ContentType.Alert, 3, 3, 0, 2, 2, 40]));
    assert.ok(err !== undefined);
    assert.deepEqual({ kind: err.kind, alert: err.alert, sent: err.alertSent }, { kind: 'AlertReceived', alert: 'handshake_failure', sent: false });
    assert.equal(p.client.takeOutput().length, 0);
    assert.equal(p.client.engine.stateName, 'Failed');
  });
});

describe('HelloRetryRequest', () => {
  test('the second ClientHello (after a HelloRetryRequest) has legacy_record_version 0x0303 (RFC 8446 §5.1)', async () => {
    const p = await makePair({ groups: [NamedGroup.secp256r1] }, { keyShareGroups: [NamedGroup.x25519] });
    const ch1 = parseRecords(p.client.takeOutput());
    assert.equal(ch1[0]?.version, 0x0301, 'the initial ClientHello may use 0x0301');
    p.server.receive(encodeRecord(ch1[0] as WireRecord));
    transfer(p.server, p.client);
    const second = parseRecords(p.client.takeOutput()).filter((r) => r.type === ContentType.Handshake);
    assert.equal(second.length, 1);
    assert.equal((second[0] as WireRecord).version, 0x0303, 'legacy_record_version of ClientHello2');
  });

  test('a handshake with HelloRetryRequest completes', async () => {
    const p = await makePair({ groups: [NamedGroup.secp256r1] }, { keyShareGroups: [NamedGroup.x25519] });
    doHandshake(p);
    assert.equal(p.client.info?.helloRetry, true);
    assert.equal(p.client.info?.group, NamedGroup.secp256r1);
  });
});
