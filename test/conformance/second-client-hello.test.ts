/**
 * RFC 8446 §4.1.2: after a HelloRetryRequest the client sends the same ClientHello except for key_share, early_data,
 * cookie, pre_shared_key and padding. tlsfuzzer (test-tls13-shuffled-extentions) checks that a server refuses a
 * second ClientHello whose other extensions moved or changed (illegal_parameter); and our own client must keep
 * them, TLS 1.2 extensions and supported_versions included.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TlsConnection } from '../../src/api/connection.js';
import { createClientEngine } from '../../src/engine/connection.js';
import { prepareClientConfig } from '../../src/engine/config.js';
import type { ClientHello } from '../../src/wire/client-hello.js';
import { ExtensionType, NamedGroup } from '../../src/wire/registry.js';
import { toHex } from '../helpers/hex.js';
import { assertRejected, doHandshake, pairOptions, receiveCatching } from '../helpers/pair.js';
import { TlsServer } from '../../src/api/connection.js';

const MAY_CHANGE: readonly number[] = [ExtensionType.key_share, ExtensionType.early_data, ExtensionType.cookie, ExtensionType.pre_shared_key, ExtensionType.padding];

/** A pair that needs a HelloRetryRequest (server P-256 only, client shares x25519), the client's hellos rewritten by `hook`. */
async function hrrPair(hook: (ch: ClientHello, retry: boolean) => ClientHello, minVersion: 'TLSv1.2' | 'TLSv1.3' = 'TLSv1.3') {
  const o = await pairOptions({ groups: [NamedGroup.secp256r1] }, { groups: [NamedGroup.x25519, NamedGroup.secp256r1], keyShareGroups: [NamedGroup.x25519], minVersion });
  const server = new TlsServer(o.server).accept();
  const client = new TlsConnection(createClientEngine({ ...prepareClientConfig(o.client), clientHelloHook: hook }));
  return { server, client };
}

function unchangeable(ch: ClientHello): string[] {
  return ch.extensions.filter((e) => !MAY_CHANGE.includes(e.type)).map((e) => `${e.type}:${toHex(e.data)}`);
}

describe('the second ClientHello keeps every extension it may not change', () => {
  for (const minVersion of ['TLSv1.3', 'TLSv1.2'] as const) {
    test(`our client (min ${minVersion}) sends the same extensions, in the same order, after an HRR; the handshake completes`, async () => {
      const seen: ClientHello[] = [];
      const p = await hrrPair((ch) => {
        seen.push(ch);
        return ch;
      }, minVersion);
      doHandshake(p);
      assert.equal(p.server.info?.helloRetry, true);
      assert.equal(seen.length, 2);
      assert.deepEqual(unchangeable(seen[1] as ClientHello), unchangeable(seen[0] as ClientHello));
    });
  }

  test('a second ClientHello with its extensions in reverse order → illegal_parameter', async () => {
    const p = await hrrPair((ch, retry) => (retry ? { ...ch, extensions: [...ch.extensions].reverse() } : ch));
    p.server.receive(p.client.takeOutput());
    p.client.receive(p.server.takeOutput());
    const err = receiveCatching(p.server, p.client.takeOutput());
    assertRejected(p.server, err, { alert: 'illegal_parameter', reason: 'PeerMisbehaved.SecondClientHelloChangedParameters' });
  });

  test('a second ClientHello with a changed signature_algorithms list → illegal_parameter', async () => {
    const p = await hrrPair((ch, retry) => (retry
      ? { ...ch, extensions: ch.extensions.map((e) => (e.type === ExtensionType.signature_algorithms ? { type: e.type, data: new Uint8Array([0, 2, 8, 4]) } : e)) }
      : ch));
    p.server.receive(p.client.takeOutput());
    p.client.receive(p.server.takeOutput());
    const err = receiveCatching(p.server, p.client.takeOutput());
    assertRejected(p.server, err, { alert: 'illegal_parameter', reason: 'PeerMisbehaved.SecondClientHelloChangedParameters' });
  });

  test('a second ClientHello that adds padding is accepted', async () => {
    const p = await hrrPair((ch, retry) => (retry ? { ...ch, extensions: [{ type: ExtensionType.padding, data: new Uint8Array(100) }, ...ch.extensions] } : ch));
    doHandshake(p);
    assert.equal(p.server.info?.helloRetry, true);
  });
});

