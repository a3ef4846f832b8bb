/**
 * TLS 1.2 in memory, our client ↔ our server: every suite × group, resumption by session id and by ticket,
 * client certificates, refusals checked on the wire, renegotiation refused with the connection surviving (renegotiation itself: renegotiation.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TlsClient, TlsServer, type TlsConnection } from '../../../src/index.js';
import { createClientEngine, createServerEngine, type TlsEngine } from '../../../src/engine/connection.js';
import { NodeCryptoProvider } from '../../../src/crypto/node-provider.js';
import { suiteById } from '../../../src/crypto/suites.js';
import { DirectionState } from '../../../src/record/protection.js';
import { keyBlock } from '../../../src/tls12/prf.js';
import { encodeClientHello } from '../../../src/wire/client-hello.js';
import { encode } from '../../../src/codec/writer.js';
import { AlertDescription, CipherSuite, ContentType, ExtensionType, HandshakeType, NamedGroup } from '../../../src/wire/registry.js';
import { getPki, type LeafFiles } from '../../helpers/pki.js';

const pki = await getPki();
const p = new NodeCryptoProvider();
const creds = (l: LeafFiles) => ({ cert: l.chainPem, key: l.keyPem });

function drive(c: TlsConnection, s: TlsConnection): void {
  for (let i = 0; i < 50; i++) {
    const a = c.takeOutput();
    if (a.length > 0) s.receive(a);
    const b = s.takeOutput();
    if (b.length > 0) c.receive(b);
    if (a.length === 0 && b.length === 0) return;
  }
  throw new Error('drive: no quiescence');
}

function collect(conn: TlsConnection): Uint8Array[] {
  const got: Uint8Array[] = [];
  conn.on('data', (d) => got.push(d.slice()));
  return got;
}
const joined = (parts: readonly Uint8Array[]): Buffer => Buffer.concat(parts);

const TLS12_SUITES = [
  ['TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'p256'],
  ['TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', 'p384'],
  ['TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', 'ed25519'],
  ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'rsa2048'],
  ['TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', 'rsa2048'],
  ['TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256', 'rsa2048'],
] as const;
const GROUPS = [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1];

for (const [name, leaf] of TLS12_SUITES) {
  for (const group of GROUPS) {
    test(`handshake and data both ways: ${name} with group 0x${group.toString(16)} (${leaf} certificate)`, () => {
      const keyLog: string[] = [];
      // The server does only `group`; the client also lists its certificate's curve (RFC 8422 §5.1.1).
      const server = new TlsServer({ certificates: [creds(pki.server[leaf])], ciphers: name, groups: [group], keyLog: (l) => keyLog.push(l) });
      const certCurve = leaf === 'p256' ? [NamedGroup.secp256r1] : leaf === 'p384' ? [NamedGroup.secp384r1] : [];
      const client = new TlsClient({ ca: pki.ca.certPem, maxVersion: 'TLSv1.2', groups: [...new Set([group, ...certCurve])], servername: 'localhost', ALPNProtocols: ['h2', 'http/1.1'] });
      const s = server.accept();
      const c = client.connect();
      const sGot = collect(s);
      const cGot = collect(c);
      drive(c, s);
      assert.ok(c.isHandshakeComplete && s.isHandshakeComplete);
      for (const info of [c.info, s.info]) {
        assert.equal(info?.version, 'TLSv1.2');
        assert.equal(info?.cipherName, name);
        assert.equal(info?.group, group);
        assert.equal(info?.resumed, false);
      }
      assert.equal(c.info?.alpnProtocol, null);
      assert.equal(c.info?.peerCertificates.length, 2);
      const big = p.randomBytes(100_000);
      c.write(big);
      s.write(big.subarray(0, 70_000));
      drive(c, s);
      assert.deepEqual(joined(sGot), Buffer.from(big));
      assert.deepEqual(joined(cGot), Buffer.from(big.subarray(0, 70_000)));
      // RFC 5705 exporter: both sides agree; keylog carries CLIENT_RANDOM.
      assert.deepEqual(c.exportKeyingMaterial(32, 'EXPERIMENTAL test', new Uint8Array([1])), s.exportKeyingMaterial(32, 'EXPERIMENTAL test', new Uint8Array([1])));
      assert.match(keyLog[0] ?? '', /^CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}$/);
    });
  }
}

test('ALPN, SNI and the downgrade sentinel when the server could do TLS 1.3', () => {
  const server = new TlsServer({ certificates: [creds(pki.server.p256), creds(pki.alt)], ALPNProtocols: ['h2', 'http/1.1'] });
  const client = new TlsClient({ ca: pki.ca.certPem, maxVersion: 'TLSv1.2', ALPNProtocols: ['http/1.1'] });
  const s = server.accept();
  const c = client.connect('alt.test');
  let serverHello: Uint8Array | undefined;
  const first = c.takeOutput();
  s.receive(first);
  const flight = s.takeOutput();
  serverHello = flight.subarray(5, 5 + 4 + ((flight[6]! << 16) | (flight[7]! << 8) | flight[8]!));
  c.receive(flight);
  drive(c, s);
  assert.equal(c.info?.alpnProtocol, 'http/1.1');
  assert.equal(s.info?.serverName, 'alt.test');
  assert.deepEqual(c.info?.peerCertificates[0], pki.alt.certDer);
  // RFC 8446 §4.1.3: DOWNGRD\x01 in the last 8 bytes of ServerHello.random.
  assert.equal(Buffer.from(serverHello.subarray(4 + 2 + 24, 4 + 2 + 32)).toString('latin1'), 'DOWNGRD\x01');
});

test('a TLS 1.3-capable client gets TLS 1.2 from a TLS 1.2-only server (no sentinel)', () => {
  const server = new TlsServer({ certificates: [creds(pki.server.p256)], maxVersion: 'TLSv1.2' });
  const client = new TlsClient({ ca: pki.ca.certPem });
  const s = server.accept();
  const c = client.connect('localhost');
  drive(c, s);
  assert.equal(c.info?.version, 'TLSv1.2');
  assert.equal(s.info?.version, 'TLSv1.2');
});

test('a TLS 1.3-capable client refuses a TLS 1.2 ServerHello carrying the downgrade sentinel → illegal_parameter', () => {
  const server = createServerEngine({ certificates: [creds(pki.server.p256)] });
  const only12 = createClientEngine({ ca: pki.ca.certPem, maxVersion: 'TLSv1.2' });
  const flight = server.process(only12.start()).output; // a TLS 1.3-capable server negotiating 1.2 sets DOWNGRD\x01
  const capable = createClientEngine({ ca: pki.ca.certPem });
  capable.start();
  assert.throws(() => capable.process(flight), (e: { reason?: string; alert?: string }) => e.reason === 'PeerMisbehaved.DowngradeDetected' && e.alert === 'illegal_parameter');
  assert.deepEqual([...(capable.takeAlert() ?? [])], [ContentType.Alert, 3, 3, 0, 2, 2, AlertDescription.illegal_parameter]);
});

test('resumption by session id and by ticket', () => {
  const server = new TlsServer({ certificates: [creds(pki.server.p256)] });
  for (const mode of ['ticket', 'id'] as const) {
    if (mode === 'id') (server.config as { ticketCount: number }).ticketCount = 0;
    const client = new TlsClient({ ca: pki.ca.certPem, maxVersion: 'TLSv1.2', ALPNProtocols: ['h2'] });
    const sessions: unknown[] = [];
    const c1 = client.connect('localhost');
    c1.on('session', (t) => sessions.push(t));
    const s1 = server.accept();
    drive(c1, s1);
    assert.equal(c1.info?.resumed, false);
    assert.equal(sessions.length, 1, `${mode}: one session stored`);
    const c2 = client.connect('localhost');
    const s2 = server.accept();
    const got = collect(s2);
    drive(c2, s2);
    assert.equal(c2.info?.resumed, true, `${mode}: client resumed`);
    assert.equal(s2.info?.resumed, true, `${mode}: server resumed`);
    assert.equal(c2.info?.peerCertificates.length, 2);
    c2.write(new TextEncoder().encode('after resumption'));
    drive(c2, s2);
    assert.equal(joined(got).toString(), 'after resumption');
    assert.deepEqual(c2.exportKeyingMaterial(16, 'EXPERIMENTAL r'), s2.exportKeyingMaterial(16, 'EXPERIMENTAL r'));
    // And once more from the session stored by the resumed connection.
    const c3 = client.connect('localhost');
    const s3 = server.accept();
    drive(c3, s3);
    assert.equal(c3.info?.resumed, true, `${mode}: second resumption`);
  }
  (server.config as { ticketCount: number }).ticketCount = 2;
});

test('a ticket for another server name is not resumed (full handshake instead)', () => {
  const server = new TlsServer({ certificates: [creds(pki.server.p256), creds(pki.alt)] });
  const client = new TlsClient({ ca: pki.ca.certPem, maxVersion: 'TLSv1.2' });
  let ticket: Parameters<TlsClient['connect']>[1];
  const c1 = client.connect('localhost');
  c1.on('session', (t) => (ticket = t));
  drive(c1, server.accept());
  assert.ok(ticket);
  const c2 = client.connect('alt.test', { ...ticket, serverName: 'alt.test' });
  const s2 = server.accept();
  drive(c2, s2);
  assert.equal(c2.info?.resumed, false);
});

test('client certificates: required, optional without one, required without one → handshake_failure', () => {
  const server = new TlsServer({ certificates: [creds(pki.server.rsa2048)], requestCert: true, ca: pki.ca.certPem });
  const client = new TlsClient({ ca: pki.ca.certPem, maxVersion: 'TLSv1.2', clientCertificate: creds(pki.client) });
  const s = server.accept();
  const c = client.connect('localhost');
  drive(c, s);
  assert.deepEqual(s.info?.peerCertificates[0], pki.client.certDer);

  const optional = new TlsServer({ certificates: [creds(pki.server.p256)], clientAuth: 'optional', ca: pki.ca.certPem });
  const anon = new TlsClient({ ca: pki.ca.certPem, maxVersion: 'TLSv1.2' });
  const s2 = optional.accept();
  const c2 = anon.connect('localhost');
  drive(c2, s2);
  assert.equal(s2.info?.peerCertificates.length, 0);

  const s3 = server.accept();
  const c3 = anon.connect('localhost');
  assert.throws(() => drive(c3, s3), (e: { alert?: string }) => e.alert === 'handshake_failure');

  // A client certificate from an unknown CA is refused with unknown_ca.
  const stranger = new TlsClient({ ca: pki.ca.certPem, maxVersion: 'TLSv1.2', clientCertificate: creds(pki.untrustedClient) });
  const s4 = server.accept();
  const c4 = stranger.connect('localhost');
  assert.throws(() => drive(c4, s4), (e: { alert?: string }) => e.alert === 'unknown_ca');
});

/** Build a raw ClientHello handshake message. */
function clientHello(opts: { version?: number; suites?: number[]; ems?: boolean; groups?: number[] }): Uint8Array {
  const exts: { type: number; data: Uint8Array }[] = [
    { type: ExtensionType.supported_groups, data: encode((w) => w.vec16((w) => { for (const g of opts.groups ?? [NamedGroup.x25519]) w.u16(g); })) },
    { type: ExtensionType.signature_algorithms, data: encode((w) => w.vec16((w) => w.u16(0x0403).u16(0x0804))) },
    { type: ExtensionType.renegotiation_info, data: new Uint8Array([0]) },
  ];
  if (opts.ems !== false) exts.push({ type: ExtensionType.extended_master_secret, data: new Uint8Array(0) });
  return encodeClientHello({
    legacyVersion: opts.version ?? 0x0303,
    random: p.randomBytes(32),
    legacySessionId: new Uint8Array(0),
    cipherSuites: opts.suites ?? [CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256],
    legacyCompressionMethods: new Uint8Array([0]),
    extensions: exts,
  });
}

