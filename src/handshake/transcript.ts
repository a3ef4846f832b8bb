/**
 * The handshake transcript. Before the cipher suite (and so the hash) is known, messages are buffered
 * (TranscriptBuffer); then they are hashed incrementally (Transcript). Messages are hashed as received (their raw
 * bytes), never re-encoded.
 */
import type { CryptoProvider, HashAlg, RunningHash } from '../crypto/provider.js';
import { HandshakeType } from '../wire/registry.js';

/** Messages seen before the hash is known. */
export class TranscriptBuffer {
  readonly #messages: Uint8Array[] = [];
  add(message: Uint8Array): void {
    this.#messages.push(message.slice());
  }
  /** The buffered messages (read-only use). */
  get messages(): readonly Uint8Array[] {
    return this.#messages;
  }
  /** Start hashing with `hash`, feeding what was buffered. */
  toTranscript(p: CryptoProvider, hash: HashAlg): Transcript {
    const t = new Transcript(p.createHash(hash));
    for (const m of this.#messages) t.add(m);
    return t;
  }
  /**
   * RFC 8446 §4.4.1: after a HelloRetryRequest, ClientHello1 is replaced by message_hash (type 254, u24 length,
   * Hash(ClientHello1)). Returns a transcript holding that synthetic message.
   */
  static hrrRollup(p: CryptoProvider, hash: HashAlg, hashLen: number, clientHello1: Uint8Array): Transcript {
    const t = new Transcript(p.createHash(hash));
    const h = p.hash(hash, clientHello1);
    const synthetic = new Uint8Array(4 + hashLen);
    synthetic[0] = HandshakeType.MessageHash;
    synthetic[3] = hashLen;
    synthetic.set(h, 4);
    t.add(synthetic);
    return t;
  }
}

/** The hash's value for reading only: its peekReadOnly when it has one, else peek. */
function readOnlyPeek(h: RunningHash): Uint8Array {
  return h.peekReadOnly !== undefined ? h.peekReadOnly() : h.peek();
}

/** The running transcript hash. */
export class Transcript {
  readonly #h: RunningHash;
  /** current()'s value until the next add: the same hash is often needed twice (e.g. a Finished, then secrets). */
  #current: Uint8Array | undefined;
  constructor(h: RunningHash) {
    this.#h = h;
  }
  add(message: Uint8Array): void {
    this.#h.update(message);
    this.#current = undefined;
  }
  /**
   * Hash of everything so far (shared: only read it, never modify, slice or hand it out; it may be of a Uint8Array
   * subclass, see RunningHash.peekReadOnly).
   */
  current(): Uint8Array {
    return (this.#current ??= readOnlyPeek(this.#h));
  }
  /** Hash of everything so far plus `extra`, without adding it (PSK binders); read it only, as `current()`'s. */
  currentWith(extra: Uint8Array): Uint8Array {
    const f = this.#h.fork();
    f.update(extra);
    return readOnlyPeek(f);
  }
  fork(): Transcript {
    return new Transcript(this.#h.fork());
  }
}
