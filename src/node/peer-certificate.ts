/**
 * node:tls's `getPeerCertificate()` object, built from our own X.509 parser (src/x509/), so that code written for
 * node:tls reads the same fields: subject, issuer, subjectaltname, valid_from, valid_to, fingerprint256, raw, …
 */
import { parseCertificate, type Certificate } from '../x509/certificate.js';
import { getDefaultProvider } from '../crypto/node-provider.js';
import { nodeX509Certificate } from '../crypto/node-provider.js';

const NIST_CURVES: Readonly<Record<string, string>> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };

/** node:tls's key fields (pubkey, modulus/exponent or curve) from the SubjectPublicKeyInfo; none for other keys. */
function keyFields(der: Uint8Array, spki: Uint8Array): Partial<Pick<PeerCertificate, 'pubkey' | 'modulus' | 'exponent' | 'asn1Curve' | 'nistCurve'>> {
  try {
    const key = nodeX509Certificate(der).publicKey;
    const jwk = key.export({ format: 'jwk' });
    if (key.asymmetricKeyType === 'rsa' && jwk.n !== undefined) {
      const e = key.asymmetricKeyDetails?.publicExponent ?? 65537n;
      return { pubkey: Buffer.from(spki), modulus: Buffer.from(jwk.n, 'base64url').toString('hex').toUpperCase(), exponent: `0x${e.toString(16)}` };
    }
    if (key.asymmetricKeyType === 'ec' && jwk.x !== undefined && jwk.y !== undefined) {
      const curve = key.asymmetricKeyDetails?.namedCurve ?? '';
      const out: { pubkey: Buffer; asn1Curve: string; nistCurve?: string } = {
        pubkey: Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')]),
        asn1Curve: curve,
      };
      const nist = NIST_CURVES[curve];
      if (nist !== undefined) out.nistCurve = nist;
      return out;
    }
  } catch {
    // a key node:crypto does not know: no key fields, as node:tls gives none either
  }
  return {};
}

/** 'OCSP - URI:http://a\nCA Issuers - URI:http://b' → { 'OCSP - URI': ['http://a'], 'CA Issuers - URI': ['http://b'] }. */
function infoAccessOf(der: Uint8Array): Record<string, string[]> | undefined {
  let text: string | undefined;
  try {
    text = nodeX509Certificate(der).infoAccess;
  } catch {
    return undefined;
  }
  if (text === undefined) return undefined;
  const out: Record<string, string[]> = {};
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const k = line.slice(0, colon);
    (out[k] ??= []).push(line.slice(colon + 1));
  }
  return out;
}

/** A certificate as node:tls describes it (the subset of `tls.PeerCertificate` we can fill). */
export interface PeerCertificate {
  /** Subject attributes, e.g. `{ CN: 'localhost', O: 'Example' }`. */
  readonly subject: Readonly<Record<string, string>>;
  /** Issuer attributes. */
  readonly issuer: Readonly<Record<string, string>>;
  /** `'DNS:localhost, IP Address:127.0.0.1'`, as node:tls prints it. */
  readonly subjectaltname?: string;
  /** Start of validity, `'Nov 24 19:41:35 2026 GMT'`. */
  readonly valid_from: string;
  /** End of validity. */
  readonly valid_to: string;
  /** SHA-1 fingerprint, `'AB:CD:…'`. */
  readonly fingerprint: string;
  /** SHA-256 fingerprint, `'AB:CD:…'`. */
  readonly fingerprint256: string;
  /** SHA-512 fingerprint. */
  readonly fingerprint512: string;
  /** Serial number, upper-case hex. */
  readonly serialNumber: string;
  /** extKeyUsage OIDs, when present. */
  readonly ext_key_usage?: readonly string[];
  /** Key size in bits (RSA modulus or EC curve). */
  readonly bits: number;
  /** The DER certificate. */
  readonly raw: Buffer;
  /** Whether it is a CA certificate (basicConstraints cA). */
  readonly ca: boolean;
  /** The public key: SubjectPublicKeyInfo DER for RSA (what HPKP pins hash), the point for EC (as node:tls). */
  readonly pubkey?: Buffer;
  /** RSA: the modulus, upper-case hex. */
  readonly modulus?: string;
  /** RSA: the public exponent, '0x10001'. */
  readonly exponent?: string;
  /** EC: the curve's OpenSSL name ('prime256v1') and NIST name ('P-256'). */
  readonly asn1Curve?: string;
  readonly nistCurve?: string;
  /** Authority Information Access: method → URIs, e.g. `{ 'OCSP - URI': ['http://…'] }`. */
  readonly infoAccess?: Readonly<Record<string, readonly string[]>>;
  /** The next certificate up the chain as received (`detailed` only); the certificate itself when self-signed. */
  issuerCertificate?: DetailedPeerCertificate;
}

