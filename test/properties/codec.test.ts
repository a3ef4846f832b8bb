/**
 * Codec properties (DESIGN C.3 rule 9): decodeX(encodeX(x)) deep-equals x, and every strict prefix of a valid
 * encoding fails with a TlsError — except the prefixes the RFC allows, listed here as rustls lists them:
 *  - ClientHello / ServerHello without their extensions block (RFC 5246 §7.4.1.2/§7.4.1.3: extensions may be absent).
 * Also Reader/Writer round-trips of arbitrary field sequences.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Reader } from '../../src/codec/reader.js';
import { Writer } from '../../src/codec/writer.js';
import { TlsError } from '../../src/errors.js';
import { decodeClientHello, encodeClientHello, type ClientHello } from '../../src/wire/client-hello.js';
import { decodeServerHello, encodeServerHello, type ServerHello } from '../../src/wire/server-hello.js';
import {
  decodeCertificate13,
  decodeCertificateRequest13,
  decodeCertificateVerify,
  encodeCertificate13,
  encodeCertificateRequest13,
  encodeCertificateVerify,
} from '../../src/wire/certificate.js';
import { decodeEncryptedExtensions, decodeNewSessionTicket13, encodeEncryptedExtensions, encodeNewSessionTicket13 } from '../../src/wire/tls13-messages.js';
import type { RawExtension } from '../../src/wire/extensions.js';

const RUNS = 300;
const u16 = fc.integer({ min: 0, max: 0xffff });
const bytes = (min: number, max: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: min, maxLength: max });

/** Extensions with distinct types; pre_shared_key (41) kept last, as the ClientHello decoder requires. */
const extensionsArb: fc.Arbitrary<RawExtension[]> = fc
  .uniqueArray(fc.record({ type: u16, data: bytes(0, 24) }), { maxLength: 8, selector: (e) => e.type })
  .map((es) => [...es.filter((e) => e.type !== 41), ...es.filter((e) => e.type === 41)]);

const clientHelloArb: fc.Arbitrary<ClientHello> = fc.record({
  legacyVersion: u16,
  random: bytes(32, 32),
  legacySessionId: bytes(0, 32),
  cipherSuites: fc.array(u16, { minLength: 1, maxLength: 20 }),
  legacyCompressionMethods: bytes(1, 4),
  extensions: extensionsArb,
});

const serverHelloArb: fc.Arbitrary<ServerHello> = fc.record({
  legacyVersion: u16,
  random: bytes(32, 32),
  legacySessionIdEcho: bytes(0, 32),
  cipherSuite: u16,
  legacyCompressionMethod: fc.integer({ min: 0, max: 255 }),
  extensions: extensionsArb,
});

/** Normalise views to plain arrays so deepEqual compares contents. */
function plain(x: unknown): unknown {
  if (x instanceof Uint8Array) return Array.from(x);
  if (Array.isArray(x)) return x.map(plain);
  if (x !== null && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, plain(v)]));
  return x;
}

/** Every strict prefix of `body` fails to decode with a TlsError, except lengths in `allowed`. */
function everyPrefixFails(body: Uint8Array, decode: (b: Uint8Array) => unknown, allowed: ReadonlySet<number> = new Set()): void {
  for (let n = 0; n < body.length; n++) {
    if (allowed.has(n)) continue;
    assert.throws(() => decode(body.slice(0, n)), (e) => e instanceof TlsError && e.kind !== 'Internal', `prefix of ${n} of ${body.length} bytes decoded`);
  }
}

test('property: ClientHello round-trips; every strict prefix fails except the one without extensions', () => {
  fc.assert(
    fc.property(clientHelloArb, (ch) => {
      const body = encodeClientHello(ch).subarray(4);
      assert.deepEqual(plain(decodeClientHello(body)), plain(ch));
      const noExt = 2 + 32 + 1 + ch.legacySessionId.length + 2 + 2 * ch.cipherSuites.length + 1 + ch.legacyCompressionMethods.length;
      everyPrefixFails(body, decodeClientHello, new Set([noExt]));
    }),
    { numRuns: RUNS },
  );
});

test('property: ServerHello round-trips; every strict prefix fails except the one without extensions', () => {
  fc.assert(
    fc.property(serverHelloArb, (sh) => {
      const body = encodeServerHello(sh).subarray(4);
      assert.deepEqual(plain(decodeServerHello(body)), plain(sh));
      everyPrefixFails(body, decodeServerHello, new Set([2 + 32 + 1 + sh.legacySessionIdEcho.length + 3]));
    }),
    { numRuns: RUNS },
  );
});

