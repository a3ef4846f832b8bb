/**
 * ML-KEM-768 from node:crypto itself (OpenSSL 3.5, Node 24+: `generateKeyPairSync('ml-kem-768')`, `encapsulate`,
 * `decapsulate`, raw key formats), adapted to the Kem interface of crypto/hybrid.ts. The running Node's functions are
 * passed in (node-provider.ts is the one module that imports node:crypto); `nodeMlKem768` answers undefined on a
 * Node without them, and the provider then keeps its other backend.
 *
 * Keygen is FIPS 203's ML-KEM.KeyGen_internal from a 64-byte seed (d ‖ z, node:crypto's 'raw-seed' private key
 * format: the given one, or one from node:crypto's CSPRNG), so the decapsulation key we keep is that seed;
 * encapsulation draws its message from OpenSSL's CSPRNG (node:crypto takes none), so `usesCallerRandomness` is
 * false and a seeded provider keeps the noble backend. The FIPS 203 §7.2 encapsulation-key check is ours, as with every backend.
 */
import type { Kem } from './hybrid.js';
import { mlKemModulusCheck } from './mlkem.js';

/** The part of a node:crypto KeyObject we use. */
interface NodeKeyObject {
  export(options: { format: 'raw-public' | 'raw-seed' }): Uint8Array;
}

/** The node:crypto functions ML-KEM needs (Node 24+); absent members mean the running Node has none. */
export interface NodeKemFunctions {
  readonly createPrivateKey: (key: { key: Uint8Array; format: 'raw-seed'; asymmetricKeyType: 'ml-kem-768' }) => NodeKeyObject;
  readonly createPublicKey: (key: NodeKeyObject | { key: Uint8Array; format: 'raw-public'; asymmetricKeyType: 'ml-kem-768' }) => NodeKeyObject;
  readonly encapsulate?: ((key: NodeKeyObject) => { sharedKey: Uint8Array; ciphertext: Uint8Array }) | undefined;
  readonly decapsulate?: ((key: NodeKeyObject, ciphertext: Uint8Array) => Uint8Array) | undefined;
  readonly randomBytes: (n: number) => Uint8Array;
}

const PK = 1184;
const CT = 1088;
const SEED = 64;

/** A plain Uint8Array copy of a node:crypto Buffer (whose `slice` is a view). */
const copy = (b: Uint8Array): Uint8Array => new Uint8Array(b);

/**
 * node:crypto's ML-KEM-768, or undefined when the running Node lacks it (no `encapsulate` / `decapsulate`, or no
 * ML-KEM-768 in its OpenSSL: a probe keygen fails).
 */
export function nodeMlKem768(nc: NodeKemFunctions): Kem | undefined {
  const { encapsulate, decapsulate } = nc;
  if (typeof encapsulate !== 'function' || typeof decapsulate !== 'function') return undefined;
  const privateFromSeed = (seed: Uint8Array): NodeKeyObject => nc.createPrivateKey({ key: seed, format: 'raw-seed', asymmetricKeyType: 'ml-kem-768' });
  try {
    const probe = nc.createPublicKey(privateFromSeed(new Uint8Array(SEED))).export({ format: 'raw-public' });
    if (probe.length !== PK) return undefined;
  } catch {
    return undefined;
  }
  return {
    publicKeyLen: PK,
    cipherTextLen: CT,
    // Keygen uses the seed; encapsulation cannot (node:crypto draws its message itself).
    usesCallerRandomness: false,
    keygen: (seed) => {
      // The provider hands a backend that says usesCallerRandomness: false an empty seed: draw one from
      // node:crypto's CSPRNG then (a 64-byte seed given is used as is: FIPS 203 KeyGen_internal(d, z)).
      const secretKey = seed.length === SEED ? seed.slice() : copy(nc.randomBytes(SEED));
      const publicKey = copy(nc.createPublicKey(privateFromSeed(secretKey)).export({ format: 'raw-public' }));
      return { publicKey, secretKey };
    },
    encapsulate: (publicKey) => {
      if (publicKey.length !== PK) throw new RangeError('ML-KEM-768 encapsulation key must be 1184 bytes');
      const key = nc.createPublicKey({ key: publicKey, format: 'raw-public', asymmetricKeyType: 'ml-kem-768' });
      const r = encapsulate(key);
      return { cipherText: copy(r.ciphertext), sharedSecret: copy(r.sharedKey) };
    },
    decapsulate: (cipherText, secretKey) => {
      if (cipherText.length !== CT || secretKey.length !== SEED) throw new RangeError('ML-KEM-768 ciphertext must be 1088 bytes and the key its 64-byte seed');
      return copy(decapsulate(privateFromSeed(secretKey), cipherText));
    },
    checkPublicKey: (publicKey) => mlKemModulusCheck(publicKey, 3),
  };
}
