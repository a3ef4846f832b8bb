/**
 * Regression tests for the protocol bugs independent probes (tlsfuzzer, hand-made hellos) found in the engine,
 * issue 14. Each sends the exact bytes of the probe, through a scripted client that derives the real handshake
 * keys (test/conformance/scripted-client.ts), and checks the alert the RFC prescribes.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AlertDescription, ContentType, HandshakeType, NamedGroup, ProtocolVersion, SignatureScheme } from '../../src/wire/registry.js';
import { HRR_RANDOM } from '../../src/wire/server-hello.js';
import { fromHex, toHex } from '../helpers/hex.js';
import { doHandshake, makePair, parseRecords, splitHandshakeMessages } from '../helpers/pair.js';
import { alertIn, feed, record, ScriptedClient, testServer } from './scripted-client.js';

/** The server's flight after `hello`, read by the client; returns the engine ready for the client's second flight. */
async function throughServerFlight(c: ScriptedClient, hello = c.hello({ earlyData: false })): Promise<Awaited<ReturnType<typeof testServer>>> {
  const server = await testServer();
  const r = feed(server, record(ContentType.Handshake, hello));
  assert.equal(r.error, undefined, r.error?.message);
  c.serverFlight(r.output);
  assert.equal(c.serverMessages.at(-1)?.[0], HandshakeType.Finished, 'the server flight ends with its Finished');
  return server;
}

/** A protected record that does not authenticate under any key we hold: 32 bytes of 0xAA. */
const GARBAGE_RECORD = fromHex(`1703030020${'aa'.repeat(32)}`);

describe('RFC 8446 Appendix D.5: legacy_version 0x0300 or lower is refused even when TLS 1.3 is offered', () => {
  for (const v of [0x0300, 0x0200, 0x0002]) {
    test(`legacy_version 0x${v.toString(16).padStart(4, '0')} with supported_versions {1.3} → protocol_version`, async () => {
      const c = new ScriptedClient();
      const ch = c.hello({ legacyVersion: v });
      // The exact bytes: handshake type 1, u24 length, then legacy_version.
      assert.equal(toHex(ch.subarray(4, 6)), v.toString(16).padStart(4, '0'));
      const server = await testServer();
      const r = feed(server, record(ContentType.Handshake, ch));
      assert.equal(r.error?.alert, 'protocol_version', r.error?.message);
      assert.equal(alertIn(r.output), AlertDescription.protocol_version);
    });
  }

  test('legacy_version 0x0301 with supported_versions {1.3} is TLS 1.3 (the field is otherwise ignored)', async () => {
    const c = new ScriptedClient();
    await throughServerFlight(c, c.hello({ legacyVersion: ProtocolVersion.TLS10 }));
  });
});

