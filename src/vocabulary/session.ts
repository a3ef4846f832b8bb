/** A resumable session's state, as tickets and session caches keep it. Shared vocabulary. */

/** What a resumption needs to know about the original session. */
export interface SessionState {
  readonly version: number;
  readonly suite: number;
  /** TLS 1.3: the PSK; TLS 1.2: the master secret. */
  readonly secret: Uint8Array;
  readonly issuedAt: number;
  readonly lifetimeSeconds: number;
  readonly ageAdd: number;
  /** The negotiated ALPN id (bytes, as on the wire), or null. */
  readonly alpn: Uint8Array | null;
  readonly serverName: string;
  /** The peer's chain from the original handshake (client: the server's; server: the client's). */
  readonly peerChain: readonly Uint8Array[];
  /** TLS 1.2 only: extended master secret was used. */
  readonly extendedMasterSecret: boolean;
}
