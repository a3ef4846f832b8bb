/**
 * Credentials as Windows and Node programs hold them: PKCS#12/PFX files with a password, encrypted PKCS#8 and
 * traditional encrypted PEM keys. `loadCredential` is the one loader the front ends (API, node adapter, CLI) call.
 */
import { configError, type TlsError } from '../errors.js';
import { CredentialError, credentialError } from './errors.js';
import { unlockPrivateKey } from './keys.js';
import { keysWithChains, readPfx, type KeyAndChain } from './pkcs12.js';

export { CredentialError, credentialError, WIN32_ERROR_FOR, type CredentialErrorCode } from './errors.js';
export { isEncryptedKey, unlockPrivateKey } from './keys.js';
export {
  isPfx,
  readPfx,
  writePfx,
  verifyPfxPassword,
  keysWithChains,
  Pkcs12Oid,
  MAX_BAGS,
  type Pkcs12Contents,
  type Pkcs12Certificate,
  type Pkcs12Key,
  type KeyAndChain,
  type WritePfxOptions,
  type BagAttributes,
} from './pkcs12.js';
export { decryptPrivateKeyInfo, encryptPrivateKeyInfo, pkcs12Kdf, MAX_KDF_ITERATIONS, type PbeChoice } from './pbe.js';
export { MAX_CREDENTIAL_SIZE } from './asn1.js';

/**
 * The first private key of a PFX with its certificate chain (leaf first). Throws CredentialError ('NoKey' when the
 * file holds no key with a certificate, plus every reason of `readPfx`).
 */
export function loadPfx(pfx: Uint8Array, passphrase: string | undefined): KeyAndChain {
  const contents = readPfx(pfx, passphrase ?? '');
  const pairs = keysWithChains(contents);
  const first = pairs[0];
  if (first === undefined) {
    throw credentialError('NoKey', contents.keys.length === 0 ? 'PFX holds no private key' : 'PFX holds no certificate for its private key');
  }
  return first;
}

/** A chain and unencrypted key, what the engine loads (CertifiedKeyInput's shape). */
export interface LoadedCredential {
  readonly cert: readonly Uint8Array[] | string;
  readonly key: string | Uint8Array;
}

/** What the front ends pass: a PFX, or a certificate chain with a (possibly encrypted) key. */
export interface CredentialSource {
  readonly pfx?: Uint8Array;
  readonly cert?: string | readonly Uint8Array[];
  readonly key?: string | Uint8Array;
  readonly passphrase?: string | undefined;
}

/**
 * The one loader: a PFX (`pfx` + `passphrase`) or `cert` + `key` (+ `passphrase` when the key is encrypted) as the
 * chain and an unencrypted PKCS#8 key. Errors are TlsError InvalidConfig naming the reason (CredentialError message).
 */
export function loadCredential(src: CredentialSource): LoadedCredential {
  try {
    if (src.pfx !== undefined) {
      const p = loadPfx(src.pfx, src.passphrase);
      return { cert: p.chain, key: p.key };
    }
    if (src.cert === undefined || src.key === undefined) throw credentialError('NoKey', 'a certificate and its key (or a pfx) are needed');
    return { cert: src.cert, key: unlockPrivateKey(src.key, src.passphrase) };
  } catch (e) {
    throw asConfigError(e);
  }
}

/** A CredentialError as the engine's TlsError (InvalidConfig); anything else unchanged. */
export function asConfigError(e: unknown): unknown {
  if (e instanceof CredentialError) {
    const t: TlsError = configError(`${e.message} [${e.code}]`, e);
    return t;
  }
  return e;
}
