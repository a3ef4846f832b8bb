/**
 * Fixed Ed25519 identities for golden transcripts: a root CA, a server leaf and a client leaf, built here from fixed
 * seeds, fixed names, serials and dates (Ed25519 signatures are deterministic), so every run makes the same bytes
 * and nothing made by a test is committed. The DER is assembled by hand; test/unit/x509 and our verifier read it.
 */
import { createHash, createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto';

function len(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  for (let v = n; v > 0; v >>= 8) out.unshift(v & 0xff);
  return [0x80 | out.length, ...out];
}
function tlv(tag: number, ...parts: readonly Uint8Array[]): Uint8Array {
  const body = Buffer.concat(parts);
  return new Uint8Array(Buffer.concat([Buffer.from([tag, ...len(body.length)]), body]));
}
const seq = (...p: readonly Uint8Array[]): Uint8Array => tlv(0x30, ...p);
function oid(dotted: string): Uint8Array {
  const [a = 0, b = 0, ...rest] = dotted.split('.').map(Number);
  const out = [40 * a + b];
  for (const n of rest) {
    const enc = [n & 0x7f];
    for (let v = n >> 7; v > 0; v >>= 7) enc.unshift(0x80 | (v & 0x7f));
    out.push(...enc);
  }
  return tlv(0x06, new Uint8Array(out));
}
const utf8String = (s: string): Uint8Array => tlv(0x0c, new TextEncoder().encode(s));
const name = (cn: string): Uint8Array => seq(tlv(0x31, seq(oid('2.5.4.3'), utf8String(cn))));
const utcTime = (s: string): Uint8Array => tlv(0x17, new TextEncoder().encode(s));
const ED25519 = seq(oid('1.3.101.112'));
const bool = (b: boolean): Uint8Array => tlv(0x01, new Uint8Array([b ? 0xff : 0]));
const octets = (b: Uint8Array): Uint8Array => tlv(0x04, b);
const bits = (b: Uint8Array, unused = 0): Uint8Array => tlv(0x03, new Uint8Array([unused]), b);
function ext(id: string, critical: boolean, value: Uint8Array): Uint8Array {
  return critical ? seq(oid(id), bool(true), octets(value)) : seq(oid(id), octets(value));
}

/** A fixed identity: DER certificate, PKCS#8 key, and the KeyObject that signed. */
export interface FixedIdentity {
  readonly certDer: Uint8Array;
  readonly keyDer: Uint8Array;
  readonly key: KeyObject;
}

function keyFromSeed(seedByte: number): { key: KeyObject; keyDer: Uint8Array; spki: Uint8Array } {
  const keyDer = new Uint8Array(Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.alloc(32, seedByte)]));
  const key = createPrivateKey({ key: Buffer.from(keyDer), format: 'der', type: 'pkcs8' });
  const spki = new Uint8Array(createPublicKey(key).export({ format: 'der', type: 'spki' }));
  return { key, keyDer, spki };
}

function certificate(o: { serial: number; issuer: string; subject: string; spki: Uint8Array; exts: readonly Uint8Array[]; signer: KeyObject }): Uint8Array {
  const tbs = seq(
    tlv(0xa0, tlv(0x02, new Uint8Array([2]))),
    tlv(0x02, new Uint8Array([o.serial])),
    ED25519,
    name(o.issuer),
    seq(utcTime('250101000000Z'), utcTime('350101000000Z')),
    name(o.subject),
    o.spki,
    tlv(0xa3, seq(...o.exts)),
  );
  return seq(tbs, ED25519, bits(new Uint8Array(sign(null, tbs, o.signer))));
}

/** The root, the server leaf (golden.test) and the client leaf, the same bytes on every run. */
export function fixedIdentities(): { root: FixedIdentity; server: FixedIdentity; client: FixedIdentity } {
  const r = keyFromSeed(0x01);
  const s = keyFromSeed(0x02);
  const c = keyFromSeed(0x03);
  // RFC 5280 §4.2.1.1/§4.2.1.2: the CA carries a subjectKeyIdentifier, the leaves an authorityKeyIdentifier naming it
  // (method 1: SHA-1 of the subjectPublicKey bits; an Ed25519 SPKI's key bits are its last 32 bytes).
  const rootKeyId = new Uint8Array(createHash('sha1').update(r.spki.subarray(r.spki.length - 32)).digest());
  const root = certificate({
    serial: 1, issuer: 'Golden Root', subject: 'Golden Root', spki: r.spki, signer: r.key,
    exts: [ext('2.5.29.19', true, seq(bool(true))), ext('2.5.29.15', true, bits(new Uint8Array([0x06]), 1)), ext('2.5.29.14', false, octets(rootKeyId))],
  });
  const leafExts = (san: Uint8Array, eku: string): Uint8Array[] => [
    ext('2.5.29.19', true, seq()),
    ext('2.5.29.35', false, seq(tlv(0x80, rootKeyId))),
    ext('2.5.29.15', true, bits(new Uint8Array([0x80]), 7)),
    ext('2.5.29.37', false, seq(oid(eku))),
    ...(san.length > 0 ? [ext('2.5.29.17', false, seq(san))] : []),
  ];
  const server = certificate({
    serial: 2, issuer: 'Golden Root', subject: 'golden.test', spki: s.spki, signer: r.key,
    exts: leafExts(tlv(0x82, new TextEncoder().encode('golden.test')), '1.3.6.1.5.5.7.3.1'),
  });
  const client = certificate({
    serial: 3, issuer: 'Golden Root', subject: 'Golden Client', spki: c.spki, signer: r.key,
    exts: leafExts(new Uint8Array(0), '1.3.6.1.5.5.7.3.2'),
  });
  return {
    root: { certDer: root, keyDer: r.keyDer, key: r.key },
    server: { certDer: server, keyDer: s.keyDer, key: s.key },
    client: { certDer: client, keyDer: c.keyDer, key: c.key },
  };
}
