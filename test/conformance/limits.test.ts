/**
 * Limits that bound work without refusing what the RFC allows real peers to send (issue 14): big hellos, many
 * extensions and key shares, many NewSessionTickets, warnings / empty records / KeyUpdates counted per run without
 * progress, and the HelloRetryRequest policy (docs/design/hello-retry-policy.md).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AlertDescription, ContentType, ExtensionType, HandshakeType, NamedGroup } from '../../src/wire/registry.js';
import { decodeServerHello, HRR_RANDOM } from '../../src/wire/server-hello.js';
import { encode } from '../../src/codec/writer.js';
import { toHex } from '../helpers/hex.js';
import { doHandshake, makePair, parseRecords, receiveCatching, splitHandshakeMessages } from '../helpers/pair.js';
import { feed, record, ScriptedClient, testServer } from './scripted-client.js';
import type { RawExtension } from '../../src/wire/extensions.js';

/** `msg` as handshake records of at most `size` bytes each. */
function fragmented(msg: Uint8Array, size: number): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let at = 0; at < msg.length; at += size) parts.push(record(ContentType.Handshake, msg.subarray(at, Math.min(msg.length, at + size))));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The first handshake message the server sent in clear. */
function firstServerMessage(output: Uint8Array): Uint8Array {
  const r = parseRecords(output)[0];
  assert.ok(r !== undefined && r.type === ContentType.Handshake, 'a handshake record first');
  return splitHandshakeMessages(r.body)[0] as Uint8Array;
}

/** `n` unknown (unassigned) extensions with `size`-byte bodies. */
function unknownExtensions(n: number, size = 0, from = 0x4000): RawExtension[] {
  return Array.from({ length: n }, (_, i) => ({ type: from + i, data: new Uint8Array(size).fill(0x5a) }));
}

describe('ClientHellos RFC 8446 allows are accepted, however large', () => {
  test('200 unknown extensions (over MAX_EXTENSIONS) → ServerHello', async () => {
    const c = new ScriptedClient();
    const server = await testServer();
    const r = feed(server, record(ContentType.Handshake, c.hello({ extra: unknownExtensions(200) })));
    assert.equal(r.error, undefined, r.error?.message);
    c.serverFlight(r.output);
  });

  test('a 128 KiB ClientHello (32000 cipher suites, 65 KB of extensions) in 16 KiB records → ServerHello', async () => {
    const c = new ScriptedClient();
    const server = await testServer();
    const suites = [...Array.from({ length: 31_999 }, (_, i) => 0x7000 + i), 0x1301];
    const ch = c.hello({ cipherSuites: suites, extra: unknownExtensions(2, 32_400) });
    assert.ok(ch.length > 128_000 && ch.length < 131_396, `hello of ${ch.length} bytes`);
    const r = feed(server, fragmented(ch, 16384));
    assert.equal(r.error, undefined, r.error?.message);
    c.serverFlight(r.output);
  });

  test('a ClientHello over OpenSSL\'s 131396-byte bound → unexpected_message from its header alone', async () => {
    const server = await testServer();
    const header = new Uint8Array([HandshakeType.ClientHello, 0x02, 0x02, 0x00]); // 131584 bytes announced
    assert.equal(feed(server, record(ContentType.Handshake, header)).error?.alert, 'unexpected_message');
  });

  test('40 key shares (unknown groups, then x25519 last) → the server uses the x25519 share, no HelloRetryRequest', async () => {
    const unknown = Array.from({ length: 39 }, (_, i) => 0x6a6a + i);
    const shares = encode((w) => w.vec16((w) => {
      for (const g of unknown) w.u16(g).vec16((w) => w.bytes(new Uint8Array(32).fill(1)));
    }));
    // Build the hello with the scripted client, then splice the unknown shares in front of its real one.
    const c = new ScriptedClient();
    const ch = c.hello({ groups: [...unknown, NamedGroup.x25519] });
    const server = await testServer();
    const withShares = spliceKeyShares(ch, shares.subarray(2));
    c.replaceHello(ch, withShares);
    const r = feed(server, record(ContentType.Handshake, withShares));
    assert.equal(r.error, undefined, r.error?.message);
    const sh = decodeServerHello(firstServerMessage(r.output).subarray(4));
    assert.notEqual(toHex(sh.random), toHex(HRR_RANDOM), 'a ServerHello, not a HelloRetryRequest');
    c.serverFlight(r.output);
  });
});

/** Put `entries` (KeyShareEntry bytes) before the existing entries of the hello's key_share extension. */
function spliceKeyShares(ch: Uint8Array, entries: Uint8Array): Uint8Array {
  // Walk: type(1) len(3) version(2) random(32) sid(1+n) suites(2+n) comp(1+n) exts(2+n).
  let at = 4 + 2 + 32;
  at += 1 + (ch[at] as number);
  at += 2 + (((ch[at] as number) << 8) | (ch[at + 1] as number));
  at += 1 + (ch[at] as number);
  const extsAt = at;
  at += 2;
  while (at < ch.length) {
    const type = ((ch[at] as number) << 8) | (ch[at + 1] as number);
    const len = ((ch[at + 2] as number) << 8) | (ch[at + 3] as number);
    if (type === ExtensionType.key_share) {
      const out = new Uint8Array(ch.length + entries.length);
      out.set(ch.subarray(0, at + 6), 0);
      out.set(entries, at + 6);
      out.set(ch.subarray(at + 6), at + 6 + entries.length);
      const add = (pos: number, bytes: number): void => {
        let v = 0;
        for (let i = 0; i < bytes; i++) v = (v << 8) | (out[pos + i] as number);
        v += entries.length;
        for (let i = bytes - 1; i >= 0; i--) {
          out[pos + i] = v & 0xff;
          v >>>= 8;
        }
      };
      add(1, 3); // handshake length
      add(extsAt, 2); // extensions length
      add(at + 2, 2); // extension length
      add(at + 4, 2); // client_shares length
      return out;
    }
    at += 4 + len;
  }
  throw new Error('no key_share');
}

