/**
 * The hello stage (src/engine/hello-stage.ts): the ClientHello is decoded once at the Accepted point, the caller
 * chooses the configuration from it, and the handshake goes on with that decoded hello, byte for byte as if the
 * engine had read the hello itself. Also: a hello cut into 1-byte records fed a byte at a time, and input that
 * cannot start a handshake (refused with a plaintext alert).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { doHandshake, encodeRecords, pairOptions, parseRecords } from '../../helpers/pair.js';
import { TlsClient, TlsServer } from '../../../src/api/connection.js';
import { HelloStage, type Accepted } from '../../../src/engine/hello-stage.js';
import { TlsEngine } from '../../../src/engine/connection.js';
import { ContentType, ProtocolVersion } from '../../../src/wire/registry.js';
import { TlsError } from '../../../src/errors.js';

/** The client's first flight, re-cut into records of `size` body bytes. */
function recut(flight: Uint8Array, size: number): Uint8Array {
  const [rec] = parseRecords(flight);
  assert.ok(rec !== undefined);
  const out = [];
  for (let at = 0; at < rec.body.length; at += size) out.push({ type: rec.type, version: rec.version, body: rec.body.subarray(at, at + size) });
  return encodeRecords(out);
}

test('the Accepted path answers with the same bytes as the engine reading the hello itself', async () => {
  const a = await pairOptions({ ALPNProtocols: ['h2'] }, { ALPNProtocols: ['h2', 'http/1.1'] }, { seed: 'accepted' });
  const b = await pairOptions({ ALPNProtocols: ['h2'] }, { ALPNProtocols: ['h2', 'http/1.1'] }, { seed: 'accepted' });
  const hello = new TlsClient(a.client).connect().takeOutput();
  assert.deepEqual(new TlsClient(b.client).connect().takeOutput(), hello, 'seeded clients agree');

  const direct = new TlsServer(a.server).accept();
  direct.receive(hello);
  const stage = new HelloStage();
  const accepted = stage.push(hello);
  assert.ok(accepted !== undefined);
  assert.equal(accepted.clientHello.serverName, 'localhost');
  assert.deepEqual(accepted.clientHello.alpn.map((id) => new TextDecoder().decode(id)), ['h2', 'http/1.1']);
  assert.ok(accepted.clientHello.versions.includes(ProtocolVersion.TLS13));
  assert.ok(accepted.clientHello.cipherSuites.length > 0);
  const viaStage = new TlsServer(b.server).accept(undefined, accepted);
  assert.deepEqual(viaStage.takeOutput(), direct.takeOutput());
});

test('a ClientHello in 1-byte records, fed a byte at a time, is accepted once complete and the handshake completes', async () => {
  const o = await pairOptions({}, {}, { seed: 'tiny' });
  const client = new TlsClient(o.client).connect();
  const wire = recut(client.takeOutput(), 1);
  const stage = new HelloStage();
  let accepted: Accepted | undefined;
  let fed = 0;
  for (; fed < wire.length && accepted === undefined; fed++) accepted = stage.push(wire.subarray(fed, fed + 1));
  assert.ok(accepted !== undefined, 'accepted');
  assert.equal(fed, wire.length, 'accepted exactly at the last byte');
  assert.equal(accepted.rest.length, 0);
  const server = new TlsServer(o.server).accept(undefined, accepted);
  doHandshake({ client, server });
  assert.equal(server.engine.info?.version, 'TLSv1.3');
});

test('the caller chooses the configuration at the Accepted point (by server name)', async () => {
  const o = await pairOptions({}, { servername: 'alt.test' }, { seed: 'sni' });
  const pki = o.pki;
  const servers = new Map([
    ['localhost', new TlsServer(o.server)],
    ['alt.test', new TlsServer({ ...o.server, certificates: [{ cert: pki.alt.chainPem, key: pki.alt.keyPem }] })],
  ]);
  const client = new TlsClient(o.client).connect();
  const accepted = new HelloStage().push(client.takeOutput());
  assert.ok(accepted !== undefined);
  const chosen = servers.get(accepted.clientHello.serverName ?? '');
  assert.ok(chosen !== undefined);
  const server = chosen.accept(undefined, accepted);
  doHandshake({ client, server });
  assert.deepEqual(client.engine.info?.peerCertificates[0], pki.alt.certDer);
});

test('bytes after the ClientHello are handed over in `rest`, and the hello is not decoded again', async () => {
  const o = await pairOptions({}, {}, { seed: 'rest' });
  const client = new TlsClient(o.client).connect();
  const hello = client.takeOutput();
  const ccs = new Uint8Array([ContentType.ChangeCipherSpec, 3, 3, 0, 1, 1]);
  const both = new Uint8Array(hello.length + ccs.length);
  both.set(hello);
  both.set(ccs, hello.length);
  const accepted = new HelloStage().push(both);
  assert.deepEqual(accepted?.rest, ccs);
  // The engine built from it never sees the hello's bytes: feeding only `rest` is enough to answer.
  const engine: TlsEngine = (accepted as Accepted).engine(new TlsServer(o.server).config);
  const r = engine.process((accepted as Accepted).rest);
  assert.ok(r.output.length > 0);
  assert.equal(r.consumed, ccs.length);
});

test('input that cannot start a handshake is refused with a plaintext fatal alert', () => {
  for (const [bytes, alert] of [
    [new Uint8Array([ContentType.ApplicationData, 3, 3, 0, 1, 0]), 'unexpected_message'],
    [new Uint8Array([ContentType.Handshake, 3, 3, 0, 4, 2, 0, 0, 0]), 'unexpected_message'],
    [new Uint8Array([0x47, 0x45, 0x54, 0x20, 0x2f]), 'unexpected_message'],
  ] as const) {
    const stage = new HelloStage();
    assert.throws(() => stage.push(bytes), (e: unknown) => e instanceof TlsError && e.alert === alert);
    const rec = stage.takeAlert();
    assert.equal(rec?.[0], ContentType.Alert);
    assert.equal(rec?.[5], 2);
    assert.throws(() => stage.push(new Uint8Array(0)), TlsError, 'latched');
  }
});
