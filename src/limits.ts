/**
 * Every limit on peer-controlled input, one documented constant each.
 */

/** RFC 8446 §5.1: TLSPlaintext.length MUST NOT exceed 2^14. */
export const MAX_PLAINTEXT = 16384;
/** RFC 8446 §5.2: TLSCiphertext.length MUST NOT exceed 2^14 + 256. */
export const MAX_CIPHERTEXT_13 = 16384 + 256;
/** RFC 5246 §6.2.3: TLSCiphertext.length MUST NOT exceed 2^14 + 2048. */
export const MAX_CIPHERTEXT_12 = 16384 + 2048;
/** Largest handshake message accepted (certificate chains included); Go uses 64 KiB for certificates, rustls 64 KiB. */
export const MAX_HANDSHAKE_MESSAGE = 65536;
/**
 * Largest ClientHello accepted: OpenSSL's CLIENT_HELLO_MAX_LENGTH (131396). RFC 8446 sets no bound, and real
 * hellos grow (post-quantum key shares, many extensions); parsing one is linear in its size.
 */
export const MAX_CLIENT_HELLO = 131396;
/** Most extensions accepted in one message (far above any real ClientHello, ~20). */
export const MAX_EXTENSIONS = 64;
/**
 * Most certificates accepted in a peer chain: what a real chain with cross-signs and surplus intermediates needs
 * (BetterTLS sends 36), the bytes bounded by MAX_HANDSHAKE_MESSAGE; x509 path building bounds its own search.
 */
export const MAX_CHAIN_LENGTH = 64;
/** Empty (zero-length) records tolerated in a run without progress (src/record/idle-runs.ts); cf. BoringSSL's kMaxEmptyRecords = 32. */
export const MAX_EMPTY_RECORDS = 32;
/** Warning alerts tolerated in a run without progress (TLS 1.2 warnings, TLS 1.3 user_canceled); cf. BoringSSL's kMaxWarningAlerts = 4. */
export const MAX_WARNING_ALERTS = 4;
/** KeyUpdates tolerated in a run without progress (application data or another handshake message); cf. BoringSSL's kMaxKeyUpdates = 32. */
export const MAX_KEY_UPDATES = 32;
/** change_cipher_spec records tolerated during a TLS 1.3 handshake (RFC 8446 D.4 allows one; some send one per flight). */
export const MAX_CCS = 2;
/** Bytes of an incomplete handshake message buffered across records. */
export const MAX_BUFFERED_HANDSHAKE = MAX_HANDSHAKE_MESSAGE + 4;
/** PSK identities a server tries in one ClientHello (more are decoded and ignored: RFC 8446 §4.2.11 lets it choose). */
export const MAX_PSK_IDENTITIES = 16;
/** Records sealed under one key before we KeyUpdate (TLS 1.3) — below AES-GCM's 2^24.5 limit (RFC 8446 §5.5). */
export const SEQ_SOFT_LIMIT = 2 ** 24;
/**
 * Hard stop for a sequence number. TLS allows 2^64 - 1; we stop at 2^48 records (2^62 bytes at most per key in
 * TLS 1.2, where no KeyUpdate exists), which keeps sequence arithmetic in exact JS numbers.
 */
export const SEQ_HARD_LIMIT = 2 ** 48;
/** Tickets received and kept per server name by the client's session cache. */
export const MAX_TICKETS_PER_SERVER = 4;
/** Tickets remembered as used when single-use tickets are on (each entry ~100 bytes; expired ones go first). */
export const MAX_USED_TICKETS = 100_000;
/**
 * Bytes of declined early data a server skips (RFC 8446 §4.2.10 "up to the configured max_early_data_size"; we
 * never offer 0-RTT, so only a client that offered it blindly sends any): each skipped record is charged its
 * length plus SKIPPED_RECORD_CHARGE, so a flood of empty records ends too.
 */
export const MAX_EARLY_DATA_SKIPPED = 65536;
/** What a skipped early-data record costs beyond its length: its header and the work of looking at it. */
export const SKIPPED_RECORD_CHARGE = 64;

/**
 * Default TLS 1.2 renegotiations per connection (RFC 5746; `maxRenegotiations`). Each is a full handshake the peer
 * can make us run: a small number serves the client-certificate-on-demand pattern (IIS, .NET) and bounds the work.
 */
export const DEFAULT_RENEGOTIATIONS = 3;
