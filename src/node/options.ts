/**
 * node:tls-style options and their translation to the idiomatic API's ServerOptions / ClientOptions. Names follow
 * node:tls where they mean the same; values may be strings or Buffers as node:tls allows.
 */
import type { CertifiedKeyInput, ClientOptions, CommonOptions, ServerOptions, TlsVersionName, TraceEvent } from '../api/types.js';
import type { SessionTicket } from '../engine/events.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { NamedGroup } from '../wire/registry.js';
import type { Duplex } from 'node:stream';
import type { TlsDuplex } from './duplex.js';
import type { PeerCertificate } from './peer-certificate.js';
import { credentialsOf, SecureContext, withSecureContext } from './secure-context.js';
import { mapCipherString, mapSigalgs } from './cipher-string.js';

/** PEM text, or a Buffer holding PEM text or DER. */
export type PemOrDer = string | Uint8Array;

/** A certificate chain and its key, node:tls style (what a SecureContext would hold). */
export interface Credentials {
  /** The private key: PEM text, or a Buffer with PEM text or PKCS#8 DER. */
  readonly key: PemOrDer;
  /** The chain, leaf first: PEM text (one or more blocks), a Buffer of PEM/DER, or an array of those. */
  readonly cert: PemOrDer | readonly PemOrDer[];
}

/** Options shared by {@link createServer} and {@link connect}. */
export interface NodeCommonOptions {
  /** Lowest version, 'TLSv1.2' or 'TLSv1.3'. */
  readonly minVersion?: TlsVersionName;
  /** Highest version, 'TLSv1.2' or 'TLSv1.3'. */
  readonly maxVersion?: TlsVersionName;
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
  /** node:tls: verify the peer's certificate (client default true; server: reject clients without a valid one). */
  readonly rejectUnauthorized?: boolean;
  /** The crypto provider (default: node:crypto). */
  readonly provider?: CryptoProvider;
  /** Milliseconds the handshake may take before the connection fails (default 120000, as node:tls; 0: none). */
  readonly handshakeTimeout?: number;
  /** Keep the writable side open after the peer's close_notify (default false, as net.Socket). */
  readonly allowHalfOpen?: boolean;
  /**
   * Receives every handshake message sent or received (no secrets), with the connection it belongs to. Tracing is
   * on only when this is set; the TlsDuplex then also emits each event as 'trace'.
   */
  readonly trace?: (event: TraceEvent, socket: TlsDuplex) => void;
  /** node:tls: a context from {@link createSecureContext}; its settings (key, cert, ca, ciphers…) are used. */
  readonly secureContext?: SecureContext;
}

/** What an SNICallback may answer: credentials, or a secure context (node:tls). */
export type SniAnswer = Credentials | SecureContext;

