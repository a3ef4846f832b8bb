/** The session-ticket key store the server seals and opens tickets with. Shared vocabulary: types only. */

/** Session-ticket keys of a server: the current key and the ones still accepted (RFC 8446 §4.6.1, RFC 5077). */
export interface TicketKeyStore {
  readonly lifetimeMs: number;
  /** The key to encrypt new tickets with. */
  current(): { readonly id: Uint8Array; readonly key: Uint8Array };
  /** The key with this id, if still known. */
  find(id: Uint8Array): Uint8Array | undefined;
  /** Rotate now: the current key becomes the previous one. */
  rotate(): void;
  /**
   * Replace every key with a caller-managed list (16-byte id, 32-byte key), which never rotates: tickets are issued
   * under the first and accepted under any (SSPI SECPKG_ATTR_SESSION_TICKET_KEYS).
   */
  replace(keys: readonly { readonly id: Uint8Array; readonly key: Uint8Array }[]): void;
}
