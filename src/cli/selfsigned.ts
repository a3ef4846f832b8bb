/**
 * Throwaway self-signed certificates, made in memory: an ECDSA P-256 key from node:crypto and an X.509 v3
 * certificate written with the small DER writer below. Used by `sspi-tls serve` without `--cert` and by `demo`.
 *
 * The certificate is an end-entity certificate (basicConstraints CA:FALSE, keyUsage digitalSignature, extKeyUsage
 * serverAuth+clientAuth) naming `localhost`, `127.0.0.1` and `::1`; a client trusts it by passing it as `ca`.
 * Only the key generation uses WebCrypto (`globalThis.crypto.subtle`): the crypto provider has no key generation,
 * and node:crypto is reserved to src/crypto/node-provider.ts. Signing and hashing go through the provider.
 */
import { getDefaultProvider } from '../crypto/node-provider.js';
import { SignatureScheme } from '../wire/registry.js';

/** A DER TLV: tag, definite minimal length, contents. */
function tlv(tag: number, ...contents: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const c of contents) n += c.length;
  const len: number[] = [];
  if (n < 0x80) len.push(n);
  else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
    len.push(0x80 | bytes.length, ...bytes);
  }
  const out = new Uint8Array(1 + len.length + n);
  out[0] = tag;
  out.set(len, 1);
  let at = 1 + len.length;
  for (const c of contents) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

const seq = (...c: readonly Uint8Array[]): Uint8Array => tlv(0x30, ...c);
const set = (...c: readonly Uint8Array[]): Uint8Array => tlv(0x31, ...c);
const octets = (b: Uint8Array): Uint8Array => tlv(0x04, b);
const utf8String = (s: string): Uint8Array => tlv(0x0c, new TextEncoder().encode(s));
const bool = (v: boolean): Uint8Array => tlv(0x01, Uint8Array.of(v ? 0xff : 0x00));

/** An OBJECT IDENTIFIER from dotted text. */
function oid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map(Number);
  const [a = 0, b = 0, ...rest] = arcs;
  const body: number[] = [];
  for (const arc of [40 * a + b, ...rest]) {
    const chunk: number[] = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift(0x80 | (v & 0x7f));
    body.push(...chunk);
  }
  return tlv(0x06, Uint8Array.from(body));
}

/** A non-negative INTEGER from big-endian magnitude bytes (leading zeros stripped, 0x00 added when the top bit is set). */
function unsignedInteger(magnitude: Uint8Array): Uint8Array {
  let i = 0;
  while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
  const m = magnitude.subarray(i);
  return (m[0] ?? 0) & 0x80 ? tlv(0x02, Uint8Array.of(0), m) : tlv(0x02, m);
}