/** Options of {@link createServer} and of a server-side {@link TlsDuplex}. */
export interface NodeServerOptions extends NodeCommonOptions {
  /** The default private key (with `cert`). */
  readonly key?: PemOrDer | readonly PemOrDer[];
  /** The default chain (with `key`). */
  readonly cert?: PemOrDer | readonly PemOrDer[];
  /**
   * node:tls-style SNI hook: called with the client's server name before the handshake goes on; call back with
   * credentials for that name, or with `undefined`/`null` for the default ones. May answer asynchronously.
   */
  readonly SNICallback?: (servername: string, cb: (err: Error | null, creds?: SniAnswer | null) => void) => void;
  /** Credentials by server name (exact, or `*.example.com` for one label); the map form of SNICallback. */
  readonly sniCredentials?: Readonly<Record<string, SniAnswer>>;
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
  /** Allow psk_ke resumption (no key exchange) when the client offers it. */
  readonly allowPskKe?: boolean;
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
  /** Client certificate key (with `cert`), for mutual authentication. */
  readonly key?: PemOrDer;
  /** Client certificate chain (with `key`). */
  readonly cert?: PemOrDer | readonly PemOrDer[];
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

function keyOf(input: PemOrDer): string | Uint8Array {
  if (typeof input === 'string') return input;
  return isPemBytes(input) ? Buffer.from(input).toString('latin1') : input;
}

/** Credentials as the idiomatic API's CertifiedKeyInput. */
export function toCertifiedKey(creds: Credentials): CertifiedKeyInput {
  return { cert: chainOf(creds.cert), key: keyOf(creds.key) };
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

function alpnOf(list: readonly (string | Uint8Array)[]): string[] {
  return list.map((p) => (typeof p === 'string' ? p : Buffer.from(p).toString('latin1')));
}

function common(o: NodeCommonOptions, routedTrace: (e: TraceEvent) => void, keyLog: (line: string) => void): CommonOptions {
  const out: { -readonly [K in keyof CommonOptions]: CommonOptions[K] } = { keyLog };
  if (o.provider !== undefined) out.provider = o.provider;
  const range = versionRange(o);
  if (range.min !== undefined) out.minVersion = range.min;
  if (range.max !== undefined) out.maxVersion = range.max;
  if (o.ciphers !== undefined) out.ciphers = mapCipherString(o.ciphers, range.max === undefined || range.max === 'TLSv1.3');
  if (o.sigalgs !== undefined) out.signatureSchemes = mapSigalgs(o.sigalgs);
  const groups = o.ecdhCurve !== undefined ? parseGroups(o.ecdhCurve) : undefined;
  if (groups !== undefined) out.groups = groups;
  if (o.ALPNProtocols !== undefined) out.ALPNProtocols = alpnOf(o.ALPNProtocols);
  if (o.trace !== undefined) out.trace = routedTrace;
  return out;
}

/** The engine callbacks a duplex routes to itself (see `routedHooks` in duplex.ts). */
export interface EngineHooks {
  readonly trace: (e: TraceEvent) => void;
  readonly keyLog: (line: string) => void;
}

/** Matches `name` against an SNI map key (exact, or `*.` wildcard for exactly one label). */
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
    const keys: readonly PemOrDer[] = typeof chosen.key === 'string' || chosen.key instanceof Uint8Array ? [chosen.key] : chosen.key;
    if (keys.length === 1 && keys[0] !== undefined) certificates.push(toCertifiedKey({ key: keys[0], cert: chosen.cert }));
    else {
      // node:tls: parallel arrays of keys and certs, one chain per key type.
      const certs: readonly PemOrDer[] = typeof chosen.cert === 'string' || chosen.cert instanceof Uint8Array ? [chosen.cert] : chosen.cert;
      keys.forEach((k, i) => {
        const c = certs[i];
        if (c !== undefined) certificates.push(toCertifiedKey({ key: k, cert: c }));
      });
    }
  }
  const names = Object.keys(o.sniCredentials ?? {});
  const base = certificates.length;
  for (const n of names) {
    const c = credentialsOf(o.sniCredentials?.[n]);
    if (c !== undefined) {
      const key = typeof c.key === 'string' || c.key instanceof Uint8Array ? c.key : c.key[0];
      if (key !== undefined) certificates.push(toCertifiedKey({ key, cert: c.cert }));
    }
  }
  const out: { -readonly [K in keyof ServerOptions]: ServerOptions[K] } = {
    ...common(o, hooks.trace, hooks.keyLog),
    certificates,
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
  if (o.ca !== undefined) out.ca = chainOf(o.ca);
  if (o.requestCert === true && o.rejectUnauthorized === false) out.rejectUnauthorized = false;
  if (o.ticketCount !== undefined) out.ticketCount = o.ticketCount;
  if (o.sessionTimeout !== undefined) out.ticketLifetime = o.sessionTimeout;
  if (o.ticketKeys !== undefined) out.ticketKeys = o.ticketKeys;
  if (o.ticketKeyRotation !== undefined) out.ticketKeyRotation = o.ticketKeyRotation;
  if (o.singleUseTickets !== undefined) out.singleUseTickets = o.singleUseTickets;
  if (o.allowPskKe !== undefined) out.allowPskKe = o.allowPskKe;
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
  if (o.ca !== undefined) out.ca = chainOf(o.ca);
  if (o.rejectUnauthorized !== undefined) out.rejectUnauthorized = o.rejectUnauthorized;
  if (o.key !== undefined && o.cert !== undefined) out.clientCertificate = toCertifiedKey({ key: o.key, cert: o.cert });
  return out;
}