test('property: Certificate (1.3) round-trips; every strict prefix fails', () => {
  const arb = fc.record({
    certificateRequestContext: bytes(0, 8),
    certificateList: fc.array(fc.record({ certData: bytes(1, 60), extensions: extensionsArb }), { maxLength: 5 }),
  });
  fc.assert(
    fc.property(arb, (c) => {
      const body = encodeCertificate13(c).subarray(4);
      assert.deepEqual(plain(decodeCertificate13(body)), plain(c));
      everyPrefixFails(body, decodeCertificate13);
    }),
    { numRuns: RUNS },
  );
});

test('property: CertificateRequest, CertificateVerify, EncryptedExtensions, NewSessionTicket round-trip; prefixes fail', () => {
  fc.assert(
    fc.property(
      fc.record({ certificateRequestContext: bytes(0, 8), extensions: extensionsArb }),
      fc.record({ algorithm: u16, signature: bytes(1, 80) }),
      extensionsArb,
      fc.record({
        ticketLifetime: fc.integer({ min: 0, max: 604800 }),
        ticketAgeAdd: fc.integer({ min: 0, max: 0xffffffff }),
        ticketNonce: bytes(0, 8),
        ticket: bytes(1, 40),
        extensions: extensionsArb,
      }),
      (cr, cv, ee, nst) => {
        const crb = encodeCertificateRequest13(cr).subarray(4);
        assert.deepEqual(plain(decodeCertificateRequest13(crb)), plain(cr));
        everyPrefixFails(crb, decodeCertificateRequest13);
        const cvb = encodeCertificateVerify(cv).subarray(4);
        assert.deepEqual(plain(decodeCertificateVerify(cvb)), plain(cv));
        everyPrefixFails(cvb, decodeCertificateVerify);
        const eeb = encodeEncryptedExtensions(ee).subarray(4);
        assert.deepEqual(plain(decodeEncryptedExtensions(eeb)), plain(ee));
        everyPrefixFails(eeb, decodeEncryptedExtensions);
        const nstb = encodeNewSessionTicket13(nst).subarray(4);
        assert.deepEqual(plain(decodeNewSessionTicket13(nstb)), plain(nst));
        everyPrefixFails(nstb, decodeNewSessionTicket13);
      },
    ),
    { numRuns: RUNS },
  );
});

type Op =
  | { readonly k: 'u8' | 'u16' | 'u24' | 'u32'; readonly v: number }
  | { readonly k: 'bytes'; readonly v: Uint8Array }
  | { readonly k: 'vec8' | 'vec16' | 'vec24'; readonly v: Uint8Array };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ k: fc.constant('u8' as const), v: fc.integer({ min: 0, max: 0xff }) }),
  fc.record({ k: fc.constant('u16' as const), v: u16 }),
  fc.record({ k: fc.constant('u24' as const), v: fc.integer({ min: 0, max: 0xffffff }) }),
  fc.record({ k: fc.constant('u32' as const), v: fc.integer({ min: 0, max: 0xffffffff }) }),
  fc.record({ k: fc.constant('bytes' as const), v: bytes(0, 40) }),
  fc.record({ k: fc.constantFrom('vec8' as const, 'vec16' as const, 'vec24' as const), v: bytes(0, 300) }).filter((o) => o.k !== 'vec8' || o.v.length <= 255),
);

test('property: Writer then Reader round-trips any field sequence; reading past the end fails; vectors are confined', () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 12 }), (ops) => {
      const w = new Writer(8);
      for (const o of ops) {
        if (o.k === 'bytes') w.bytes(o.v);
        else if (o.k === 'vec8' || o.k === 'vec16' || o.k === 'vec24') w[o.k]((x) => x.bytes(o.v));
        else w[o.k](o.v as number);
      }
      const enc = w.finish();
      const r = new Reader(enc, 'T');
      for (const o of ops) {
        if (o.k === 'bytes') assert.deepEqual(Array.from(r.bytes(o.v.length, 'b')), Array.from(o.v));
        else if (o.k === 'vec8' || o.k === 'vec16' || o.k === 'vec24') assert.deepEqual(Array.from(r[o.k]('v').rest()), Array.from(o.v));
        else assert.equal(r[o.k]('n'), o.v);
      }
      r.expectEnd();
      assert.throws(() => r.u8('past'), TlsError);
    }),
    { numRuns: 1000 },
  );
});

test('Writer refuses a vector longer than its prefix → internal_error', () => {
  assert.throws(() => new Writer().vec8((w) => w.bytes(new Uint8Array(256))), { name: 'TlsError', alert: 'internal_error' });
  assert.throws(() => new Writer().vec16((w) => w.bytes(new Uint8Array(4)), 3), { name: 'TlsError', alert: 'internal_error' });
});