describe('many NewSessionTickets: the client keeps the newest few and never fails', () => {
  test('300 tickets after the handshake are all taken (the 65th used to be fatal)', async () => {
    const p = await makePair({ ticketCount: 300 });
    doHandshake(p);
    assert.equal(p.client.isHandshakeComplete, true);
    p.client.write(new Uint8Array([1, 2, 3]));
    assert.equal(receiveCatching(p.server, p.client.takeOutput()), undefined);
    assert.equal(p.client.engine.failed, undefined);
  });
});

describe('warnings, empty records and KeyUpdates are limited per run without progress', () => {
  test('TLS 1.3: 20 user_canceled warnings each followed by data are fine; 5 in a row are fatal', async () => {
    const p = await makePair();
    doHandshake(p);
    for (let i = 0; i < 20; i++) {
      const alert = p.client.engine.sendAlert(AlertDescription.user_canceled, false);
      assert.equal(receiveCatching(p.server, alert), undefined, `warning ${i + 1} with data between`);
      p.client.write(new Uint8Array([i]));
      assert.equal(receiveCatching(p.server, p.client.takeOutput()), undefined);
    }
    let err;
    for (let i = 0; i < 5 && err === undefined; i++) err = receiveCatching(p.server, p.client.engine.sendAlert(AlertDescription.user_canceled, false));
    assert.equal(err?.reason, 'LimitExceeded.TooManyWarningAlerts');
  });

  test('100 empty records with data after every 30 are fine; 33 in a row are fatal', async () => {
    const p = await makePair();
    doHandshake(p);
    for (let i = 0; i < 100; i++) {
      assert.equal(receiveCatching(p.server, p.client.engine.seal(new Uint8Array(0))), undefined, `empty record ${i + 1}`);
      if (i % 30 === 29) assert.equal(receiveCatching(p.server, p.client.engine.seal(new Uint8Array([1]))), undefined);
    }
    let err;
    for (let i = 0; i < 40 && err === undefined; i++) err = receiveCatching(p.server, p.client.engine.seal(new Uint8Array(0)));
    assert.equal(err?.reason, 'LimitExceeded.TooManyEmptyRecords');
  });

  test('100 KeyUpdates with data after every 20 are fine; 33 in a row are fatal', async () => {
    const p = await makePair();
    doHandshake(p);
    for (let i = 0; i < 100; i++) {
      assert.equal(receiveCatching(p.server, p.client.engine.updateKeys(false)), undefined, `KeyUpdate ${i + 1}`);
      if (i % 20 === 19) assert.equal(receiveCatching(p.server, p.client.engine.seal(new Uint8Array([1]))), undefined);
    }
    let err;
    for (let i = 0; i < 40 && err === undefined; i++) err = receiveCatching(p.server, p.client.engine.updateKeys(false));
    assert.equal(err?.reason, 'LimitExceeded.TooManyKeyUpdates');
  });
});

describe('HelloRetryRequest only when it buys something (docs/design/hello-retry-policy.md)', () => {
  test('server prefers x25519, client shares P-256 only (and lists x25519): the P-256 share is used, no HRR', async () => {
    const p = await makePair(
      { groups: [NamedGroup.x25519, NamedGroup.secp256r1] },
      { groups: [NamedGroup.x25519, NamedGroup.secp256r1], keyShareGroups: [NamedGroup.secp256r1] },
    );
    assert.equal(doHandshake(p), 2, 'two flights: no HelloRetryRequest round trip');
    assert.equal(p.server.info?.helloRetry, false);
    assert.equal(p.server.info?.group, NamedGroup.secp256r1);
  });

  test('server prefers the hybrid group the client lists but did not share: HRR to X25519MLKEM768', async () => {
    const p = await makePair(
      { groups: [NamedGroup.X25519MLKEM768, NamedGroup.x25519] },
      { groups: [NamedGroup.X25519MLKEM768, NamedGroup.x25519], keyShareGroups: [NamedGroup.x25519] },
    );
    doHandshake(p);
    assert.equal(p.server.info?.helloRetry, true);
    assert.equal(p.server.info?.group, NamedGroup.X25519MLKEM768);
  });

  test('no share for any group the server accepts: HRR to the server\'s preference', async () => {
    const p = await makePair(
      { groups: [NamedGroup.secp256r1] },
      { groups: [NamedGroup.x25519, NamedGroup.secp256r1], keyShareGroups: [NamedGroup.x25519] },
    );
    doHandshake(p);
    assert.equal(p.server.info?.helloRetry, true);
    assert.equal(p.server.info?.group, NamedGroup.secp256r1);
  });
});
