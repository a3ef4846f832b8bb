/**
 * The crypto provider: synchronous interfaces for every primitive the engine uses, plus randomness and the
 * clock. Only crypto/node-provider.ts implements them on node:crypto; the engine receives a provider through its
 * config, so a seeded provider (test/helpers/deterministic-provider.ts) reproduces a handshake byte for byte.
 */

/** Hash functions used by TLS. */
export type HashAlg = 'sha256' | 'sha384' | 'sha512' | 'sha1';

/** AEAD algorithms used by TLS. */
export type AeadAlg = 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';

/** An incremental hash whose value can be read without ending it (the transcript hash). */
export interface RunningHash {
  update(data: Uint8Array): void;
  /** The hash of everything so far; the hash can keep going. */
  peek(): Uint8Array;
  /**
   * Optional: `peek` for a value the engine only reads (the TLS 1.3 transcript hash, copied into labels, signed
   * content and HMACs): never modified, sliced or handed out, so it may be of a Uint8Array subclass (node:crypto's
   * Buffer as it is). Absent: `peek` is used.
   */
  peekReadOnly?(): Uint8Array;
  /** An independent copy. */
  fork(): RunningHash;
}

/** An AEAD with its key fixed. */
/** What `Aead.sealParts` returns. */
export interface SealedParts {
  readonly ciphertext: Uint8Array;
  readonly tag: Uint8Array;
}

export interface Aead {
  readonly tagLen: number;
  /** ciphertext ‖ tag of `plaintext`. */
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /** Seal `plaintext` into `out` at `offset` (ciphertext then tag); returns the bytes written. */
  sealInto(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out: Uint8Array, offset: number): number;
  /**
   * The cipher's own output, not copied: `ciphertext` (as long as `plaintext`) and the tag. For callers that place
   * the pieces themselves (SSPI EncryptMessage writes them into the caller's header/data/trailer buffers).
   */
  sealParts(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): SealedParts;
  /**
   * `prefix ‖ ciphertext ‖ tag` in one fresh array that is not zero-filled first (every byte is written): a whole
   * record with its header (and TLS 1.2 explicit nonce) as `prefix`, one allocation.
   */
  sealRecord(nonce: Uint8Array, aad: Uint8Array, prefix: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /** The plaintext, or null when authentication fails. `sealed` is ciphertext ‖ tag. */
  open(nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array | null;
}

/** The client's half of a key exchange: a key share and how to finish it. */
export interface KeyExchangeClient {
  readonly group: number;
  readonly publicKey: Uint8Array;
  /** The shared secret from the server's share; throws TlsError(illegal_parameter) on an invalid share. */
  complete(serverShare: Uint8Array): Uint8Array;
}

/** The server's side of a key exchange done in one step. */
export interface KeyExchangeServerResult {
  readonly publicKey: Uint8Array;
  readonly sharedSecret: Uint8Array;
}

/** Key algorithm families of signing keys. */
export type KeyAlgorithm = 'rsa' | 'rsa-pss' | 'ec-p256' | 'ec-p384' | 'ec-p521' | 'ed25519' | 'ed448';

/** A private key made once, at credential time. */
export interface SigningKey {
  readonly algorithm: KeyAlgorithm;
  /** RSA modulus size in bits (0 for others). */
  readonly bits: number;
  /** SubjectPublicKeyInfo (DER) of the matching public key. */
  readonly spki: Uint8Array;
  sign(scheme: number, data: Uint8Array): Uint8Array;
}

/** A public key (from a certificate's SPKI), made once and reusable. */
export interface VerifyingKey {
  readonly algorithm: KeyAlgorithm;
  readonly bits: number;
  verify(scheme: number, data: Uint8Array, signature: Uint8Array): boolean;
}

/** Everything the engine needs from cryptography, randomness and time. */
export interface CryptoProvider {
  randomBytes(n: number): Uint8Array;
  /** Milliseconds since the Unix epoch. */
  now(): number;
  hash(alg: HashAlg, data: Uint8Array): Uint8Array;
  createHash(alg: HashAlg): RunningHash;
  hmac(alg: HashAlg, key: Uint8Array, data: Uint8Array): Uint8Array;
  /**
   * Optional: `hmac` for a result the engine keeps to itself and only reads (an intermediate secret used as an HMAC
   * key, a record key and IV handed to `aead` and the nonce): never modified, sliced or handed out, so it may be of
   * a Uint8Array subclass whose `slice` is a view (node:crypto's Buffer, without a Uint8Array made over it). Absent:
   * `hmac` is used.
   */
  hmacKeyMaterial?(alg: HashAlg, key: Uint8Array, data: Uint8Array): Uint8Array;
  aead(alg: AeadAlg, key: Uint8Array): Aead;
  /**
   * DTLS 1.3 record number encryption (RFC 9147 §4.2.3): the 16-byte mask for a record whose ciphertext starts with
   * `sample` (16 bytes), under the sender's sn_key: AES-ECB(key, sample) for the AES AEADs, the ChaCha20 block with
   * counter sample[0..3] (little-endian) and nonce sample[4..15] for ChaCha20-Poly1305.
   */
  recordNumberMask(alg: AeadAlg, key: Uint8Array, sample: Uint8Array): Uint8Array;
  /** Groups this provider can do, in its preference order. */
  readonly supportedGroups: readonly number[];
  /** Start a key exchange as the client; undefined for a group we cannot do. */
  keyExchangeClient(group: number): KeyExchangeClient | undefined;
  /** Answer a client's share as the server; throws TlsError(illegal_parameter) on an invalid share. */
  keyExchangeServer(group: number, clientShare: Uint8Array): KeyExchangeServerResult;
  /** Load a private key from PEM text or DER (PKCS#8, or PKCS#1/SEC1 when tagged by PEM). */
  loadSigningKey(key: string | Uint8Array): SigningKey;
  /** Import a public key from a DER SubjectPublicKeyInfo. */
  loadVerifyingKey(spki: Uint8Array): VerifyingKey;
  /** Constant-time equality of secrets (MACs, Finished). */
  equalSecret(a: Uint8Array, b: Uint8Array): boolean;
}