/** A {@link PeerCertificate} with its issuer chain linked (`getPeerCertificate(true)`). */
export interface DetailedPeerCertificate extends PeerCertificate {
  issuerCertificate: DetailedPeerCertificate;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** OpenSSL's ASN1_TIME_print form: `'Nov  4 09:05:01 2026 GMT'`. */
export function opensslDate(ms: number): string {
  const d = new Date(ms);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${MONTHS[d.getUTCMonth()] ?? '???'} ${String(d.getUTCDate()).padStart(2, ' ')} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} ${d.getUTCFullYear()} GMT`;
}

function colonHex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex').toUpperCase().match(/../g)?.join(':') ?? '';
}

/** 'CN=foo, O=bar' → { CN: 'foo', O: 'bar' } (later duplicates are joined with '\n' as node:tls does). */
function nameObject(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(/,\s*(?=[A-Za-z0-9.]+=)/)) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const k = part.slice(0, eq).trim();
    const v = part.slice(eq + 1).trim();
    out[k] = out[k] === undefined ? v : `${out[k]}\n${v}`;
  }
  return out;
}

function ipText(b: Uint8Array): string {
  if (b.length === 4) return [...b].join('.');
  const groups: string[] = [];
  for (let i = 0; i + 1 < b.length; i += 2) groups.push((((b[i] ?? 0) << 8) | (b[i + 1] ?? 0)).toString(16).toUpperCase());
  return groups.join(':');
}

function altNames(c: Certificate): string | undefined {
  const san = c.extensions.subjectAltName;
  if (san === undefined) return undefined;
  const parts = [
    ...san.dnsNames.map((n) => `DNS:${n}`),
    ...san.ipAddresses.map((ip) => `IP Address:${ipText(ip)}`),
    ...san.emails.map((e) => `email:${e}`),
    ...san.uris.map((u) => `URI:${u}`),
  ];
  return parts.join(', ');
}

/** Describe one DER certificate. */
export function describeCertificate(der: Uint8Array): PeerCertificate {
  const provider = getDefaultProvider();
  const c = parseCertificate(der, provider);
  const san = altNames(c);
  const out: { -readonly [K in keyof PeerCertificate]: PeerCertificate[K] } = {
    subject: nameObject(c.subject.text),
    issuer: nameObject(c.issuer.text),
    valid_from: opensslDate(c.notBefore),
    valid_to: opensslDate(c.notAfter),
    fingerprint: colonHex(provider.hash('sha1', der)),
    fingerprint256: colonHex(provider.hash('sha256', der)),
    fingerprint512: colonHex(provider.hash('sha512', der)),
    serialNumber: c.serialNumber.toUpperCase(),
    bits: c.publicKeyBits,
    raw: Buffer.from(der),
    ca: c.extensions.basicConstraints?.cA === true,
    ...keyFields(der, c.spki),
  };
  const aia = infoAccessOf(der);
  if (aia !== undefined) out.infoAccess = aia;
  if (san !== undefined) out.subjectaltname = san;
  if (c.extensions.extKeyUsage !== undefined) out.ext_key_usage = c.extensions.extKeyUsage;
  return out;
}

/** The subject and issuer as display text ('CN=foo, O=bar'), for logs. */
export function certificateNames(der: Uint8Array): { subject: string; issuer: string; notBefore: number; notAfter: number } {
  const c = parseCertificate(der, getDefaultProvider());
  return { subject: c.subject.text, issuer: c.issuer.text, notBefore: c.notBefore, notAfter: c.notAfter };
}

/**
 * `getPeerCertificate(detailed)` over a received chain (leaf first). `{}` when there is none, as node:tls returns.
 * With `detailed`, `issuerCertificate` links up the chain and the last one points at itself.
 */
export function peerCertificateOf(chain: readonly Uint8Array[], detailed: boolean): PeerCertificate | Record<string, never> {
  const [leafDer] = chain;
  if (leafDer === undefined) return {};
  const leaf = describeCertificate(leafDer);
  if (!detailed) return leaf;
  let cur = leaf;
  for (const der of chain.slice(1)) {
    const next = describeCertificate(der);
    cur.issuerCertificate = next as DetailedPeerCertificate;
    cur = next;
  }
  cur.issuerCertificate = cur as DetailedPeerCertificate;
  return leaf;
}