describe('RFC 8446 §4.2.10: declined early data is skipped, within a budget', () => {
  async function afterHrr(): Promise<Awaited<ReturnType<typeof testServer>>> {
    // The server takes P-256 only; the client shares x25519 and lists P-256: HelloRetryRequest.
    const server = await testServer({ groups: [NamedGroup.secp256r1] });
    const c = new ScriptedClient();
    const r = feed(server, record(ContentType.Handshake, c.hello({ earlyData: true, groups: [NamedGroup.x25519, NamedGroup.secp256r1] })));
    assert.equal(r.error, undefined, r.error?.message);
    const hrr = splitHandshakeMessages(parseRecords(r.output)[0]?.body ?? new Uint8Array(0))[0] as Uint8Array;
    assert.equal(toHex(hrr.subarray(6, 38)), toHex(HRR_RANDOM), 'a HelloRetryRequest');
    return server;
  }

  test('after a HelloRetryRequest, 0-RTT records from a client that offered early_data are skipped', async () => {
    const server = await afterHrr();
    const r = feed(server, new Uint8Array([...GARBAGE_RECORD, ...GARBAGE_RECORD, ...GARBAGE_RECORD]));
    assert.equal(r.error, undefined, r.error?.message);
    assert.equal(r.output.length, 0);
    assert.equal(server.stateName, 'ExpectSecondClientHello');
  });

  test('after a HelloRetryRequest, early data beyond the budget → unexpected_message', async () => {
    const server = await afterHrr();
    const big = record(ContentType.ApplicationData, new Uint8Array(16384 + 200).fill(0xaa));
    let err;
    for (let i = 0; i < 6 && err === undefined; i++) err = feed(server, big).error;
    assert.equal(err?.alert, 'unexpected_message');
  });

  test('after a HelloRetryRequest, zero-length 0-RTT records count against the budget: a flood ends', async () => {
    const server = await afterHrr();
    const empty = fromHex('1703030000');
    const flood = new Uint8Array(empty.length * 5000);
    for (let i = 0; i < 5000; i++) flood.set(empty, i * empty.length);
    const r = feed(server, flood);
    assert.equal(r.error?.alert, 'unexpected_message', 'the flood is refused before its end');
  });

  test('after a ServerHello that declined 0-RTT, undecryptable records are skipped; zero-length ones too, within the budget', async () => {
    const c = new ScriptedClient();
    const server = await throughServerFlight(c, c.hello({ earlyData: true }));
    const ok = feed(server, new Uint8Array([...GARBAGE_RECORD, ...fromHex('1703030000'), ...GARBAGE_RECORD]));
    assert.equal(ok.error, undefined, ok.error?.message);
    const empty = fromHex('1703030000');
    const flood = new Uint8Array(empty.length * 5000);
    for (let i = 0; i < 5000; i++) flood.set(empty, i * empty.length);
    assert.equal(feed(server, flood).error?.alert, 'bad_record_mac', 'an endless run of empty records ends');
  });

  test('once a record decrypted under the handshake key, a later undecryptable record is bad_record_mac (§5.2)', async () => {
    const c = new ScriptedClient();
    const server = await throughServerFlight(c, c.hello({ earlyData: true }));
    assert.equal(feed(server, GARBAGE_RECORD).error, undefined, 'skipped while trial decryption is on');
    const fin = c.finished();
    // The first half of the Finished decrypts: from then on nothing is skipped.
    assert.equal(feed(server, c.seal(ContentType.Handshake, fin.subarray(0, 10))).error, undefined);
    const r = feed(server, GARBAGE_RECORD);
    assert.equal(r.error?.alert, 'bad_record_mac', r.error?.message);
  });

  test('a client that did not offer early_data gets bad_record_mac for its first undecryptable record', async () => {
    const c = new ScriptedClient();
    const server = await throughServerFlight(c);
    assert.equal(feed(server, GARBAGE_RECORD).error?.alert, 'bad_record_mac');
  });
});

describe('RFC 8446 §5.4: TLSInnerPlaintext is at most 2^14 + 1 bytes, padding included', () => {
  test('2^14 bytes of content + type + 1 byte of padding (2^14 + 2) → record_overflow', async () => {
    const c = new ScriptedClient();
    const server = await throughServerFlight(c);
    const rec = c.seal(ContentType.Handshake, new Uint8Array(16384).fill(0x14), 1);
    assert.equal(rec.length, 5 + 16384 + 1 + 1 + 16);
    const r = feed(server, rec);
    assert.equal(r.error?.alert, 'record_overflow', r.error?.message);
  });

  test('a Finished padded to exactly 2^14 + 1 bytes of inner plaintext completes the handshake', async () => {
    const c = new ScriptedClient();
    const server = await throughServerFlight(c);
    const fin = c.finished();
    const r = feed(server, c.seal(ContentType.Handshake, fin, 16385 - fin.length - 1));
    assert.equal(r.error, undefined, r.error?.message);
    assert.equal(server.isEstablished, true);
  });

  test('a Finished whose padding makes the inner plaintext 2^14 + 2 bytes → record_overflow', async () => {
    const c = new ScriptedClient();
    const server = await throughServerFlight(c);
    const fin = c.finished();
    assert.equal(feed(server, c.seal(ContentType.Handshake, fin, 16386 - fin.length - 1)).error?.alert, 'record_overflow');
  });
});

