/**
 * Options every front end hands to the engine (the idiomatic API exports them from src/index.ts), and the trace
 * event. Option names follow node:tls where they mean the same thing. Shared vocabulary: types only.
 */
import type { CryptoProvider } from '../crypto/provider.js';
import type { TicketKeyStore } from './ticket-keys.js';

/** A certificate chain and its private key. */
export interface CertifiedKeyInput {
  /** The chain, leaf first: PEM text (one or more CERTIFICATE blocks) or DER certificates. */
  readonly cert: string | readonly Uint8Array[];
  /** The private key: PEM text or PKCS#8 DER. */
  readonly key: string | Uint8Array;
  /** A DER OCSP response to staple for this chain's leaf (status_request). */
  readonly ocspResponse?: Uint8Array;
  /** Passphrase of an encrypted key (PKCS#8 ENCRYPTED PRIVATE KEY or traditional `Proc-Type: 4,ENCRYPTED` PEM). */
  readonly passphrase?: string;
}

/** TLS protocol version names, as node:tls spells them. */
export type TlsVersionName = 'TLSv1.2' | 'TLSv1.3';

/** Options shared by clients and servers. */
export interface CommonOptions {
  /** The crypto provider; defaults to node:crypto with system randomness and clock. */
  readonly provider?: CryptoProvider;
  /** Lowest version to negotiate (default 'TLSv1.2' once TLS 1.2 is built, else 'TLSv1.3'). */
  readonly minVersion?: TlsVersionName;
  /** Highest version to negotiate (default 'TLSv1.3'). */
  readonly maxVersion?: TlsVersionName;
  /** Cipher suites by IANA value, in preference order. */
  readonly cipherSuites?: readonly number[];
  /** node:tls-style cipher string: TLS 1.3 suite names separated by ':' (e.g. 'TLS_AES_128_GCM_SHA256'). */
  readonly ciphers?: string;
  /** Key exchange groups by IANA value, in preference order. */
  readonly groups?: readonly number[];
  /** Signature schemes we accept / offer, by IANA value. */
  readonly signatureSchemes?: readonly number[];
  /**
   * ALPN protocol ids in preference order: bytes, or strings (UTF-8 encoded, as node:tls encodes them). Each id is
   * 1..255 bytes.
   */
  readonly ALPNProtocols?: readonly (string | Uint8Array)[];
  /** record_size_limit to advertise (RFC 8449), 64..16385. */
  readonly recordSizeLimit?: number;
  /** Receives NSS key log lines (SSLKEYLOGFILE format), without the trailing newline. */
  readonly keyLog?: (line: string) => void;
  /** Receives a trace of every handshake message sent and received (no secrets). */
  readonly trace?: (event: TraceEvent) => void;
  /**
   * TLS 1.2 secure renegotiations (RFC 5746) run per connection, server: started, client: accepted (default 3; 0
   * refuses every one with a no_renegotiation warning).
   */
  readonly maxRenegotiations?: number;
}

