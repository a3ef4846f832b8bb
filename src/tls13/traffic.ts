/** The TLS 1.3 state after the handshake: secrets for KeyUpdate, exporters, tickets and post-handshake auth. */
import type { SuiteInfo } from '../crypto/suites.js';
import type { ConnectionInfo } from '../vocabulary/connection-info.js';
import type { Transcript } from '../handshake/transcript.js';
import type { CertVerified, FinishedVerified, SignatureVerified } from '../handshake/verify.js';

/** TLS 1.3 post-handshake state: traffic, exporter and resumption secrets, transcript and post-handshake auth. */
export interface TrafficState {
  /** The proofs that let the handshake reach Traffic (DESIGN C.5 rule 4): no Traffic state without all three. */
  readonly proof: { readonly cert: CertVerified; readonly sig: SignatureVerified; readonly fin: FinishedVerified };
  readonly suite: SuiteInfo;
  readonly clientSecret: Uint8Array;
  readonly serverSecret: Uint8Array;
  readonly exporterSecret: Uint8Array;
  readonly resumptionSecret: Uint8Array;
  /** Transcript through the client Finished (post-handshake authentication builds on it). */
  readonly transcript: Transcript;
  readonly info: ConnectionInfo;
  readonly clientRandom: Uint8Array;
  /** Our own chain sent in the handshake (client certificate), if any. */
  readonly localChain: readonly Uint8Array[];
  /** Server: the client offered post_handshake_auth (RFC 8446 §4.2.6). */
  readonly postHandshakeAuth: boolean;
  /** Server: outstanding post-handshake CertificateRequests by context (hex). */
  readonly postHandshakeRequests: ReadonlyMap<string, Uint8Array>;
  /** Server: a post-handshake client authentication in progress. */
  readonly pendingClientAuth: { readonly context: string; readonly transcript: Transcript; readonly chain: readonly Uint8Array[] | undefined; readonly stage: 'Certificate' | 'CertificateVerify' | 'Finished' } | undefined;
}
