/**
 * TLS 1.2 secure renegotiation (RFC 5746) between our engines: server-initiated with HelloRequest, a client
 * certificate asked for only in the renegotiation (the IIS/.NET pattern), application data interleaved, keys
 * switched at the new ChangeCipherSpec, the limit, client-initiated renegotiation refused unless allowed, and
 * renegotiation_info checked on both sides.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createClientEngine, createServerEngine, type TlsEngine } from '../../../src/engine/connection.js';
import type { EngineEvent } from '../../../src/vocabulary/events.js';
import type { ClientOptions, ServerOptions } from '../../../src/vocabulary/options.js';
import { AlertDescription, CipherSuite, ContentType, ExtensionType } from '../../../src/wire/registry.js';
import { encodeClientHello } from '../../../src/wire/client-hello.js';
import { encodeServerHello } from '../../../src/wire/server-hello.js';
import { NodeCryptoProvider } from '../../../src/crypto/node-provider.js';
import { suiteById } from '../../../src/crypto/suites.js';
import { DirectionState } from '../../../src/record/protection.js';
import { keyBlock } from '../../../src/tls12/prf.js';
import { getPki, type LeafFiles } from '../../helpers/pki.js';

const pki = await getPki();
const provider = new NodeCryptoProvider();
const creds = (l: LeafFiles) => ({ cert: l.chainPem, key: l.keyPem });
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const str = (parts: readonly Uint8Array[]): string => parts.map((x) => new TextDecoder().decode(x)).join('');

interface Side {
  readonly e: TlsEngine;
  readonly events: EngineEvent[];
  readonly data: Uint8Array[];
  /** Every record this side sent after the first handshake: [content type, ...]. */
  readonly types: number[];
}

function pair(server: Partial<ServerOptions> = {}, client: Partial<ClientOptions> = {}): { c: Side; s: Side; randoms: { client: Uint8Array; server: Uint8Array } } {
  const s = createServerEngine({ certificates: [creds(pki.server.p256)], ca: pki.ca.certPem, ...server });
  const c = createClientEngine({ ca: pki.ca.certPem, maxVersion: 'TLSv1.2', servername: 'localhost', ...client });
  const cs: Side = { e: c, events: [], data: [], types: [] };
  const ss: Side = { e: s, events: [], data: [], types: [] };
  const hello = c.start();
  const first = s.process(hello);
  const randoms = { client: hello.slice(11, 43), server: first.output.slice(11, 43) };
  pump(cs, ss, first.output, true);
  assert.ok(c.isEstablished && s.isEstablished);
  assert.equal(c.version, 0x0303);
  cs.events.length = 0;
  ss.events.length = 0;
  return { c: cs, s: ss, randoms };
}

function recordTypes(bytes: Uint8Array): number[] {
  const out: number[] = [];
  for (let at = 0; at + 5 <= bytes.length; at += 5 + ((bytes[at + 3] as number) << 8 | (bytes[at + 4] as number))) out.push(bytes[at] as number);
  return out;
}