/** Server options. */
export interface ServerOptions extends CommonOptions {
  /** Certificate chains; the first is the default, others are chosen by SNI against their SAN dNSNames. */
  readonly certificates: readonly CertifiedKeyInput[];
  /** A PKCS#12/PFX file (node:tls `pfx`): its key and chain become the default certificate, before `certificates`. */
  readonly pfx?: Uint8Array;
  /** The PFX's password (node:tls `passphrase`). */
  readonly passphrase?: string;
  /** Choose a chain by server name (return undefined for the default). */
  readonly SNICallback?: (serverName: string) => number | undefined;
  /** Client certificate policy (default 'none'). `requestCert`/`rejectUnauthorized` map onto it as in node:tls. */
  readonly clientAuth?: 'none' | 'optional' | 'required';
  readonly requestCert?: boolean;
  readonly rejectUnauthorized?: boolean;
  /** Trust anchors for client certificates: PEM text or DER certificates. */
  readonly ca?: string | readonly Uint8Array[];
  /** Certificate revocation lists (PEM `X509 CRL` text or DER) checked against client chains (node:tls `crl`). */
  readonly crl?: string | readonly Uint8Array[];
  /** Number of NewSessionTickets to send after a TLS 1.3 handshake (default 2; 0 disables resumption). */
  readonly ticketCount?: number;
  /**
   * NewSessionTickets to send after a resumed TLS 1.3 handshake (default: `ticketCount`). 0 is what OpenSSL does
   * (node:tls): the client keeps the ticket it resumed with, unless tickets are single-use.
   */
  readonly resumptionTicketCount?: number;
  /**
   * Fixed ticket key material (node:tls `ticketKeys`): 48 bytes, the first 16 name the key, the next 32 are the
   * AES-256-GCM key. Servers sharing it accept each other's tickets; it does not rotate. Default: random keys that
   * rotate (see `ticketKeyRotation`).
   */
  readonly ticketKeys?: Uint8Array;
  /**
   * A ticket-key source shared by several servers (src/session/ticket-keys.ts: a static list as SSPI's
   * SESSION_TICKET_KEYS, or a schedule derived from one shared secret and the clock). Takes precedence over
   * `ticketKeys` and `ticketKeyRotation`.
   */
  readonly ticketKeySource?: TicketKeyStore;
  /** Ticket lifetime in seconds (default 7200, at most 604800, RFC 8446 §4.6.1). */
  readonly ticketLifetime?: number;
  /** How long a ticket key encrypts new tickets before it rotates, in seconds (default 43200); one previous key is kept. */
  readonly ticketKeyRotation?: number;
  /**
   * Allow psk_ke resumption (RFC 8446 §4.2.9: no key exchange, so no forward secrecy for the resumed session) when
   * the client offers it. Default false: every resumption uses psk_dhe_ke.
   */
  readonly allowPskKe?: boolean;
  /** Accept each ticket once (anti-replay, bounded memory of used tickets). Default false. */
  readonly singleUseTickets?: boolean;
  /**
   * Run a TLS 1.2 renegotiation the client starts (a ClientHello in traffic) instead of refusing it with a
   * no_renegotiation warning, as OpenSSL does by default. Default false.
   */
  readonly allowClientRenegotiation?: boolean;
}

/** Client options. */
export interface ClientOptions extends CommonOptions {
  /** SNI and the name the certificate is checked against. */
  readonly servername?: string;
  /** Trust anchors: PEM text or DER certificates. Default: Node's bundled root store. */
  readonly ca?: string | readonly Uint8Array[];
  /** Certificate revocation lists (PEM `X509 CRL` text or DER) checked against the server's chain (node:tls `crl`). */
  readonly crl?: string | readonly Uint8Array[];
  /** Verify the server's certificate (default true). */
  readonly rejectUnauthorized?: boolean;
  /** Client certificate for mutual authentication. */
  readonly clientCertificate?: CertifiedKeyInput;
  /** A PKCS#12/PFX file holding the client certificate and key (used when `clientCertificate` is not given). */
  readonly pfx?: Uint8Array;
  /** The PFX's password. */
  readonly passphrase?: string;
  /** Stapled OCSP: 'ignore' (default; still requested and exposed), 'check' a staple if present, 'require' one. */
  readonly ocspStapling?: 'ignore' | 'check' | 'require';
  /**
   * Send status_request (RFC 6066 §8) to ask for a stapled OCSP response (default true). node:tls sends it only
   * with `requestOCSP`; false with `ocspStapling: 'require'` is a configuration error.
   */
  readonly requestOcsp?: boolean;
  /**
   * Check the server name against the certificate (default true; SSPI's SCH_CRED_NO_SERVERNAME_CHECK). With the
   * default, TlsClient.connect() refuses to start without a server name (fail closed); false accepts any name.
   */
  readonly checkServerName?: boolean;
  /**
   * When the server asks for a certificate `clientCertificate` cannot answer, pause (the 'certificateRequest' event)
   * until `supplyClientCertificate()` instead of answering with an empty Certificate. Default false.
   */
  readonly deferClientCertificate?: boolean;
  /** Groups to send key shares for in the first ClientHello (default: the first supported group). */
  readonly keyShareGroups?: readonly number[];
}

/** One handshake message seen or sent, for --trace (no secrets). */
export interface TraceEvent {
  readonly direction: 'sent' | 'received';
  readonly message: string;
  readonly fields: Readonly<Record<string, string | number | boolean | readonly string[]>>;
}
