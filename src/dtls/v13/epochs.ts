/**
 * DTLS 1.3 epochs (RFC 9147 §6.1): what each epoch's records are protected with, and which held receive epoch a
 * record's two epoch bits name (§4.2.2).
 */

/** The fixed epochs of a handshake; every KeyUpdate adds one after `application`. */
export const Epoch = {
  /** Plaintext: ClientHello, HelloRetryRequest, ServerHello, plaintext alerts and ACKs. */
  plaintext: 0,
  /** 0-RTT data under client_early_traffic_secret. */
  earlyData: 1,
  /** [sender]_handshake_traffic_secret. */
  handshake: 2,
  /** The first [sender]_application_traffic_secret; KeyUpdate N uses epoch 3 + N. */
  application: 3,
} as const;

/** Which traffic secret protects an epoch's records. */
export type EpochKind = 'plaintext' | 'early-data' | 'handshake' | 'application';

/** The kind of an epoch. */
export function epochKind(epoch: number): EpochKind {
  if (epoch === Epoch.plaintext) return 'plaintext';
  if (epoch === Epoch.earlyData) return 'early-data';
  if (epoch === Epoch.handshake) return 'handshake';
  return 'application';
}

/**
 * The held epoch a DTLSCiphertext's epoch bits name: the newest of `held` whose low two bits match (§4.2.2: the
 * current epoch when the bits match it, else the most recent past one). `held` lists ciphertext epochs; with at most
 * four consecutive epochs held the answer is never ambiguous. undefined when none matches (the record is dropped).
 */
export function epochForBits(held: readonly number[], bits: number): number | undefined {
  let best: number | undefined;
  for (const e of held) if ((e & 3) === (bits & 3) && (best === undefined || e > best)) best = e;
  return best;
}
