/**
 * ALPN ids are bytes end to end (issue 13): an id is never decoded to text inside the engine, so `68 ff` goes on
 * the wire as `68 ff` (it went out as `68 c3 bf` through a latin1 → UTF-16 → UTF-8 round trip), and the peer's ids
 * `fe` and `ff` stay two ids (both decoded to U+FFFD before). Checked on our own pair, in TLS 1.3 and 1.2, through
 * SSPI's SEC_APPLICATION_PROTOCOLS, and against node:tls, which reports the id one character per byte.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { doHandshake, exchangeCatching, makePair, parseRecords } from '../../helpers/pair.js';
import { getPki } from '../../helpers/pki.js';
import { decodeClientHello } from '../../../src/wire/client-hello.js';
import { findExtension } from '../../../src/wire/extensions.js';
import { ContentType, ExtensionType } from '../../../src/wire/registry.js';
import { connect } from '../../../src/node/index.js';
import { buildApplicationProtocols, parseApplicationProtocols } from '../../../src/sspi/context.js';

const ID_68FF = new Uint8Array([0x68, 0xff]);
const FE = new Uint8Array([0xfe]);
const FF = new Uint8Array([0xff]);

function alpnExtensionOf(clientHelloRecords: Uint8Array): Uint8Array | undefined {
  const [rec] = parseRecords(clientHelloRecords);
  assert.equal(rec?.type, ContentType.Handshake);
  const hello = decodeClientHello((rec?.body ?? new Uint8Array(0)).subarray(4));
  return findExtension(hello.extensions, ExtensionType.application_layer_protocol_negotiation);
}

test('the id 68 ff goes on the wire as 68 ff and both sides report it as those bytes', async () => {
  const p = await makePair({ ALPNProtocols: [ID_68FF] }, { ALPNProtocols: [ID_68FF] });
  const hello = p.client.takeOutput();
  assert.deepEqual(alpnExtensionOf(hello), new Uint8Array([0x00, 0x03, 0x02, 0x68, 0xff]));
  p.server.receive(hello);
  doHandshake(p);
  for (const info of [p.client.engine.info, p.server.engine.info]) {
    assert.deepEqual(info?.alpn, ID_68FF);
    assert.equal(info?.alpnProtocol, 'h\u00ff');
  }
});

for (const maxVersion of ['TLSv1.3', 'TLSv1.2'] as const) {
  test(`${maxVersion}: the peer ids fe and ff stay distinct`, async () => {
    const p = await makePair({ ALPNProtocols: [FF] }, { ALPNProtocols: [FE, FF], maxVersion });
    doHandshake(p);
    assert.deepEqual(p.server.engine.info?.alpn, FF);
    assert.deepEqual(p.client.engine.info?.alpn, FF);
    assert.equal(p.client.engine.info?.version, maxVersion);

    // fe offered, only ff supported: no overlap (both used to be U+FFFD and "matched").
    const q = await makePair({ ALPNProtocols: [FF] }, { ALPNProtocols: [FE], maxVersion });
    const r = exchangeCatching(q.client, q.server);
    assert.equal(r.serverError?.alert, 'no_application_protocol');
  });
}

test('TLS 1.3 resumption keeps the id as bytes through the ticket', async () => {
  const p = await makePair({ ALPNProtocols: [FE, FF] }, { ALPNProtocols: [FF] });
  doHandshake(p);
  const second = p.tlsClient.connect();
  const server = p.tlsServer.accept();
  doHandshake({ client: second, server });
  assert.equal(second.engine.info?.resumed, true);
  assert.deepEqual(server.engine.info?.alpn, FF);
});

test('SSPI SEC_APPLICATION_PROTOCOLS carries the ids as bytes', () => {
  const body = buildApplicationProtocols([ID_68FF, FE, 'h2']);
  assert.deepEqual(parseApplicationProtocols(body), [ID_68FF, FE, new Uint8Array([0x68, 0x32])]);
});

test('node:tls server sees our client\'s id 68 ff as node:tls reports it (one character per byte)', async () => {
  const pki = await getPki();
  const leaf = pki.server.p256;
  const server = createServer({ key: leaf.keyPem, cert: leaf.chainPem, ALPNProtocols: Buffer.from([2, 0x68, 0xff]) }); // node:tls takes raw ids in wire form
  const seen = new Promise<string | false | null>((resolve) => server.on('secureConnection', (s: TLSSocket) => {
    resolve(s.alpnProtocol ?? null);
    s.end();
  }));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const { port } = server.address() as AddressInfo;
    const c = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.ca.certPem, ALPNProtocols: [ID_68FF] });
    c.on('error', () => undefined);
    const ours = await new Promise<string | false | null>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no secureConnect in 15 s')), 15_000);
      c.once('secureConnect', () => {
        clearTimeout(timer);
        resolve(c.alpnProtocol);
      });
      c.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
    assert.equal(await seen, 'h\u00ff');
    assert.equal(ours, 'h\u00ff');
    c.destroy();
  } finally {
    server.close();
  }
});