function record(type: number, body: Uint8Array): Uint8Array {
  const r = new Uint8Array(5 + body.length);
  r.set([type, 3, 3, body.length >> 8, body.length & 0xff]);
  r.set(body, 5);
  return r;
}

function refuse(hello: Uint8Array, alert: number, reason: RegExp): void {
  const server = createServerEngine({ certificates: [creds(pki.server.p256)] });
  assert.throws(() => server.process(record(ContentType.Handshake, hello)), (e: { reason?: string }) => reason.test(e.reason ?? ''));
  // On the wire: exactly one plaintext fatal alert record, and nothing else.
  assert.deepEqual([...(server.takeAlert() ?? [])], [ContentType.Alert, 3, 3, 0, 2, 2, alert]);
  assert.equal(server.takeOutput().length, 0);
}

test('refuses a ClientHello with only CBC and RSA key transport suites → handshake_failure', () => {
  refuse(clientHello({ suites: [0xc013, 0xc014, 0x002f, 0x0035, 0x009c] }), AlertDescription.handshake_failure, /NoCommonCipherSuite/);
});

test('refuses a TLS 1.1 ClientHello → protocol_version', () => {
  refuse(clientHello({ version: 0x0302 }), AlertDescription.protocol_version, /ObsoleteVersion/);
});

