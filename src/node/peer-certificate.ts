/**
 * node:tls's `getPeerCertificate()` object, built from our own X.509 parser (src/x509/), so that code written for
 * node:tls reads the same fields: subject, issuer, subjectaltname, valid_from, valid_to, fingerprint256, raw, …
 */
import { equalPublic } from '../codec/bytes.js';
import { isSelfIssued, parseCertificate, type Certificate } from '../x509/certificate.js';
import { getDefaultProvider } from '../crypto/node-provider.js';
import { nodeX509Certificate } from '../crypto/node-provider.js';

/** node:crypto's X509Certificate (what getPeerX509Certificate returns). */
type X509Certificate = ReturnType<typeof nodeX509Certificate>;

/** At most this many issuers are linked (a bound on work; real chains are far shorter). */
const MAX_ISSUER_LINKS = 16;

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
  /** Subject attributes, e.g. `{ CN: 'localhost', O: 'Example' }`; an attribute present twice: an array of its values. */
  readonly subject: Readonly<Record<string, string | string[]>>;
  /** Issuer attributes (as `subject`). */
  readonly issuer: Readonly<Record<string, string | string[]>>;
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
  /** Its issuer (`detailed` only): received or from the trust store; itself when self-issued; none when not found. */
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

/**
 * Our display text of a Name (RFC 4514: most specific RDN first, `\\`-escaped) → node:tls's object: attributes in
 * the certificate's order, null prototype, and an attribute given more than once as an array of its values in that
 * order (`OU: ['Test TLS Certificate', 'Engineering']`), as Node 20 reports it.
 */
function nameObject(text: string): Record<string, string | string[]> {
  const rdns: string[][] = [[]];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '\\' && i + 1 < text.length) {
      cur += c + (text[i + 1] as string);
      i++;
    } else if (c === '+') {
      rdns[rdns.length - 1]?.push(cur);
      cur = '';
    } else if (c === ',') {
      rdns[rdns.length - 1]?.push(cur);
      rdns.push([]);
      cur = '';
      if (text[i + 1] === ' ') i++;
    } else cur += c;
  }
  rdns[rdns.length - 1]?.push(cur);
  const out: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  for (const atv of rdns.reverse().flat()) {
    const eq = atv.indexOf('=');
    if (eq <= 0) continue;
    const k = atv.slice(0, eq).trim();
    const v = atv.slice(eq + 1).replace(/\\(.)/g, '$1');
    const had = out[k];
    out[k] = had === undefined ? v : Array.isArray(had) ? [...had, v] : [had, v];
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

/** The parsed certificate, or undefined when our parser refuses it (it is then linked to nothing). */
function parsed(der: Uint8Array): Certificate | undefined {
  try {
    return parseCertificate(der, getDefaultProvider());
  } catch {
    return undefined;
  }
}

/**
 * The issuer chain node:tls reports for a received chain (leaf first): each certificate is followed by its issuer
 * (the certificate whose subject is its issuer name) among the other received certificates, in any order, then,
 * when the last one is not self-issued, from `anchors` (the trust store the connection verifies with), as OpenSSL's
 * issuer lookup does. `selfIssuedEnd`: the last one is self-issued (node:tls links it to itself); otherwise its
 * issuer was found nowhere (node:tls leaves `issuerCertificate` undefined).
 */
export function issuerChain(chain: readonly Uint8Array[], anchors: readonly Certificate[] = []): { ders: Uint8Array[]; selfIssuedEnd: boolean } {
  const [leafDer, ...rest] = chain;
  if (leafDer === undefined) return { ders: [], selfIssuedEnd: false };
  const ders = [leafDer];
  let cur = parsed(leafDer);
  const pool = rest.map((d) => ({ der: d, cert: parsed(d) }));
  for (let i = 0; i < MAX_ISSUER_LINKS && cur !== undefined && !isSelfIssued(cur); i++) {
    const issuerName = cur.issuer.der;
    const at = pool.findIndex((p) => p.cert !== undefined && equalPublic(p.cert.subject.der, issuerName));
    let next: Certificate | undefined;
    if (at >= 0) next = pool.splice(at, 1)[0]?.cert;
    else next = anchors.find((a) => equalPublic(a.subject.der, issuerName) && !ders.some((d) => equalPublic(d, a.der)));
    if (next === undefined) break;
    ders.push(next.der);
    cur = next;
  }
  return { ders, selfIssuedEnd: cur !== undefined && isSelfIssued(cur) };
}

/**
 * `getPeerCertificate(detailed)` over a received chain (leaf first). `{}` when there is none, as node:tls returns.
 * With `detailed`, `issuerCertificate` links the chain {@link issuerChain} finds (the trust anchor included); a
 * self-issued last certificate points at itself, one whose issuer was found nowhere has none.
 */
export function peerCertificateOf(chain: readonly Uint8Array[], detailed: boolean, anchors: readonly Certificate[] = []): PeerCertificate | Record<string, never> {
  const [leafDer] = chain;
  if (leafDer === undefined) return {};
  const leaf = describeCertificate(leafDer);
  if (!detailed) return leaf;
  const { ders, selfIssuedEnd } = issuerChain(chain, anchors);
  let cur = leaf;
  for (const der of ders.slice(1)) {
    const next = describeCertificate(der);
    cur.issuerCertificate = next as DetailedPeerCertificate;
    cur = next;
  }
  if (selfIssuedEnd) cur.issuerCertificate = cur as DetailedPeerCertificate;
  return leaf;
}

/**
 * `getPeerX509Certificate()`: the leaf as a node:crypto X509Certificate whose `issuerCertificate` is the next
 * certificate the peer sent, and so on up the received chain (the last has none), as node:tls links it.
 */
export function peerX509Of(chain: readonly Uint8Array[]): X509Certificate | undefined {
  const xs = chain.map((d) => nodeX509Certificate(d));
  for (let i = 0; i + 1 < xs.length; i++) Object.defineProperty(xs[i], 'issuerCertificate', { value: xs[i + 1], enumerable: false, configurable: true });
  return xs[0];
}
