/**
 * node:tls-style options and their translation to the idiomatic API's ServerOptions / ClientOptions. Names follow
 * node:tls where they mean the same; values may be strings or Buffers as node:tls allows.
 */
import type { CertifiedKeyInput, ClientOptions, CommonOptions, ServerOptions, TlsVersionName, TraceEvent } from '../api/types.js';
import type { SessionTicket } from '../engine/events.js';
import type { CryptoProvider } from '../crypto/provider.js';
import type { SessionResumer } from '../session/resumer.js';
import type { TicketKeyStore } from '../vocabulary/config.js';
import { NamedGroup } from '../wire/registry.js';
import { asConfigError, isEncryptedKey, loadCredential, unlockPrivateKey } from '../credentials/index.js';
import { pemToDer } from '../x509/pem.js';
import { isSelfIssued, parseCertificate, type Certificate } from '../x509/certificate.js';
import { equalPublic } from '../codec/bytes.js';
import { systemTrustAnchors } from '../system-trust.js';
import { configError } from '../errors.js';
import type { Duplex } from 'node:stream';
import { publicKeyInfoOf } from '../crypto/node-provider.js';
import type { PeerCertificate } from './peer-certificate.js';
import { mapCipherString, mapSigalgs } from './cipher-string.js';
import { withNodeCredentialError } from './error-codes.js';
import { NODE_SERVER_RENEGOTIATIONS } from './renegotiation.js';

/** PEM text, or a Buffer holding PEM text or DER. */
export type PemOrDer = string | Uint8Array;

/** A certificate chain and its key, node:tls style (what a SecureContext would hold). */
export interface Credentials {
  /** The private key: PEM text, or a Buffer with PEM text or PKCS#8 DER. */
  readonly key: PemOrDer;
  /** The chain, leaf first: PEM text (one or more blocks), a Buffer of PEM/DER, or an array of those. */
  readonly cert: PemOrDer | readonly PemOrDer[];
}

/** node:tls `key` entry with its own passphrase (`key: [{ pem, passphrase }]`). */
export interface KeyWithPassphrase {
  readonly pem: PemOrDer;
  readonly passphrase?: string;
}

/** node:tls `pfx` entry: PKCS#12 bytes (a string is read as 'latin1'), or `{ buf, passphrase }`. */
export type PfxInput = PemOrDer | { readonly buf: PemOrDer; readonly passphrase?: string };

/** Options shared by {@link createServer} and {@link connect}. */
export interface NodeCommonOptions {
  /** node:tls `pfx`: PKCS#12 file(s) with key and chain (decrypted with `passphrase` or the entry's own). */
  readonly pfx?: PfxInput | readonly PfxInput[];
  /** node:tls `passphrase`: for `pfx` and for encrypted `key`s. */
  readonly passphrase?: string;
  /** Lowest version, 'TLSv1.2' or 'TLSv1.3'. */
  readonly minVersion?: TlsVersionName;
  /** Highest version, 'TLSv1.2' or 'TLSv1.3'. */
  readonly maxVersion?: TlsVersionName;
  /**
   * node:tls `secureProtocol`, an OpenSSL method name: 'TLSv1_2_method' (and its _client/_server forms) pins TLS 1.2,
   * 'TLS_method' / 'SSLv23_method' leave the range as it is; not together with minVersion / maxVersion.
   */
  readonly secureProtocol?: string;
  /**
   * node:tls `ciphers`: OpenSSL spelling for TLS 1.2 ('ECDHE-ECDSA-AES128-GCM-SHA256', 'HIGH:!aNULL'), RFC names for
   * TLS 1.3; a string that selects none of our suites is a configuration error.
   */
  readonly ciphers?: string;
  /** node:tls `sigalgs`: signature schemes we offer/accept ('ecdsa_secp256r1_sha256:RSA-PSS+SHA256'). */
  readonly sigalgs?: string;
  /** Key exchange groups, ':'-separated (node:tls `ecdhCurve`): 'X25519', 'P-256', 'P-384', 'X25519MLKEM768'. */
  readonly ecdhCurve?: string;
  /** ALPN protocols in preference order. */
  readonly ALPNProtocols?: readonly (string | Uint8Array)[];
  /** Trust anchors: PEM text, a Buffer of PEM/DER, or an array of those. */
  readonly ca?: PemOrDer | readonly PemOrDer[];
  /** node:tls `crl`: certificate revocation lists, PEM (`X509 CRL`) or DER, or an array of those. */
  readonly crl?: PemOrDer | readonly PemOrDer[];
  /** node:tls: verify the peer's certificate (client default true; server: reject clients without a valid one). */
  readonly rejectUnauthorized?: boolean;
  /** The crypto provider (default: node:crypto). */
  readonly provider?: CryptoProvider;
  /** Milliseconds the handshake may take before the connection fails (default 120000, as node:tls; 0: none). */
  readonly handshakeTimeout?: number;
  /** net.Socket / node:tls `highWaterMark` of the plaintext stream, both directions (default: reading 48 KiB, writing 16 KiB). */
  readonly highWaterMark?: number;
  /** Keep the writable side open after the peer's close_notify (default false, as net.Socket). */
  readonly allowHalfOpen?: boolean;
  /**
   * Receives every handshake message sent or received (no secrets), with the connection it belongs to. Tracing is
   * on only when this is set; the TlsDuplex then also emits each event as 'trace'. `socket` is that TlsDuplex
   * (declared by its Duplex base, in method form so a callback may take a TlsDuplex: options.ts does not depend
   * on duplex.ts).
   */
  trace?(event: TraceEvent, socket: Duplex): void;
  /** node:tls: a context from {@link createSecureContext}; its settings (key, cert, ca, ciphers…) are used. */
  readonly secureContext?: SecureContext;
}