describe('RFC 8446 §4.4.4: a Finished of the wrong length does not decode', () => {
  for (const delta of [-1, 1, -32]) {
    test(`verify_data of Hash.length ${delta > 0 ? '+' : ''}${delta} bytes → decode_error`, async () => {
      const c = new ScriptedClient();
      const server = await throughServerFlight(c);
      const fin = c.finished();
      const n = fin.length - 4 + delta;
      const body = new Uint8Array(n);
      body.set(fin.subarray(4, 4 + Math.min(n, fin.length - 4)));
      const msg = new Uint8Array([HandshakeType.Finished, 0, 0, n, ...body]);
      assert.equal(feed(server, c.seal(ContentType.Handshake, msg)).error?.alert, 'decode_error');
    });
  }

  test('verify_data of the right length with one bit flipped → decrypt_error', async () => {
    const c = new ScriptedClient();
    const server = await throughServerFlight(c);
    const fin = c.finished().slice();
    fin[10] = (fin[10] as number) ^ 1;
    assert.equal(feed(server, c.seal(ContentType.Handshake, fin)).error?.alert, 'decrypt_error');
  });
});

describe('malformed alerts get the alert tlsfuzzer expects', () => {
  test('an empty alert record under the handshake key → unexpected_message', async () => {
    const c = new ScriptedClient();
    const server = await throughServerFlight(c);
    const r = feed(server, c.seal(ContentType.Alert, new Uint8Array(0), 5));
    assert.equal(r.error?.alert, 'unexpected_message', r.error?.message);
  });

  test('an empty alert record in clear after the ClientHello (15 03 03 00 00) → unexpected_message', async () => {
    const server = await testServer();
    const c = new ScriptedClient();
    assert.equal(feed(server, record(ContentType.Handshake, c.hello())).error, undefined);
    assert.equal(feed(server, fromHex('1503030000')).error?.alert, 'unexpected_message');
  });

  test('a three-byte alert (01 00 00) → decode_error', async () => {
    const c = new ScriptedClient();
    const server = await throughServerFlight(c);
    assert.equal(feed(server, c.seal(ContentType.Alert, fromHex('010000'))).error?.alert, 'decode_error');
  });

  test('an alert of an unknown level (03 00) → illegal_parameter', async () => {
    const c = new ScriptedClient();
    const server = await throughServerFlight(c);
    assert.equal(feed(server, c.seal(ContentType.Alert, fromHex('0300'))).error?.alert, 'illegal_parameter');
  });
});

describe('TLS 1.2: ECDSA signature schemes name the hash only (RFC 5246 §7.4.1.4.1)', () => {
  for (const scheme of [SignatureScheme.ecdsa_secp384r1_sha384, SignatureScheme.ecdsa_secp521r1_sha512]) {
    test(`a P-256 server signs its ServerKeyExchange with 0x${scheme.toString(16)} when that is all the client offers`, async () => {
      const p = await makePair(
        { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' },
        { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', signatureSchemes: [scheme] },
        { cert: 'p256' },
      );
      doHandshake(p);
      assert.equal(p.client.info?.version, 'TLSv1.2');
      assert.equal(p.client.info?.signatureScheme, scheme);
    });
  }

  test('TLS 1.3 keeps the binding: a P-256 server cannot use ecdsa_secp384r1_sha384 → handshake_failure', async () => {
    const p = await makePair({}, { signatureSchemes: [SignatureScheme.ecdsa_secp384r1_sha384] }, { cert: 'p256' });
    const bytes = p.client.takeOutput();
    assert.throws(() => p.server.receive(bytes), (e: Error & { alert?: string }) => e.alert === 'handshake_failure');
  });
});