/** UTCTime (years 1950–2049) or GeneralizedTime, as RFC 5280 §4.1.2.5 requires. */
function time(d: Date): Uint8Array {
  const p = (n: number): string => String(n).padStart(2, '0');
  const rest = `${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  const y = d.getUTCFullYear();
  const enc = new TextEncoder();
  return y >= 1950 && y < 2050 ? tlv(0x17, enc.encode(`${p(y % 100)}${rest}`)) : tlv(0x18, enc.encode(`${y}${rest}`));
}

/** A BIT STRING with no unused bits. */
const bitString = (b: Uint8Array): Uint8Array => tlv(0x03, Uint8Array.of(0), b);

function extension(id: string, critical: boolean, value: Uint8Array): Uint8Array {
  return critical ? seq(oid(id), bool(true), octets(value)) : seq(oid(id), octets(value));
}

/** Parse an IPv4 or IPv6 literal to bytes; undefined if it is neither. */
function ipBytes(ip: string): Uint8Array | undefined {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (v4) return Uint8Array.from(v4.slice(1).map(Number));
  if (!ip.includes(':')) return undefined;
  const [head = '', tail = ''] = ip.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === '' ? [] : tail.split(':');
  const groups = ip.includes('::') ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
  if (groups.length !== 8) return undefined;
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 0xff;
  });
  return out;
}

/** What {@link makeSelfSigned} returns. */
export interface SelfSigned {
  /** The certificate, DER. */
  readonly certDer: Uint8Array;
  /** The certificate, PEM. */
  readonly certPem: string;
  /** The private key, PKCS#8 PEM. */
  readonly keyPem: string;
  /** SHA-256 of the DER certificate, upper-case hex pairs separated by ':' (as node:tls and openssl print it). */
  readonly fingerprint256: string;
}

/** Options of {@link makeSelfSigned}. */
export interface SelfSignedOptions {
  /** Subject common name (default 'localhost'). */
  readonly commonName?: string;
  /** subjectAltName entries: DNS names and IP literals (default localhost, 127.0.0.1, ::1). */
  readonly altNames?: readonly string[];
  /** Validity in days from now (default 30); notBefore is one hour ago to tolerate clock skew. */
  readonly days?: number;
  /** The clock, ms since the epoch (default Date.now()). */
  readonly now?: number;
}

/** SHA-256 fingerprint of a DER certificate in the `AB:CD:…` form. */
export function fingerprint256(der: Uint8Array): string {
  const h = Buffer.from(getDefaultProvider().hash('sha256', der)).toString('hex').toUpperCase();
  return h.match(/../g)?.join(':') ?? h;
}

/** PEM armour of DER bytes. */
export function toPem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  return `-----BEGIN ${label}-----\n${b64.match(/.{1,64}/g)?.join('\n') ?? ''}\n-----END ${label}-----\n`;
}

/** Make an ECDSA P-256 key and a self-signed end-entity certificate for it. */
export async function makeSelfSigned(options: SelfSignedOptions = {}): Promise<SelfSigned> {
  const provider = getDefaultProvider();
  const cn = options.commonName ?? 'localhost';
  const names = options.altNames ?? ['localhost', '127.0.0.1', '::1'];
  const now = options.now ?? Date.now();
  const subtle = globalThis.crypto.subtle;
  const pair = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const spki = new Uint8Array(await subtle.exportKey('spki', pair.publicKey));
  const pkcs8 = new Uint8Array(await subtle.exportKey('pkcs8', pair.privateKey));
  const signer = provider.loadSigningKey(pkcs8);
  const ecdsaWithSha256 = seq(oid('1.2.840.10045.4.3.2'));
  const name = seq(set(seq(oid('2.5.4.3'), utf8String(cn))), set(seq(oid('2.5.4.10'), utf8String('sspi-tls throwaway'))));
  const serial = provider.randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f;
  const sanEntries = names.map((n) => {
    const ip = ipBytes(n);
    return ip ? tlv(0x87, ip) : tlv(0x82, new TextEncoder().encode(n));
  });
  // subjectKeyIdentifier: RFC 5280 §4.2.1.2 method (1), SHA-1 of the subjectPublicKey bits (here: of the SPKI, also allowed).
  const ski = provider.hash('sha1', spki);
  const extensions = seq(
    extension('2.5.29.19', true, seq()),
    extension('2.5.29.15', true, tlv(0x03, Uint8Array.of(7, 0x80))),
    extension('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.1'), oid('1.3.6.1.5.5.7.3.2'))),
    extension('2.5.29.17', false, seq(...sanEntries)),
    extension('2.5.29.14', false, octets(ski)),
  );
  const tbs = seq(
    tlv(0xa0, tlv(0x02, Uint8Array.of(2))),
    unsignedInteger(serial),
    ecdsaWithSha256,
    name,
    seq(time(new Date(now - 3600_000)), time(new Date(now + (options.days ?? 30) * 86400_000))),
    name,
    spki,
    tlv(0xa3, extensions),
  );
  // ECDSA signatures are DER Ecdsa-Sig-Value in TLS and in X.509 alike (RFC 8446 §4.2.3, RFC 5480 §2.2.3).
  const signature = signer.sign(SignatureScheme.ecdsa_secp256r1_sha256, tbs);
  const certDer = seq(tbs, ecdsaWithSha256, bitString(signature));
  const keyPem = toPem('PRIVATE KEY', pkcs8);
  return { certDer, certPem: toPem('CERTIFICATE', certDer), keyPem, fingerprint256: fingerprint256(certDer) };
}
