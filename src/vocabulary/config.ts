/**
 * The prepared configuration the engine and the state machines are written against, and the loaded certificate
 * type they share. Built once per TlsServer / TlsClient / SSPI credential by src/engine/config.ts. Shared
 * vocabulary: types only.
 */
import type { CryptoProvider, SigningKey } from '../crypto/provider.js';
import type { SuiteInfo } from '../crypto/suites.js';
import type { ClientHello } from '../wire/client-hello.js';
import type { RawExtension } from '../wire/extensions.js';
import type { Certificate } from '../x509/certificate.js';
import type { ChainVerifier } from '../x509/chain.js';
import type { SessionTicket } from './events.js';
import type { TraceEvent } from './options.js';
import type { SessionState } from './session.js';
import type { TicketKeyStore } from './ticket-keys.js';

export type { TicketKeyStore } from './ticket-keys.js';

/** A certificate chain with its loaded private key. */
export interface CertifiedKey {
  readonly chain: readonly Uint8Array[];
  readonly leaf: Certificate;
  readonly key: SigningKey;
  /** Lower-cased dNSName SANs of the leaf (for SNI selection). */
  readonly names: readonly string[];
  /** TLS 1.3 signature schemes this key can make, in our preference order. */
  readonly schemes13: readonly number[];
  /** TLS 1.2 signature schemes this key can make. */
  readonly schemes12: readonly number[];
  readonly ocspResponse: Uint8Array | undefined;
}

export interface PreparedCommon {
  readonly provider: CryptoProvider;
  readonly minVersion: number;
  readonly maxVersion: number;
  readonly suites: readonly SuiteInfo[];
  readonly groups: readonly number[];
  readonly signatureSchemes: readonly number[];
  /** ALPN ids in preference order, as bytes. */
  readonly alpn: readonly Uint8Array[] | undefined;
  readonly recordSizeLimit: number | undefined;
  readonly keyLog: ((line: string) => void) | undefined;
  readonly trace: ((e: TraceEvent) => void) | undefined;
  /** TLS 1.2 renegotiations per connection (server: started, client: accepted); 0 refuses. */
  readonly maxRenegotiations: number;
}

/** Server options prepared once: certificates, client-auth policy and verifiers, ticket keys, cookie key and session caches. */
export interface PreparedServerConfig extends PreparedCommon {
  readonly kind: 'server';
  readonly certificates: readonly CertifiedKey[];
  readonly sniCallback: ((name: string) => number | undefined) | undefined;
  readonly clientAuth: 'none' | 'optional' | 'required';
  /** Enforcing verifier for client certificates; null when they are accepted unverified (`rejectUnauthorized: false`). */
  readonly verifier: ChainVerifier | null;
  /** Verifier (from `ca`) used to report the result when not enforcing. */
  readonly reportVerifier: ChainVerifier | null;
  /** Subject DNs of the trust anchors, for certificate_authorities. */
  readonly caNames: readonly Uint8Array[];
  readonly ticketCount: number;
  /** NewSessionTickets after a resumed TLS 1.3 handshake. */
  readonly resumptionTicketCount: number;
  readonly allowPskKe: boolean;
  readonly ticketLifetime: number;
  readonly ticketKeys: TicketKeyStore;
  /**
   * Called with each TLS 1.3 ticket issued (the sealed bytes and its lifetime): a shared session store records it
   * so that a single use can be taken atomically on another server (src/session/prefetch.ts).
   */
  readonly onTicketIssued?: ((ticket: Uint8Array, lifetimeSeconds: number) => void) | undefined;
  /** Used tickets when `singleUseTickets` is on (ticket hash hex → expiry ms); bounded. */
  readonly usedTickets: Map<string, number> | undefined;
  /** Secret for HRR cookies. */
  readonly cookieKey: Uint8Array;
  /**
   * @internal Test hook: rewrite the EncryptedExtensions list before it is encoded (RFC 8448 byte-exact replays,
   * where the trace's server advertised groups our provider does not have).
   */
  readonly encryptedExtensionsHook?: ((exts: readonly RawExtension[]) => readonly RawExtension[]) | undefined;
  /** @internal Test hook: the HelloRetryRequest cookie for a ClientHello (RFC 8448 §5 replays the trace's cookie). */
  readonly hrrCookieHook?: ((clientHello1: Uint8Array) => Uint8Array) | undefined;
  /** TLS 1.2 session-id cache (hex id → session), bounded and least-recently-used first (src/tls12/server.ts). */
  readonly sessionCache12: Map<string, SessionState>;
  /** Run client-initiated TLS 1.2 renegotiations (default: refuse with no_renegotiation). */
  readonly allowClientRenegotiation: boolean;
}

/** Client options prepared once: server name, verifiers, OCSP policy, client certificate, key-share groups, session to offer. */
export interface PreparedClientConfig extends PreparedCommon {
  readonly kind: 'client';
  readonly serverName: string | undefined;
  /** Enforcing verifier; null when `rejectUnauthorized` is false. */
  readonly verifier: ChainVerifier | null;
  /** Verifier used to report (not enforce) the result when `rejectUnauthorized` is false. */
  readonly reportVerifier: ChainVerifier;
  readonly ocspPolicy: 'ignore' | 'check' | 'require';
  /** Whether the ClientHello carries status_request. */
  readonly requestOcsp: boolean;
  readonly checkServerName: boolean;
  readonly clientCertificate: CertifiedKey | undefined;
  readonly keyShareGroups: readonly number[];
  readonly session: SessionTicket | undefined;
  /**
   * @internal Test hook: rewrite a ClientHello before it is encoded (RFC 8448 byte-exact replays). The offer is
   * taken from the rewritten hello; an empty legacy_session_id turns middlebox compatibility mode off.
   */
  readonly clientHelloHook?: ((ch: ClientHello, retry: boolean) => ClientHello) | undefined;
  /**
   * When the server asks for a certificate this configuration cannot answer, wait for
   * `TlsEngine.supplyClientCertificate()` instead of answering with an empty Certificate (SSPI's
   * SEC_I_INCOMPLETE_CREDENTIALS, after which the caller may pass a new credential).
   */
  readonly deferClientCertificate?: boolean;
}