/** Deliver `first` (from the client) and pump both ways until quiet. */
function pump(c: Side, s: Side, first: Uint8Array, fromServer = false): void {
  let toS = fromServer ? new Uint8Array(0) : first;
  let toC = fromServer ? first : new Uint8Array(0);
  for (let i = 0; i < 20 && (toS.length > 0 || toC.length > 0); i++) {
    if (toS.length > 0) {
      const r = s.e.process(toS);
      s.events.push(...r.events);
      s.data.push(...r.plaintext);
      s.types.push(...recordTypes(r.output));
      toC = concat(toC, r.output);
      toS = new Uint8Array(0);
    }
    if (toC.length > 0) {
      const r = c.e.process(toC);
      c.events.push(...r.events);
      c.data.push(...r.plaintext);
      c.types.push(...recordTypes(r.output));
      toS = r.output;
      toC = new Uint8Array(0);
    }
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const o = new Uint8Array(a.length + b.length);
  o.set(a);
  o.set(b, a.length);
  return o;
}

test('server-initiated renegotiation: HelloRequest, new full handshake under the old keys, new keys after it', () => {
  const { c, s } = pair();
  const before = { c: c.e.exportKeyingMaterial('EXPERIMENTAL r', null, 32), s: s.e.exportKeyingMaterial('EXPERIMENTAL r', null, 32) };
  assert.deepEqual(before.c, before.s);
  const uniqueBefore = c.e.tlsUnique;
  const hr = s.e.requestRenegotiation({ clientAuth: 'none', enforce: false });
  // One protected handshake record (HelloRequest, 4 bytes, under AES-GCM: 5 + 8 + 4 + 16).
  assert.deepEqual(recordTypes(hr), [ContentType.Handshake]);
  assert.equal(hr.length, 5 + 8 + 4 + 16);
  pump(c, s, hr, true);
  assert.ok(c.e.isEstablished && s.e.isEstablished && !c.e.renegotiating && !s.e.renegotiating);
  assert.equal(c.events.filter((x) => x.type === 'Renegotiated').length, 1);
  assert.equal(s.events.filter((x) => x.type === 'Renegotiated').length, 1);
  // New master secret: the exporter changed, identically on both sides; tls-unique is the new client Finished.
  const after = { c: c.e.exportKeyingMaterial('EXPERIMENTAL r', null, 32), s: s.e.exportKeyingMaterial('EXPERIMENTAL r', null, 32) };
  assert.deepEqual(after.c, after.s);
  assert.notDeepEqual(after.c, before.c);
  assert.notDeepEqual(c.e.tlsUnique, uniqueBefore);
  // The renegotiation ran as a full handshake: the client sent a ClientHello, CCS, and its flight.
  assert.ok(c.types.includes(ContentType.ChangeCipherSpec) && s.types.includes(ContentType.ChangeCipherSpec));
  // Data flows under the new keys.
  s.data.length = 0;
  pump(c, s, c.e.seal(text('after')));
  assert.equal(str(s.data), 'after');
});

test('a client certificate requested only in the renegotiation (IIS / .NET pattern) reaches the server', () => {
  const { c, s } = pair({}, { clientCertificate: creds(pki.client) });
  assert.equal(s.e.info?.peerCertificates.length, 0);
  pump(c, s, s.e.requestRenegotiation({ clientAuth: 'required', enforce: true }), true);
  const done = s.events.find((x) => x.type === 'Renegotiated');
  assert.ok(done !== undefined && done.type === 'Renegotiated');
  assert.ok(done.info.peerCertificates.length >= 1);
  assert.equal(done.info.authorized, true);
  assert.deepEqual(s.e.info?.peerCertificates[0], done.info.peerCertificates[0]);
  assert.ok(c.events.some((x) => x.type === 'CertificateRequested'));
});

test('a renegotiation requiring a certificate fails with handshake_failure when the client has none', () => {
  const { c, s } = pair();
  assert.throws(() => pump(c, s, s.e.requestRenegotiation({ clientAuth: 'required', enforce: true }), true), (e: { alert?: string }) => e.alert === 'handshake_failure');
  assert.ok(s.e.failed !== undefined);
});

test('application data interleaves with the renegotiation in both directions', () => {
  const { c, s } = pair();
  const hr = s.e.requestRenegotiation({ clientAuth: 'none', enforce: false });
  // The server sends data right after HelloRequest (old keys).
  const r1 = c.e.process(concat(hr, s.e.seal(text('s1'))));
  assert.equal(str(r1.plaintext), 's1');
  assert.ok(c.e.renegotiating);
  // The client's ClientHello, then data under the old keys.
  const ch = concat(r1.output, c.e.seal(text('c1')));
  const r2 = s.e.process(ch);
  assert.equal(str(r2.plaintext), 'c1');
  assert.ok(s.e.renegotiating);
  // The server's flight (ServerHello..ServerHelloDone), then data, still under the old keys.
  const r3 = c.e.process(concat(r2.output, s.e.seal(text('s2'))));
  assert.equal(str(r3.plaintext), 's2');
  // The client's flight ends with CCS + Finished: data after it is under the new keys.
  const r4 = s.e.process(concat(r3.output, c.e.seal(text('c2'))));
  assert.equal(str(r4.plaintext), 'c2');
  assert.ok(r4.events.some((x) => x.type === 'Renegotiated'));
  const r5 = c.e.process(concat(r4.output, s.e.seal(text('s3'))));
  assert.equal(str(r5.plaintext), 's3');
  assert.ok(r5.events.some((x) => x.type === 'Renegotiated'));
  assert.ok(!c.e.renegotiating && !s.e.renegotiating);
});

test('the limit: maxRenegotiations runs on the server, the next request throws without failing the connection', () => {
  const { c, s } = pair({ maxRenegotiations: 2 });
  for (let i = 0; i < 2; i++) pump(c, s, s.e.requestRenegotiation({ clientAuth: 'none', enforce: false }), true);
  assert.equal(s.events.filter((x) => x.type === 'Renegotiated').length, 2);
  assert.throws(() => s.e.requestRenegotiation({ clientAuth: 'none', enforce: false }), (e: { reason?: string }) => e.reason === 'LimitExceeded.TooManyRenegotiations');
  assert.equal(s.e.failed, undefined);
  pump(c, s, c.e.seal(text('alive')));
  assert.equal(str(s.data), 'alive');
});

test('maxRenegotiations 0 on the server refuses to start one', () => {
  const { s } = pair({ maxRenegotiations: 0 });
  assert.throws(() => s.e.requestRenegotiation({ clientAuth: 'none', enforce: false }), (e: { reason?: string }) => e.reason === 'LimitExceeded.TooManyRenegotiations');
});

test('the client limit: past maxRenegotiations a HelloRequest gets no_renegotiation and data goes on', () => {
  const { c, s } = pair({}, { maxRenegotiations: 1 });
  pump(c, s, s.e.requestRenegotiation({ clientAuth: 'none', enforce: false }), true);
  assert.equal(c.events.filter((x) => x.type === 'Renegotiated').length, 1);
  pump(c, s, s.e.requestRenegotiation({ clientAuth: 'none', enforce: false }), true);
  assert.deepEqual(s.events.filter((x) => x.type === 'WarningAlert'), [{ type: 'WarningAlert', description: AlertDescription.no_renegotiation }]);
  assert.equal(s.events.filter((x) => x.type === 'Renegotiated').length, 1);
  pump(c, s, c.e.seal(text('alive')));
  assert.equal(str(s.data), 'alive');
});

/** A client-initiated renegotiation ClientHello (our client never starts one), sealed under the client's keys. */
function injectedHello(opts: { allow: boolean; ri?: (verifyData: Uint8Array) => Uint8Array | undefined; scsv?: boolean }): { c: Side; s: Side; output: Uint8Array } {
  const lines: string[] = [];
  const { c, s, randoms } = pair({ allowClientRenegotiation: opts.allow, ciphers: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', keyLog: (l) => lines.push(l) });
  const [, , ms] = (lines[0] ?? '').split(' ');
  const suite = suiteById(CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)!;
  const kb = keyBlock(provider, suite, new Uint8Array(Buffer.from(ms ?? '', 'hex')), randoms.client, randoms.server);
  const w = new DirectionState();
  w.install12(provider, suite, kb.clientWriteKey, kb.clientWriteIv);
  w.seq = 1; // the client's Finished used 0
  // RFC 5746 §3.5: a client renegotiating sends its previous client_verify_data (tls-unique of a full handshake).
  const verifyData = c.e.tlsUnique as Uint8Array;
  const ri = opts.ri !== undefined ? opts.ri(verifyData) : new Uint8Array([verifyData.length, ...verifyData]);
  const exts = [
    ...(ri !== undefined ? [{ type: ExtensionType.renegotiation_info, data: ri }] : []),
    { type: ExtensionType.extended_master_secret, data: new Uint8Array(0) },
    { type: ExtensionType.supported_groups, data: new Uint8Array([0, 2, 0, 0x17]) },
    { type: ExtensionType.signature_algorithms, data: new Uint8Array([0, 2, 4, 3]) },
  ];
  const suites: number[] = [CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256];
  if (opts.scsv === true) suites.push(CipherSuite.TLS_EMPTY_RENEGOTIATION_INFO_SCSV);
  const hello = encodeClientHello({ legacyVersion: 0x0303, random: new Uint8Array(32).fill(7), legacySessionId: new Uint8Array(0), cipherSuites: suites, legacyCompressionMethods: new Uint8Array([0]), extensions: exts });
  const sealed = w.seal(ContentType.Handshake, hello);
  const r = s.e.process(sealed);
  s.events.push(...r.events);
  return { c, s, output: r.output };
}

test('client-initiated renegotiation is refused with a no_renegotiation warning by default', () => {
  const { c, s, output } = injectedHello({ allow: false });
  assert.deepEqual(recordTypes(output), [ContentType.Alert]);
  assert.equal(output.length, 5 + 8 + 2 + 16);
  assert.ok(!s.e.renegotiating && s.e.failed === undefined);
  const r = c.e.process(output);
  assert.deepEqual(r.events, [{ type: 'WarningAlert', description: AlertDescription.no_renegotiation }]);
});

test('allowClientRenegotiation: a client-initiated renegotiation with the right renegotiation_info is run', () => {
  const { s, output } = injectedHello({ allow: true });
  assert.ok(s.e.renegotiating);
  // ServerHello, Certificate, ServerKeyExchange, ServerHelloDone in one protected handshake record.
  assert.deepEqual(recordTypes(output), [ContentType.Handshake]);
  assert.ok(output.length > 300);
});

test('RFC 5746 §3.7: a renegotiation ClientHello with the wrong, empty or missing renegotiation_info, or the SCSV, is handshake_failure', () => {
  const cases: { ri?: (v: Uint8Array) => Uint8Array | undefined; scsv?: boolean }[] = [
    { ri: () => undefined },
    { ri: () => undefined, scsv: true },
    { ri: (v) => new Uint8Array([v.length, ...v.map((b, i) => (i === 0 ? b ^ 1 : b))]) },
    { ri: () => new Uint8Array([0]) },
    { scsv: true },
  ];
  for (const cs of cases) {
    assert.throws(() => injectedHello({ allow: true, ...cs }), (e: { reason?: string; alert?: string }) => e.reason === 'PeerMisbehaved.RenegotiationInfoInvalid' && e.alert === 'handshake_failure');
  }
});

/** Records of `bytes` as [type, body length]. */
function records(bytes: Uint8Array): [number, number][] {
  const out: [number, number][] = [];
  for (let at = 0; at + 5 <= bytes.length; ) {
    const len = ((bytes[at + 3] as number) << 8) | (bytes[at + 4] as number);
    out.push([bytes[at] as number, len]);
    at += 5 + len;
  }
  return out;
}

test('RFC 5246 §6.2.3: a renegotiation\'s ChangeCipherSpec records are protected by the keys they replace (AES-GCM: 8 + 1 + 16 bytes)', () => {
  const { c, s } = pair({ ciphers: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256' });
  const ch = c.e.process(s.e.requestRenegotiation({ clientAuth: 'none', enforce: false })).output;
  const flight = c.e.process(s.e.process(ch).output).output;
  assert.deepEqual(records(flight).filter(([t]) => t === ContentType.ChangeCipherSpec), [[ContentType.ChangeCipherSpec, 25]]);
  const fin = s.e.process(flight).output;
  assert.deepEqual(records(fin).filter(([t]) => t === ContentType.ChangeCipherSpec), [[ContentType.ChangeCipherSpec, 25]]);
  c.e.process(fin);
  assert.ok(!c.e.renegotiating && !s.e.renegotiating);
});

test('RFC 5746 §3.5: the client refuses a renegotiation ServerHello whose renegotiation_info is not both verify_data values', () => {
  for (const bad of ['empty', 'client only', 'flipped'] as const) {
    const lines: string[] = [];
    const { c, s, randoms } = pair({ ciphers: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', keyLog: (l) => lines.push(l) });
    const cvd = c.e.tlsUnique as Uint8Array; // the client's Finished of the full handshake
    c.e.process(s.e.requestRenegotiation({ clientAuth: 'none', enforce: false })); // server record seq 1
    const [, , ms] = (lines[0] ?? '').split(' ');
    const suite = suiteById(CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)!;
    const kb = keyBlock(provider, suite, new Uint8Array(Buffer.from(ms ?? '', 'hex')), randoms.client, randoms.server);
    const w = new DirectionState();
    w.install12(provider, suite, kb.serverWriteKey, kb.serverWriteIv);
    w.seq = 2;
    // The server's verify_data is not known here: a correct-length value that cannot be right stands in for it.
    const ri = bad === 'empty' ? new Uint8Array([0]) : bad === 'client only' ? new Uint8Array([cvd.length, ...cvd]) : new Uint8Array([cvd.length * 2, ...cvd, ...cvd]);
    const sh = encodeServerHello({
      legacyVersion: 0x0303,
      random: new Uint8Array(32).fill(9),
      legacySessionIdEcho: new Uint8Array(0),
      cipherSuite: CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
      legacyCompressionMethod: 0,
      extensions: [
        { type: ExtensionType.renegotiation_info, data: ri },
        { type: ExtensionType.extended_master_secret, data: new Uint8Array(0) },
      ],
    });
    assert.throws(() => c.e.process(w.seal(ContentType.Handshake, sh)), (e: { reason?: string; alert?: string }) => e.reason === 'PeerMisbehaved.RenegotiationInfoInvalid' && e.alert === 'handshake_failure', bad);
  }
});

test('renegotiate with requestCert and rejectUnauthorized false: an untrusted client certificate completes with authorized false; with true it fails', () => {
  const lax = pair({}, { clientCertificate: creds(pki.untrustedClient) });
  pump(lax.c, lax.s, lax.s.e.requestRenegotiation({ clientAuth: 'optional', enforce: false }), true);
  const done = lax.s.events.find((x) => x.type === 'Renegotiated');
  assert.ok(done !== undefined && done.type === 'Renegotiated');
  assert.equal(done.info.peerCertificates.length >= 1, true);
  assert.equal(done.info.authorized, false);
  assert.match(done.info.authorizationError ?? '', /./);
  const strict = pair({}, { clientCertificate: creds(pki.untrustedClient) });
  assert.throws(() => pump(strict.c, strict.s, strict.s.e.requestRenegotiation({ clientAuth: 'required', enforce: true }), true), (e: { alert?: string }) => e.alert === 'unknown_ca' || e.alert === 'bad_certificate');
});