/** What an SNICallback may answer: credentials, or a secure context (node:tls). */
export type SniAnswer = Credentials | SecureContext;

/** Options of {@link createServer} and of a server-side {@link TlsDuplex}. */
export interface NodeServerOptions extends NodeCommonOptions {
  /** The default private key (with `cert`); encrypted keys need `passphrase` or `{ pem, passphrase }`. */
  readonly key?: PemOrDer | KeyWithPassphrase | readonly (PemOrDer | KeyWithPassphrase)[];
  /** The default chain (with `key`). */
  readonly cert?: PemOrDer | readonly PemOrDer[];
  /**
   * node:tls-style SNI hook: called with the client's server name before the handshake goes on; call back with
   * credentials for that name, or with `undefined`/`null` for the default ones. May answer asynchronously.
   */
  readonly SNICallback?: (servername: string, cb: (err: Error | null, creds?: SniAnswer | null) => void) => void;
  /** Credentials by server name (exact, or `*.example.com` for one label); the map form of SNICallback. */
  readonly sniCredentials?: Readonly<Record<string, SniAnswer>>;
  /**
   * node:tls `ALPNCallback({ servername, protocols })`: choose the protocol from those the client offered (called
   * only when it offered some); undefined refuses the connection with no_application_protocol, a name it did not
   * offer fails it (ERR_TLS_ALPN_CALLBACK_INVALID_RESULT). Not with `ALPNProtocols`.
   */
  readonly ALPNCallback?: (hello: { readonly servername: string | undefined; readonly protocols: readonly string[] }) => string | undefined;
  /**
   * node:tls `honorCipherOrder`: choose the suite by the server's order. Ours always does (our order, then the
   * client's offer: RFC 8446 leaves it to the server); `false` is accepted and changes nothing.
   */
  readonly honorCipherOrder?: boolean;
  /** node:tls: ask the client for a certificate. With `rejectUnauthorized` (default true) one is required. */
  readonly requestCert?: boolean;
  /** Client authentication policy; overrides requestCert/rejectUnauthorized when given. */
  readonly clientAuth?: 'none' | 'optional' | 'required';
  /** TLS 1.3 NewSessionTickets sent after each full handshake (default 2; 0 disables resumption). */
  readonly ticketCount?: number;
  /** node:tls: ticket (session) lifetime in seconds. */
  readonly sessionTimeout?: number;
  /** node:tls: 48 bytes of fixed ticket key material shared by servers (no rotation). */
  readonly ticketKeys?: Uint8Array;
  /** Seconds a generated ticket key is used before it rotates (one previous key stays valid). */
  readonly ticketKeyRotation?: number;
  /** Accept each ticket once. */
  readonly singleUseTickets?: boolean;
  /**
   * TLS 1.3 NewSessionTickets sent after a resumption. Default as node:tls (OpenSSL): none, the client resumes again
   * with the ticket it has; with `singleUseTickets`, `ticketCount` (a used ticket is gone).
   */
  readonly resumptionTicketCount?: number;
  /** Allow psk_ke resumption (no key exchange) when the client offers it. */
  readonly allowPskKe?: boolean;
  /** Ticket keys shared with other servers (src/session/ticket-keys.ts); overrides ticketKeys/ticketKeyRotation. */
  readonly ticketKeySource?: TicketKeyStore;
  /**
   * A session store shared with other servers (TLS 1.2 session IDs, single-use TLS 1.3 tickets), looked up at the
   * ClientHello before the handshake continues (src/session/resumer.ts). Share the ticket keys too: stored
   * sessions are sealed under them.
   */
  readonly sessionResumer?: SessionResumer;
}