test('refuses a ClientHello without extended_master_secret → handshake_failure', () => {
  refuse(clientHello({ ems: false }), AlertDescription.handshake_failure, /ExtendedMasterSecretMissing/);
});

test('refuses a ClientHello whose groups are all unsupported → handshake_failure', () => {
  refuse(clientHello({ groups: [NamedGroup.ffdhe2048] }), AlertDescription.handshake_failure, /NoCommon(Group|CipherSuite)/);
});

test('refuses an ECDSA certificate on a curve the client does not list (RFC 8422 §5.1.1) → handshake_failure', () => {
  refuse(clientHello({ groups: [NamedGroup.x25519, NamedGroup.secp384r1] }), AlertDescription.handshake_failure, /NoCommonCipherSuite/);
});

/** Complete a TLS 1.2 handshake on raw engines; returns both plus the master secret from the key log. */
function enginePair(clientOptions: { maxRenegotiations?: number } = {}): { c: TlsEngine; s: TlsEngine; master: Uint8Array; clientRandom: Uint8Array; serverRandom: Uint8Array } {
  const lines: string[] = [];
  const s = createServerEngine({ certificates: [creds(pki.server.p256)], ciphers: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', keyLog: (l) => lines.push(l) });
  const c = createClientEngine({ ca: pki.ca.certPem, maxVersion: 'TLSv1.2', servername: 'localhost', ...clientOptions });
  let toServer = c.start();
  const ch = toServer.slice();
  let serverRandom: Uint8Array | undefined;
  for (let i = 0; i < 10 && toServer.length > 0; i++) {
    const r = s.process(toServer);
    serverRandom ??= r.output.slice(5 + 4 + 2, 5 + 4 + 2 + 32);
    toServer = c.process(r.output).output;
  }
  assert.ok(c.isEstablished && s.isEstablished);
  const [, , ms] = (lines[0] ?? '').split(' ');
  return { c, s, master: new Uint8Array(Buffer.from(ms ?? '', 'hex')), clientRandom: ch.slice(5 + 4 + 2, 5 + 4 + 2 + 32), serverRandom: serverRandom as Uint8Array };
}

/** A record sealer for one direction, keyed like the engine (so a test can inject what our engines never send). */
function sealer(e: ReturnType<typeof enginePair>, fromClient: boolean, seq: number): DirectionState {
  const suite = suiteById(CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)!;
  const kb = keyBlock(p, suite, e.master, e.clientRandom, e.serverRandom);
  const d = new DirectionState();
  d.install12(p, suite, fromClient ? kb.clientWriteKey : kb.serverWriteKey, fromClient ? kb.clientWriteIv : kb.serverWriteIv);
  d.seq = seq;
  return d;
}

test('a renegotiating ClientHello gets a no_renegotiation warning and the connection survives', () => {
  const e = enginePair();
  const inject = sealer(e, true, 1); // the client's Finished used sequence number 0
  const r = e.s.process(inject.seal(ContentType.Handshake, clientHello({})));
  assert.equal(e.s.failed, undefined);
  assert.ok(r.events.some((x) => x.type === 'PostHandshake'));
  // On the wire: one protected alert record (2 + 8 + 16 bytes); the client sees a warning, not a failure.
  assert.equal(r.output.length, 5 + 8 + 2 + 16);
  const cr = e.c.process(r.output);
  assert.deepEqual(cr.events, [{ type: 'WarningAlert', description: AlertDescription.no_renegotiation }]);
  // Data still flows both ways.
  const back = e.c.process(e.s.seal(new TextEncoder().encode('still here')));
  assert.equal(new TextDecoder().decode(back.plaintext[0]), 'still here');
  const fwd = e.s.process(inject.seal(ContentType.ApplicationData, new TextEncoder().encode('me too')));
  assert.equal(new TextDecoder().decode(fwd.plaintext[0]), 'me too');
});

test('a HelloRequest to a client with maxRenegotiations 0 gets a no_renegotiation warning and the connection survives', () => {
  const e = enginePair({ maxRenegotiations: 0 });
  const inject = sealer(e, false, 1);
  const r = e.c.process(inject.seal(ContentType.Handshake, new Uint8Array([HandshakeType.HelloRequest, 0, 0, 0])));
  assert.equal(e.c.failed, undefined);
  const sr = e.s.process(r.output);
  assert.deepEqual(sr.events, [{ type: 'WarningAlert', description: AlertDescription.no_renegotiation }]);
  const fwd = e.s.process(e.c.seal(new TextEncoder().encode('ok')));
  assert.equal(new TextDecoder().decode(fwd.plaintext[0]), 'ok');
});

test('a tampered Finished is refused with decrypt_error or bad_record_mac', () => {
  const s = createServerEngine({ certificates: [creds(pki.server.p256)] });
  const c = createClientEngine({ ca: pki.ca.certPem, maxVersion: 'TLSv1.2', servername: 'localhost' });
  const r1 = s.process(c.start());
  const flight = c.process(r1.output).output;
  flight[flight.length - 1]! ^= 1;
  assert.throws(() => s.process(flight), (err: { alert?: string }) => err.alert === 'bad_record_mac');
});

test('a client capped at TLS 1.2 sends an empty session_id on a first connection (a non-empty one asks a TLS 1.2 server to resume it); a TLS 1.3-capable client keeps the 32-byte compatibility one', () => {
  // Record header (5) + handshake header (4) + client_version (2) + random (32), then the session_id length.
  const sessionIdLength = (maxVersion: 'TLSv1.2' | 'TLSv1.3'): number => {
    const hello = new TlsClient({ ca: pki.ca.certPem, servername: 'localhost', maxVersion }).connect().takeOutput();
    assert.equal(hello[5], 1, 'a ClientHello');
    return hello[43] as number;
  };
  assert.equal(sessionIdLength('TLSv1.2'), 0);
  assert.equal(sessionIdLength('TLSv1.3'), 32);
});