/** Options of {@link connect} and of a client-side {@link TlsDuplex}. */
export interface NodeClientOptions extends NodeCommonOptions {
  /** Host to connect to (default 'localhost'); also the default servername when it is a name. */
  readonly host?: string;
  /** Port to connect to. */
  readonly port?: number;
  /** Run over this Duplex instead of opening a TCP connection. */
  readonly socket?: Duplex;
  /** SNI, and the name the server certificate is checked against (default: host). */
  readonly servername?: string;
  /** Client certificate key (with `cert`), for mutual authentication; encrypted: with `passphrase` or `[{ pem, passphrase }]`. */
  readonly key?: PemOrDer | KeyWithPassphrase | readonly (PemOrDer | KeyWithPassphrase)[];
  /** Client certificate chain (with `key`). */
  readonly cert?: PemOrDer | readonly PemOrDer[];
  /** node:tls: ask for a stapled OCSP response (status_request); the socket emits 'OCSPResponse' (response or null). */
  readonly requestOCSP?: boolean;
  /** A session from an earlier 'session' event (the Buffer or the SessionTicket) to resume. */
  readonly session?: Uint8Array | SessionTicket;
  /**
   * node:tls: check the server's identity yourself, after its chain verified on a full handshake: return (or
   * throw) an Error to refuse it, undefined to accept. Replaces our host-name check.
   */
  readonly checkServerIdentity?: (hostname: string, cert: PeerCertificate) => Error | undefined;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

function isPemBytes(b: Uint8Array): boolean {
  // A PEM file starts with text; DER starts with 0x30 (SEQUENCE).
  return b[0] !== 0x30;
}

/** One PEM-or-DER input as PEM text or a DER list (what CertifiedKeyInput and `ca` accept). */
function chainOf(input: PemOrDer | readonly PemOrDer[]): string | readonly Uint8Array[] {
  const items: readonly PemOrDer[] = typeof input === 'string' || input instanceof Uint8Array ? [input] : input;
  const ders: Uint8Array[] = [];
  let pem = '';
  for (const it of items) {
    if (typeof it === 'string') pem += it + '\n';
    else if (isPemBytes(it)) pem += Buffer.from(it).toString('latin1') + '\n';
    else ders.push(it);
  }
  if (pem !== '' && ders.length > 0) {
    // Mixed: turn DER into PEM so one string carries all.
    for (const d of ders) pem += `-----BEGIN CERTIFICATE-----\n${Buffer.from(d).toString('base64')}\n-----END CERTIFICATE-----\n`;
    return pem;
  }
  return pem !== '' ? pem : ders;
}

/**
 * node:tls `ca` as `chainOf` gives it, leaving out PEM inputs without a CERTIFICATE block: OpenSSL reads certificates
 * from `ca` and skips the rest (a key given as `ca` adds nothing; it is not an error). Nothing left: no anchors.
 */
function caOf(input: PemOrDer | readonly PemOrDer[]): string | readonly Uint8Array[] {
  const items: readonly PemOrDer[] = typeof input === 'string' || input instanceof Uint8Array ? [input] : input;
  const certs = items.filter((it) => {
    if (typeof it !== 'string' && !isPemBytes(it)) return true;
    return (typeof it === 'string' ? it : Buffer.from(it).toString('latin1')).includes('-----BEGIN CERTIFICATE-----');
  });
  return certs.length === 0 ? [] : chainOf(certs);
}

/** node:tls `crl` as a DER list: PEM text or bytes may hold several `X509 CRL` blocks. */
function crlsOf(input: PemOrDer | readonly PemOrDer[]): readonly Uint8Array[] {
  const items: readonly PemOrDer[] = typeof input === 'string' || input instanceof Uint8Array ? [input] : input;
  const out: Uint8Array[] = [];
  for (const it of items) {
    if (typeof it !== 'string' && !isPemBytes(it)) out.push(it);
    else {
      const ders = pemToDer(typeof it === 'string' ? it : Buffer.from(it).toString('latin1'), 'X509 CRL');
      if (ders.length === 0) throw configError('crl: no X509 CRL block in PEM text');
      out.push(...ders);
    }
  }
  return out;
}

function keyOf(input: PemOrDer): string | Uint8Array {
  if (typeof input === 'string') return input;
  return isPemBytes(input) ? Buffer.from(input).toString('latin1') : input;
}

/** Credentials as the idiomatic API's CertifiedKeyInput. */
export function toCertifiedKey(creds: Credentials): CertifiedKeyInput {
  return { cert: chainOf(creds.cert), key: keyOf(creds.key) };
}

/**
 * A `key` entry and its chain as a CertifiedKeyInput. An encrypted key is decrypted here, so a wrong or missing
 * passphrase fails with node:tls's error ('bad decrypt', ERR_OSSL_BAD_DECRYPT; our TlsError underneath).
 */
function keyEntry(k: PemOrDer | KeyWithPassphrase, cert: PemOrDer | readonly PemOrDer[], passphrase: string | undefined): CertifiedKeyInput {
  const plain = typeof k === 'string' || k instanceof Uint8Array;
  const base = toCertifiedKey({ key: plain ? k : k.pem, cert });
  const p = plain ? passphrase : (k.passphrase ?? passphrase);
  if (isEncryptedKey(base.key)) {
    try {
      return { ...base, key: unlockPrivateKey(base.key, p) };
    } catch (e) {
      throw withNodeCredentialError(asConfigError(e), 'key');
    }
  }
  return p === undefined ? base : { ...base, passphrase: p };
}

/**
 * node:tls pairs parallel `key` and `cert` lists by key (OpenSSL keeps one chain per key type, whatever the order):
 * for each key, the index of the chain whose leaf carries its public key (undefined: keep the same index).
 */
function pairByPublicKey(keys: readonly (PemOrDer | KeyWithPassphrase)[], certs: readonly PemOrDer[], passphrase: string | undefined): (number | undefined)[] {
  const certKeys = certs.map((c) => publicKeyInfoOf({ certificate: c }));
  return keys.map((k) => {
    const plain = typeof k === 'string' || k instanceof Uint8Array;
    const pem = plain ? k : k.pem;
    const pass = plain ? passphrase : (k.passphrase ?? passphrase);
    const der = typeof pem !== 'string' && !isPemBytes(pem);
    const spki = publicKeyInfoOf(pass === undefined ? { privateKey: pem, der } : { privateKey: pem, der, passphrase: pass });
    const at = spki === undefined ? -1 : certKeys.indexOf(spki);
    return at >= 0 ? at : undefined;
  });
}

/** node:tls `pfx` (one or several) as CertifiedKeyInputs, each decrypted with its own or the common passphrase. */
function pfxEntries(pfx: PfxInput | readonly PfxInput[] | undefined, passphrase: string | undefined): CertifiedKeyInput[] {
  if (pfx === undefined) return [];
  const list: readonly PfxInput[] = typeof pfx === 'string' || pfx instanceof Uint8Array || !Array.isArray(pfx) ? [pfx as PfxInput] : pfx;
  return list.map((e) => {
    const one = typeof e === 'string' || e instanceof Uint8Array ? { buf: e, passphrase } : { buf: e.buf, passphrase: e.passphrase ?? passphrase };
    const bytes = typeof one.buf === 'string' ? new Uint8Array(Buffer.from(one.buf, 'latin1')) : one.buf;
    try {
      const c = loadCredential({ pfx: bytes, passphrase: one.passphrase });
      return { cert: c.cert, key: c.key };
    } catch (e) {
      throw withNodeCredentialError(e, 'pfx');
    }
  });
}

/** A chain or `ca` as given to the engine (PEM text or DER list) as a DER list. */
function dersOf(x: string | readonly Uint8Array[]): Uint8Array[] {
  return typeof x === 'string' ? pemToDer(x) : [...x];
}

/** At most this many issuers are added to a lone certificate (a bound on work; real chains are far shorter). */
const MAX_AUTO_CHAIN = 8;

/**
 * OpenSSL's automatic chain: a certificate given alone (no intermediates after it) is sent with the issuers it
 * finds for it in the context's trust store (`ca`, a PFX's CA certificates), up to a self-issued one, which is sent
 * too. node:tls servers given `cert: leaf, ca: [intermediate, root]` send the whole chain this way.
 */
function withIssuers(entry: CertifiedKeyInput, pool: readonly Uint8Array[]): CertifiedKeyInput {
  if (pool.length === 0) return entry;
  const chain = dersOf(entry.cert);
  const [leafDer] = chain;
  if (chain.length !== 1 || leafDer === undefined) return entry;
  const certs = pool.map((d) => {
    try {
      return parseCertificate(d);
    } catch {
      return undefined; // OpenSSL would not have loaded it either
    }
  }).filter((c): c is Certificate => c !== undefined);
  let cur: Certificate;
  try {
    cur = parseCertificate(leafDer);
  } catch {
    return entry; // the engine reports it
  }
  for (let i = 0; i < MAX_AUTO_CHAIN && !isSelfIssued(cur); i++) {
    const issuerName = cur.issuer.der;
    const next = certs.find((c) => equalPublic(c.subject.der, issuerName) && !chain.some((d) => equalPublic(d, c.der)));
    if (next === undefined) break;
    chain.push(next.der);
    cur = next;
  }
  return chain.length === 1 ? entry : { ...entry, cert: chain };
}

/**
 * The trust anchors of a configuration as node:tls builds its store: `ca` (else the default roots), plus the CA
 * certificates of its PFX files, which OpenSSL adds to the store it verifies the peer with (and auto-chains from).
 * Undefined: the engine's default anchors. `withRoots` false (a server): without `ca`, the PFX's CA certificates
 * alone, the ones node:tls names in its CertificateRequest (it never offers the default roots there); client
 * certificates are then verified against those only, narrower than node:tls's roots-and-PFX store.
 */
function trustOf(ca: PemOrDer | readonly PemOrDer[] | undefined, pfx: readonly CertifiedKeyInput[], withRoots: boolean): string | readonly Uint8Array[] | undefined {
  const own = given(ca) ? caOf(ca) : undefined;
  const extras = pfx.flatMap((e) => dersOf(e.cert).slice(1));
  if (extras.length === 0) return own;
  return [...(own !== undefined ? dersOf(own) : withRoots ? systemTrustAnchors() : []), ...extras];
}

/** Where a lone certificate's issuers are looked for: `ca` and the PFX's CA certificates (not the default roots). */
function chainPool(ca: PemOrDer | readonly PemOrDer[] | undefined, pfx: readonly CertifiedKeyInput[]): Uint8Array[] {
  return [...(given(ca) ? dersOf(caOf(ca)) : []), ...pfx.flatMap((e) => dersOf(e.cert).slice(1))];
}

/** Count the PEM blocks of a text (for error messages). */
export function pemBlockCount(text: string): number {
  return [...text.matchAll(PEM_BLOCK)].length;
}

const GROUP_NAMES: Readonly<Record<string, number>> = {
  x25519: NamedGroup.x25519,
  'p-256': NamedGroup.secp256r1,
  prime256v1: NamedGroup.secp256r1,
  secp256r1: NamedGroup.secp256r1,
  'p-384': NamedGroup.secp384r1,
  secp384r1: NamedGroup.secp384r1,
  'p-521': NamedGroup.secp521r1,
  secp521r1: NamedGroup.secp521r1,
  x448: NamedGroup.x448,
  x25519mlkem768: NamedGroup.X25519MLKEM768,
};

/**
 * node:tls `ecdhCurve` ('X25519:P-256') as IANA group values; undefined for 'auto' (our default list). Names we do
 * not implement (OpenSSL knows more curves) are left out, as long as one we know remains; otherwise a TypeError
 * names them.
 */
export function parseGroups(list: string): number[] | undefined {
  if (list.trim().toLowerCase() === 'auto') return undefined;
  const names = list.split(':').map((n) => n.trim()).filter((n) => n !== '');
  const known = names.map((n) => GROUP_NAMES[n.toLowerCase()]).filter((v): v is number => v !== undefined);
  if (known.length === 0) {
    throw Object.assign(new TypeError(`no usable group in ecdhCurve '${list}' (known: ${Object.keys(GROUP_NAMES).join(', ')})`), {
      code: 'ERR_TLS_INVALID_CONFIG',
    });
  }
  return known;
}

const VERSION_RANK: Readonly<Record<string, number>> = { TLSv1: 0, 'TLSv1.1': 1, 'TLSv1.2': 2, 'TLSv1.3': 3 };

/**
 * node:tls's version range on ours: a `minVersion` below TLS 1.2 is raised to TLS 1.2 (the range still has versions
 * we speak); a `maxVersion` below TLS 1.2 leaves nothing, and is passed on for the engine to refuse.
 */
function versionRange(o: NodeCommonOptions): { min?: TlsVersionName; max?: TlsVersionName } {
  const out: { min?: TlsVersionName; max?: TlsVersionName } = {};
  if (o.minVersion !== undefined) out.min = (VERSION_RANK[o.minVersion] ?? 2) < 2 ? 'TLSv1.2' : o.minVersion;
  if (o.maxVersion !== undefined) out.max = o.maxVersion;
  return out;
}

/** node:tls ALPNProtocols → ids as bytes: strings UTF-8 encoded, as node:tls encodes them; bytes kept as they are. */
function alpnOf(list: readonly (string | Uint8Array)[]): Uint8Array[] {
  return list.map((p) => (typeof p === 'string' ? new Uint8Array(Buffer.from(p, 'utf8')) : p.slice()));
}

function common(o: NodeCommonOptions, routedTrace: (e: TraceEvent) => void, keyLog: ((line: string) => void) | undefined): CommonOptions {
  const out: { -readonly [K in keyof CommonOptions]: CommonOptions[K] } = {};
  if (keyLog !== undefined) out.keyLog = keyLog;
  if (o.provider !== undefined) out.provider = o.provider;
  const range = versionRange(o);
  if (range.min !== undefined) out.minVersion = range.min;
  if (range.max !== undefined) out.maxVersion = range.max;
  if (o.ciphers !== undefined && o.ciphers !== null) out.ciphers = mapCipherString(o.ciphers, range.max === undefined || range.max === 'TLSv1.3');
  if (o.sigalgs !== undefined && o.sigalgs !== null) out.signatureSchemes = mapSigalgs(o.sigalgs);
  const groups = o.ecdhCurve !== undefined ? parseGroups(o.ecdhCurve) : undefined;
  if (groups !== undefined) out.groups = groups;
  if (o.ALPNProtocols !== undefined) out.ALPNProtocols = alpnOf(o.ALPNProtocols);
  if (o.trace !== undefined) out.trace = routedTrace;
  return out;
}

/** The engine callbacks a duplex routes to itself (see `routedHooks` in duplex.ts). */
export interface EngineHooks {
  readonly trace: (e: TraceEvent) => void;
  /** Absent: no configuration-level key log (each connection's observer carries its own). */
  readonly keyLog?: (line: string) => void;
}

/**
 * Matches `name` against an SNI map key (exact, or `*.` wildcard for exactly one label). node:tls's own rule for its
 * SNI context keys, not the certificate matcher of src/x509/hostname.ts: node:tls accepts keys (`*.com`) that a
 * certificate name may not be, so the two stay separate on purpose.
 */
export function sniKeyMatches(key: string, name: string): boolean {
  const k = key.toLowerCase();
  const n = name.toLowerCase();
  if (k === n) return true;
  if (!k.startsWith('*.')) return false;
  const dot = n.indexOf('.');
  return dot > 0 && n.slice(dot + 1) === k.slice(2);
}

/**
 * Server options for the idiomatic API. `defaultCreds` (when given) replaces key/cert as the first chain, as the
 * credentials an async SNICallback chose. `sniCredentials` become further chains picked by name.
 */
export function toServerOptions(
  options: NodeServerOptions,
  hooks: EngineHooks,
  defaultCreds?: SniAnswer,
): ServerOptions {
  const o = withSecureContext(options);
  const certificates: CertifiedKeyInput[] = [];
  const chosen = defaultCreds !== undefined ? credentialsOf(defaultCreds) : credentialsOf(o);
  if (chosen !== undefined) {
    const k: PemOrDer | KeyWithPassphrase | readonly (PemOrDer | KeyWithPassphrase)[] = chosen.key;
    const keys: readonly (PemOrDer | KeyWithPassphrase)[] = typeof k === 'string' || k instanceof Uint8Array || !Array.isArray(k) ? [k as PemOrDer | KeyWithPassphrase] : k;
    if (keys.length === 1 && keys[0] !== undefined) certificates.push(keyEntry(keys[0], chosen.cert, o.passphrase));
    else {
      // node:tls: parallel arrays of keys and certs, one chain per key type.
      const certs: readonly PemOrDer[] = typeof chosen.cert === 'string' || chosen.cert instanceof Uint8Array ? [chosen.cert] : chosen.cert;
      const paired = pairByPublicKey(keys, certs, o.passphrase);
      keys.forEach((k, i) => {
        const c = certs[paired[i] ?? i];
        if (c !== undefined) certificates.push(keyEntry(k, c, o.passphrase));
      });
    }
  }
  const fromPfx = defaultCreds === undefined ? pfxEntries(o.pfx, o.passphrase) : [];
  certificates.push(...fromPfx);
  const trust = trustOf(o.ca, fromPfx, false);
  const pool = chainPool(o.ca, fromPfx);
  const names = Object.keys(o.sniCredentials ?? {});
  const base = certificates.length;
  for (const n of names) {
    const c = credentialsOf(o.sniCredentials?.[n]);
    if (c !== undefined) {
      const k = c.key;
      const key = typeof k === 'string' || k instanceof Uint8Array || !Array.isArray(k) ? (k as PemOrDer | KeyWithPassphrase) : (k as readonly (PemOrDer | KeyWithPassphrase)[])[0];
      if (key !== undefined) certificates.push(keyEntry(key, c.cert, o.passphrase));
    }
  }
  const out: { -readonly [K in keyof ServerOptions]: ServerOptions[K] } = {
    ...common(o, hooks.trace, hooks.keyLog),
    certificates: certificates.map((c) => withIssuers(c, pool)),
  };
  if (names.length > 0) {
    out.SNICallback = (serverName: string): number | undefined => {
      const exact = names.findIndex((n) => n.toLowerCase() === serverName.toLowerCase());
      const i = exact >= 0 ? exact : names.findIndex((n) => sniKeyMatches(n, serverName));
      return i >= 0 ? base + i : undefined;
    };
  }
  if (o.clientAuth !== undefined) out.clientAuth = o.clientAuth;
  else if (o.requestCert === true) out.clientAuth = o.rejectUnauthorized === false ? 'optional' : 'required';
  if (trust !== undefined) out.ca = trust;
  if (o.crl !== undefined) out.crl = crlsOf(o.crl);
  if (o.requestCert === true && o.rejectUnauthorized === false) out.rejectUnauthorized = false;
  if (o.ticketCount !== undefined) out.ticketCount = o.ticketCount;
  if (o.sessionTimeout !== undefined) out.ticketLifetime = o.sessionTimeout;
  if (o.ticketKeys !== undefined) out.ticketKeys = o.ticketKeys;
  if (o.ticketKeyRotation !== undefined) out.ticketKeyRotation = o.ticketKeyRotation;
  if (o.singleUseTickets !== undefined) out.singleUseTickets = o.singleUseTickets;
  // node:tls (OpenSSL): no new TLS 1.3 ticket after a resumption; the client resumes again with the one it has.
  if (o.resumptionTicketCount !== undefined) out.resumptionTicketCount = o.resumptionTicketCount;
  else if (o.singleUseTickets !== true) out.resumptionTicketCount = 0;
  // node:tls (OpenSSL) runs TLS 1.2 renegotiations a client starts; the socket limits their rate (src/node/renegotiation.ts).
  out.allowClientRenegotiation = true;
  out.maxRenegotiations = NODE_SERVER_RENEGOTIATIONS;
  if (o.allowPskKe !== undefined) out.allowPskKe = o.allowPskKe;
  if (o.ticketKeySource !== undefined) out.ticketKeySource = o.ticketKeySource;
  return out;
}

/** True for an IPv4 or IPv6 literal (never sent as SNI, RFC 6066 §3). */
export function isIpLiteral(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(':');
}

/** Client options for the idiomatic API. */
export function toClientOptions(
  options: NodeClientOptions,
  hooks: EngineHooks,
): ClientOptions {
  const o = withSecureContext(options);
  const out: { -readonly [K in keyof ClientOptions]: ClientOptions[K] } = { ...common(o, hooks.trace, hooks.keyLog) };
  const servername = o.servername ?? o.host ?? 'localhost';
  if (servername !== '') out.servername = servername;
  // The adapter checks the host itself (node:tls order: chain first, then identity).
  if (typeof o.checkServerIdentity === 'function' || o.servername === '') out.checkServerName = false;
  const fromPfx = pfxEntries(o.pfx, o.passphrase);
  const trust = trustOf(o.ca, fromPfx, true);
  if (trust !== undefined) out.ca = trust;
  if (o.crl !== undefined) out.crl = crlsOf(o.crl);
  if (o.rejectUnauthorized !== undefined) out.rejectUnauthorized = o.rejectUnauthorized;
  // node:tls sends status_request only with requestOCSP.
  if (o.requestOCSP !== true) out.requestOcsp = false;
  const clientKey = Array.isArray(o.key) ? (o.key as readonly (PemOrDer | KeyWithPassphrase)[])[0] : (o.key as PemOrDer | KeyWithPassphrase | undefined);
  if (clientKey !== undefined && o.cert !== undefined) out.clientCertificate = withIssuers(keyEntry(clientKey, o.cert, o.passphrase), chainPool(o.ca, fromPfx));
  else if (fromPfx[0] !== undefined) out.clientCertificate = fromPfx[0];
  return out;
}

// ---- node:tls secure contexts -------------------------------------------------------------------------------
/*
 * node:tls's `createSecureContext(options)`: a credentials-and-settings bundle to pass as `secureContext`, to return
 * from an `SNICallback`, or to give `addContext` / `setSecureContext`. Ours holds the options (immutable); what is
 * expensive (parsing keys and chains) happens once per configuration when a server or client is built from it.
 */

/** What a secure context carries: node:tls's SecureContextOptions that we implement. */
export type SecureContextOptions = Pick<
  NodeServerOptions,
  'key' | 'cert' | 'ca' | 'ciphers' | 'ecdhCurve' | 'minVersion' | 'maxVersion' | 'sessionTimeout' | 'ticketKeys'
>;

/** A node:tls-style secure context (see the module comment). */
export class SecureContext {
  /** The options it was created with (frozen copy). */
  readonly options: Readonly<SecureContextOptions>;
  /** node:tls exposes the native context here; ours is this object itself. */
  readonly context: this;
  constructor(options: SecureContextOptions = {}) {
    this.options = Object.freeze({ ...options });
    this.context = this;
  }
}

/** node:tls `createSecureContext`. */
export function createSecureContext(options: SecureContextOptions = {}): SecureContext {
  return new SecureContext(options);
}

/**
 * Whether `x` is a secure context: ours, or any object carrying its options as `options` beside a `context` (so a
 * caller may hand us node:tls's own context with the options it was made from attached).
 */
export function isSecureContext(x: unknown): x is { readonly options: SecureContextOptions; readonly context: unknown } {
  return x instanceof SecureContext || (typeof x === 'object' && x !== null && 'context' in x && 'options' in x && typeof x.options === 'object');
}

/** node:tls takes a key or chain only when truthy (`key: false`, `cert: ''` mean none); an empty list is none too. */
function given<T>(v: T | undefined | null | false | '' | 0): v is T {
  return Boolean(v) && !(Array.isArray(v) && v.length === 0);
}

/** The key and chain of a context, or of a `{ key, cert }` object (what SNICallback / addContext may give). */
export function credentialsOf(x: unknown): { key: NonNullable<SecureContextOptions['key']>; cert: PemOrDer | readonly PemOrDer[] } | undefined {
  const o = isSecureContext(x) ? x.options : (x as SecureContextOptions | null | undefined);
  if (o === null || o === undefined || !given(o.key) || !given(o.cert)) return undefined;
  return { key: o.key, cert: o.cert };
}

/**
 * Options with a `secureContext` option's settings merged in (node:tls: the context's settings win). Options set to
 * null are left out: node:tls treats `crl: null`, `ciphers: null`, `pfx: null`… as not given.
 */
export function withSecureContext<T extends { readonly secureContext?: SecureContext }>(o: T): T {
  const ctx: unknown = o.secureContext;
  const merged: Record<string, unknown> = isSecureContext(ctx) ? { ...o, ...ctx.options } : { ...o };
  for (const k of Object.keys(merged)) if (merged[k] === null) delete merged[k];
  return merged as T;
}
