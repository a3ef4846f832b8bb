/**
 * Crypt32 certificate stores as Schannel programs use them (curl: PFXImportCertStore → CertFindCertificateInStore;
 * MsQuic: CertOpenStore("MY") → CertFindCertificateInStore(CERT_FIND_ENHKEY_USAGE) → CERT_HASH_PROP_ID), with
 * Windows' names, parameter order and constant values. Where Windows keeps stores in the registry and keys in key
 * containers, this port keeps them in files:
 *
 * - System stores ("MY", "ROOT", "CA", any name) are directories `<root>/<Location>/<NAME>/`, where `<Location>` is
 *   `CurrentUser`, `LocalMachine`, … (curl's spelling of CERT_SYSTEM_STORE_*) and `<root>` is the `systemStoreRoot`
 *   given to {@link Crypt32}, else `$SSPI_TLS_CERT_STORES`, else `~/.sspi-tls/certstores` (see {@link defaultSystemStoreRoot}).
 *   A store directory holds certificates as `*.cer` / `*.crt` / `*.der` / `*.pem` files (a PEM may hold several),
 *   each certificate's private key in a file of the same base name ending `.key` (PKCS#8 or traditional PEM, or
 *   DER; mode 0600), and `*.pfx` / `*.p12` files with an empty password. Adding a certificate to a system store writes
 *   `<SHA1 THUMBPRINT>.cer` (and `.key` when its key was not imported with PKCS12_NO_PERSIST_KEY).
 * - The file system is passed in (`new Crypt32({ fs })` with `import * as fs from 'node:fs'`, or any object with
 *   the same few synchronous functions, {@link CertStoreFs}); without one, memory, PKCS#7 and PKCS#12 stores work
 *   and system/file stores fail with ERROR_NOT_SUPPORTED.
 * - GetLastError is per {@link Crypt32} instance (no process-wide state): make one, call its functions (they may be
 *   destructured: `const { CertOpenStore, GetLastError } = new Crypt32({ fs })`).
 */
import { homedir } from 'node:os';
import { extname, join } from 'node:path';
import type { CredentialCrypto } from '../crypto/credential-crypto.js';
import { getDefaultCredentialCrypto } from '../crypto/node-provider.js';
import { CredentialError, WIN32_ERROR_FOR, credentialError } from '../credentials/errors.js';
import { unlockPrivateKey } from '../credentials/keys.js';
import { isPfx, keysWithChains, readPfx, verifyPfxPassword, writePfx } from '../credentials/pkcs12.js';
import { DerReader, Tag, ctxCons, oid as readOid } from '../x509/der.js';
import { derToPem, pemToDer } from '../x509/pem.js';
import { CertContext, CertStore } from './cert-context.js';
import * as C from './constants.js';
import * as T from './cert-store-types.js';
import { CRYPT_INTEGER_BLOB, CERT_ENHKEY_USAGE, CRYPT_KEY_PROV_INFO, PKCS12_PBES2_EXPORT_PARAMS, SCHANNEL_CERT_HASH, SCHANNEL_CERT_HASH_STORE } from './cert-store-types.js';

export * from './cert-store-types.js';

/** A PCCERT_CONTEXT that belongs to a store: its properties and whether its key may be persisted. */
export class StoreCertContext extends CertContext {
  /** Properties set on it (friendly name, …) by id. */
  readonly properties = new Map<number, Uint8Array>();
  /** Whether the key came from PFXImportCertStore with PKCS12_NO_PERSIST_KEY (never written to a store). */
  readonly ephemeralKey: boolean;
  /** SHA-1 of the encoding (the thumbprint). */
  readonly sha1: Uint8Array;

  /** @internal */
  constructor(chain: readonly Uint8Array[], key: Uint8Array | undefined, ephemeralKey: boolean, crypto: CredentialCrypto) {
    super(chain, key);
    this.ephemeralKey = ephemeralKey;
    this.sha1 = crypto.digest('sha1', this.pbCertEncoded);
  }
}

/** An HCERTSTORE: contexts in order; `certificates` (what hRootStore readers use) follows them. */
export class HCERTSTORE extends CertStore {
  readonly #contexts: StoreCertContext[] = [];
  /** The directory of a system store (writes go there), or undefined. */
  readonly directory: string | undefined;
  /** CERT_STORE_READONLY_FLAG. */
  readonly readOnly: boolean;
  /** Set by CertCloseStore. */
  closed = false;

  /** @internal Use CertOpenStore / PFXImportCertStore. */
  constructor(directory: string | undefined, readOnly: boolean) {
    super([]);
    this.directory = directory;
    this.readOnly = readOnly;
    Object.defineProperty(this, 'certificates', { get: () => this.#contexts.map((c) => c.pbCertEncoded), enumerable: true });
  }

  /** The contexts, in order. */
  get contexts(): readonly StoreCertContext[] {
    return this.#contexts;
  }

  /** @internal */
  push(c: StoreCertContext): void {
    this.#contexts.push(c);
  }

  /** @internal */
  replace(i: number, c: StoreCertContext): void {
    this.#contexts[i] = c;
  }
}

/** The synchronous file functions the file-backed stores use (node:fs satisfies it). */
export interface CertStoreFs {
  readFileSync(path: string): Uint8Array;
  writeFileSync(path: string, data: Uint8Array | string, options?: { mode?: number }): void;
  existsSync(path: string): boolean;
  readdirSync(path: string): string[];
  mkdirSync(path: string, options?: { recursive?: boolean; mode?: number }): unknown;
  chmodSync(path: string, mode: number): void;
}

/** What a {@link Crypt32} is configured with. */
export interface Crypt32Options {
  /** The file system for system and file stores (none: those fail with ERROR_NOT_SUPPORTED). */
  readonly fs?: CertStoreFs;
  /** Directory holding the system stores (default {@link defaultSystemStoreRoot}). */
  readonly systemStoreRoot?: string;
  /** Cryptography (default node:crypto). */
  readonly crypto?: CredentialCrypto;
}

/** `$SSPI_TLS_CERT_STORES`, else `~/.sspi-tls/certstores`: where system stores live unless a Crypt32 says otherwise. */
export function defaultSystemStoreRoot(env: NodeJS.ProcessEnv = process.env): string {
  const v = env['SSPI_TLS_CERT_STORES'];
  return v !== undefined && v !== '' ? v : join(homedir(), '.sspi-tls', 'certstores');
}

const LOCATIONS: Readonly<Record<number, string>> = {
  [T.CERT_SYSTEM_STORE_CURRENT_USER]: 'CurrentUser',
  [T.CERT_SYSTEM_STORE_LOCAL_MACHINE]: 'LocalMachine',
  [T.CERT_SYSTEM_STORE_CURRENT_SERVICE]: 'CurrentService',
  [T.CERT_SYSTEM_STORE_SERVICES]: 'Services',
  [T.CERT_SYSTEM_STORE_USERS]: 'Users',
  [T.CERT_SYSTEM_STORE_CURRENT_USER_GROUP_POLICY]: 'CurrentUserGroupPolicy',
  [T.CERT_SYSTEM_STORE_LOCAL_MACHINE_GROUP_POLICY]: 'LocalMachineGroupPolicy',
  [T.CERT_SYSTEM_STORE_LOCAL_MACHINE_ENTERPRISE]: 'LocalMachineEnterprise',
};

const CERT_EXTS: ReadonlySet<string> = new Set(['.cer', '.crt', '.der', '.pem']);
const PFX_EXTS: ReadonlySet<string> = new Set(['.pfx', '.p12']);

function hex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s.toUpperCase();
}

function latin1(b: Uint8Array): string {
  return new TextDecoder('latin1').decode(b);
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function errorCode(e: unknown): number {
  if (e instanceof CredentialError) return WIN32_ERROR_FOR[e.code];
  const code = (e as { code?: string }).code;
  if (code === 'ENOENT') return T.ERROR_FILE_NOT_FOUND;
  if (code === 'EACCES' || code === 'EPERM') return T.ERROR_ACCESS_DENIED;
  if (code === 'ENOTSUP') return T.ERROR_NOT_SUPPORTED;
  return T.CRYPT_E_ASN1_CORRUPT;
}

/** Certificates of PEM text or one DER certificate or a PKCS#7 SignedData (degenerate, as `openssl crl2pkcs7` writes). */
function certificatesOf(bytes: Uint8Array): Uint8Array[] {
  const text = latin1(bytes);
  let ders: Uint8Array[];
  if (text.includes('-----BEGIN')) {
    const pkcs7 = pemToDer(text, 'PKCS7');
    ders = pkcs7.length > 0 ? pkcs7.flatMap(pkcs7Certificates) : pemToDer(text, 'CERTIFICATE');
  } else {
    ders = tryPkcs7(bytes) ?? [bytes];
  }
  for (const d of ders) {
    const err = new CertContext([d], undefined).parseError;
    if (err !== undefined) throw credentialError('BadEncoding', `not a certificate, PEM or PKCS#7 (${err})`);
  }
  return ders;
}

function tryPkcs7(bytes: Uint8Array): Uint8Array[] | undefined {
  try {
    return pkcs7Certificates(bytes);
  } catch {
    return undefined;
  }
}

/** The certificates field of a PKCS#7 ContentInfo holding SignedData (RFC 5652 §5.1). */
export function pkcs7Certificates(der: Uint8Array): Uint8Array[] {
  const r = new DerReader(der, 'PKCS7', 1).sequence('ContentInfo');
  if (readOid(r.expect(Tag.Oid, 'contentType')) !== '1.2.840.113549.1.7.2') throw new Error('not SignedData');
  const sd = r.sequence('content', ctxCons(0)).sequence('SignedData');
  sd.expect(Tag.Integer, 'version');
  sd.expect(Tag.Set, 'digestAlgorithms');
  sd.expect(Tag.Sequence, 'encapContentInfo');
  const certs = sd.optional(ctxCons(0), 'certificates');
  if (certs === undefined) return [];
  const cr = new DerReader(certs.value, 'certificates', 2);
  return cr.list((x) => x.any('certificate')).filter((t) => t.tag === Tag.Sequence).map((t) => t.bytes.slice());
}

/** Order `leaf` + the certificates of `pool` that chain to it by subject/issuer (at most 10). */
function chainFor(leaf: Uint8Array, pool: readonly Uint8Array[]): Uint8Array[] {
  const names = (der: Uint8Array): { s: Uint8Array; i: Uint8Array } | undefined => {
    const c = new CertContext([der], undefined).pCertInfo;
    return c === undefined ? undefined : { s: c.subject.der, i: c.issuer.der };
  };
  const chain = [leaf];
  let cur = names(leaf);
  while (cur !== undefined && chain.length < 10 && !same(cur.s, cur.i)) {
    const issuer = cur.i;
    const next = pool.find((d) => !chain.some((c) => same(c, d)) && (names(d)?.s ?? new Uint8Array(0)).length > 0 && same(names(d)?.s ?? new Uint8Array(0), issuer));
    if (next === undefined) break;
    chain.push(next);
    cur = names(next);
  }
  return chain;
}

/**
 * The Crypt32 functions over one configuration, each with Windows' name and parameter order; failures return
 * null/false and set this instance's GetLastError.
 */
export class Crypt32 {
  readonly #root: string;
  readonly #fs: CertStoreFs | undefined;
  readonly #crypto: CredentialCrypto;
  #lastError = 0;

  /** Crypt32 over the system stores under `options.systemStoreRoot` (default {@link defaultSystemStoreRoot}). */
  constructor(options: Crypt32Options = {}) {
    this.#root = options.systemStoreRoot ?? defaultSystemStoreRoot();
    this.#fs = options.fs;
    this.#crypto = options.crypto ?? getDefaultCredentialCrypto();
  }

  #files(): CertStoreFs {
    if (this.#fs === undefined) throw Object.assign(new Error('no file system given to Crypt32'), { code: 'ENOTSUP' });
    return this.#fs;
  }

  #ctx(chain: readonly Uint8Array[], key: Uint8Array | undefined, ephemeral: boolean): StoreCertContext {
    return new StoreCertContext(chain, key, ephemeral, this.#crypto);
  }

  /** Where this instance's system stores live. */
  get systemStoreRoot(): string {
    return this.#root;
  }

  /** GetLastError: the error of the last failed call on this instance. */
  readonly GetLastError = (): number => this.#lastError;

  /** SetLastError. */
  readonly SetLastError = (dwErrCode: number): void => {
    this.#lastError = dwErrCode >>> 0;
  };

  #fail<T>(code: number, value: T): T {
    this.#lastError = code >>> 0;
    return value;
  }

  /** The directory of system store `name` at location `flags & CERT_SYSTEM_STORE_LOCATION_MASK`. */
  systemStoreDirectory(name: string, dwFlags: number): string | undefined {
    const loc = (dwFlags & T.CERT_SYSTEM_STORE_LOCATION_MASK) >>> 0;
    const dir = LOCATIONS[loc === 0 ? T.CERT_SYSTEM_STORE_CURRENT_USER : loc];
    if (dir === undefined || name === '' || /[\\/]|^\.\.?$/.test(name)) return undefined;
    return join(this.#root, dir, name.toUpperCase());
  }

  /**
   * CertOpenStore(lpszStoreProvider, dwEncodingType, hCryptProv, dwFlags, pvPara): a memory store
   * (CERT_STORE_PROV_MEMORY), a system store directory (CERT_STORE_PROV_SYSTEM[_A|_W], pvPara the name), a file of
   * PEM/DER certificates or PKCS#7 (CERT_STORE_PROV_FILENAME[_A|_W], pvPara the path), a PKCS#7 or PKCS#12 blob with
   * an empty password (CERT_STORE_PROV_PKCS7 / CERT_STORE_PROV_PKCS12, pvPara a CRYPT_DATA_BLOB).
   */
  readonly CertOpenStore = (
    lpszStoreProvider: number,
    dwEncodingType: number,
    hCryptProv: number | null,
    dwFlags: number,
    pvPara: string | CRYPT_INTEGER_BLOB | null,
  ): HCERTSTORE | null => {
    void dwEncodingType;
    void hCryptProv;
    const readOnly = (dwFlags & T.CERT_STORE_READONLY_FLAG) !== 0;
    try {
      switch (lpszStoreProvider) {
        case T.CERT_STORE_PROV_MEMORY:
          return new HCERTSTORE(undefined, false);
        case T.CERT_STORE_PROV_SYSTEM_A:
        case T.CERT_STORE_PROV_SYSTEM_W: {
          if (typeof pvPara !== 'string') return this.#fail(T.E_INVALIDARG, null);
          const dir = this.systemStoreDirectory(pvPara, dwFlags);
          if (dir === undefined) return this.#fail(T.E_INVALIDARG, null);
          if (!this.#files().existsSync(dir)) {
            if ((dwFlags & T.CERT_STORE_OPEN_EXISTING_FLAG) !== 0) return this.#fail(T.ERROR_FILE_NOT_FOUND, null);
            if (!readOnly) this.#files().mkdirSync(dir, { recursive: true, mode: 0o700 });
            return new HCERTSTORE(dir, readOnly);
          }
          if ((dwFlags & T.CERT_STORE_CREATE_NEW_FLAG) !== 0) return this.#fail(T.CRYPT_E_EXISTS, null);
          return this.#loadDirectory(dir, readOnly);
        }
        case T.CERT_STORE_PROV_FILENAME_A:
        case T.CERT_STORE_PROV_FILENAME_W: {
          if (typeof pvPara !== 'string') return this.#fail(T.E_INVALIDARG, null);
          const store = new HCERTSTORE(undefined, readOnly);
          const ders = certificatesOf((this.#files().readFileSync(pvPara)));
          for (const d of ders) store.push(this.#ctx(chainFor(d, ders), undefined, false));
          return store;
        }
        case T.CERT_STORE_PROV_PKCS7: {
          if (pvPara === null || typeof pvPara === 'string' || pvPara.pbData === null) return this.#fail(T.E_INVALIDARG, null);
          const ders = pkcs7Certificates(pvPara.pbData.subarray(0, pvPara.cbData));
          const store = new HCERTSTORE(undefined, readOnly);
          for (const d of ders) store.push(this.#ctx(chainFor(d, ders), undefined, false));
          return store;
        }
        case T.CERT_STORE_PROV_PKCS12: {
          if (pvPara === null || typeof pvPara === 'string') return this.#fail(T.E_INVALIDARG, null);
          return this.PFXImportCertStore(pvPara, '', 0);
        }
        default:
          return this.#fail(T.E_INVALIDARG, null);
      }
    } catch (e) {
      return this.#fail(errorCode(e), null);
    }
  };

  #loadDirectory(dir: string, readOnly: boolean): HCERTSTORE {
    const store = new HCERTSTORE(dir, readOnly);
    const entries: { der: Uint8Array; key: Uint8Array | undefined }[] = [];
    for (const name of this.#files().readdirSync(dir).sort()) {
      const ext = extname(name).toLowerCase();
      const path = join(dir, name);
      if (CERT_EXTS.has(ext)) {
        const ders = certificatesOf((this.#files().readFileSync(path)));
        const keyPath = join(dir, name.slice(0, name.length - ext.length) + '.key');
        let key: Uint8Array | undefined;
        if (this.#files().existsSync(keyPath)) {
          const raw = this.#files().readFileSync(keyPath);
          const text = latin1(raw);
          key = unlockPrivateKey(text.includes('-----BEGIN') ? text : raw, undefined, this.#crypto);
        }
        ders.forEach((der, i) => entries.push({ der, key: i === 0 ? key : undefined }));
      } else if (PFX_EXTS.has(ext)) {
        const contents = readPfx(this.#files().readFileSync(path), '', this.#crypto);
        const pairs = keysWithChains(contents);
        for (const c of contents.certificates) {
          entries.push({ der: c.der, key: pairs.find((p) => same(p.chain[0] as Uint8Array, c.der))?.key });
        }
      }
    }
    // The pool for chains: this store's certificates and the CA store beside it (as Schannel builds from CA/ROOT).
    const pool = entries.map((e) => e.der);
    const caDir = join(dir, '..', 'CA');
    if (this.#files().existsSync(caDir) && caDir !== dir) {
      for (const n of this.#files().readdirSync(caDir)) if (CERT_EXTS.has(extname(n).toLowerCase())) pool.push(...certificatesOf((this.#files().readFileSync(join(caDir, n)))));
    }
    const seen = new Set<string>();
    for (const e of entries) {
      const id = hex(this.#crypto.digest('sha1', e.der));
      if (seen.has(id)) continue;
      seen.add(id);
      store.push(this.#ctx(chainFor(e.der, pool), e.key, false));
    }
    return store;
  }

  /** CertCloseStore(hCertStore, dwFlags): contexts already found stay usable (as with DEFER_CLOSE). */
  readonly CertCloseStore = (hCertStore: HCERTSTORE | null, dwFlags: number): boolean => {
    void dwFlags;
    if (hCertStore === null) return true;
    hCertStore.closed = true;
    return true;
  };

  /**
   * PFXImportCertStore(pPFX, szPassword, dwFlags): a memory store with every certificate of the PFX, each key
   * attached to its certificate. Fails (null) with GetLastError ERROR_INVALID_PASSWORD for a wrong password,
   * CRYPT_E_HASH_VALUE for a MAC that fails although the password decrypts, CRYPT_E_ASN1_EOD for a truncated file,
   * CRYPT_E_ASN1_CORRUPT for one that is not PKCS#12, NTE_BAD_ALGID for an algorithm this build cannot do.
   */
  readonly PFXImportCertStore = (pPFX: CRYPT_INTEGER_BLOB | null, szPassword: string | null, dwFlags: number): HCERTSTORE | null => {
    if (pPFX === null || pPFX.pbData === null) return this.#fail(T.E_INVALIDARG, null);
    try {
      const contents = readPfx(pPFX.pbData.subarray(0, pPFX.cbData), szPassword ?? '', this.#crypto);
      const pairs = keysWithChains(contents);
      const ders = contents.certificates.map((c) => c.der);
      const store = new HCERTSTORE(undefined, false);
      const ephemeral = (dwFlags & T.PKCS12_NO_PERSIST_KEY) !== 0;
      for (const c of contents.certificates) {
        const pair = pairs.find((p) => same(p.chain[0] as Uint8Array, c.der));
        const ctx = this.#ctx(pair?.chain ?? chainFor(c.der, ders), pair?.key, ephemeral);
        const friendly = pair?.friendlyName ?? c.friendlyName;
        if (friendly !== undefined) ctx.properties.set(T.CERT_FRIENDLY_NAME_PROP_ID, utf16leZ(friendly));
        store.push(ctx);
      }
      return store;
    } catch (e) {
      return this.#fail(errorCode(e), null);
    }
  };

  /** PFXIsPFXBlob(pPFX): whether the blob decodes as a PFX (no password needed). */
  readonly PFXIsPFXBlob = (pPFX: CRYPT_INTEGER_BLOB | null): boolean => {
    if (pPFX === null || pPFX.pbData === null) return false;
    return isPfx(pPFX.pbData.subarray(0, pPFX.cbData));
  };

  /** PFXVerifyPassword(pPFX, szPassword, dwFlags): whether the password opens the PFX. */
  readonly PFXVerifyPassword = (pPFX: CRYPT_INTEGER_BLOB | null, szPassword: string | null, dwFlags: number): boolean => {
    void dwFlags;
    if (pPFX === null || pPFX.pbData === null) return false;
    return verifyPfxPassword(pPFX.pbData.subarray(0, pPFX.cbData), szPassword ?? '', this.#crypto);
  };

  /**
   * PFXExportCertStoreEx(hStore, pPFX, szPassword, pvPara, dwFlags): the store as a PFX. Call once with
   * `pPFX.pbData` null for the size (cbData), then with a buffer that large. Windows' default encryption is
   * pbeWithSHAAnd3-KeyTripleDES-CBC with a SHA-1 MAC; PKCS12_EXPORT_PBES2_PARAMS with pwszPbes2Alg 'AES256-SHA256'
   * gives PBES2 AES-256-CBC with a SHA-256 MAC. With EXPORT_PRIVATE_KEYS the one certificate that has a key is
   * exported with it (more than one: NTE_BAD_KEYSET); REPORT_NO_PRIVATE_KEY fails (NTE_BAD_KEYSET) when none has one.
   * The random salts make each call's bytes differ; their length does not.
   */
  readonly PFXExportCertStoreEx = (
    hStore: HCERTSTORE | null,
    pPFX: CRYPT_INTEGER_BLOB | null,
    szPassword: string | null,
    pvPara: PKCS12_PBES2_EXPORT_PARAMS | null,
    dwFlags: number,
  ): boolean => {
    if (hStore === null || pPFX === null) return this.#fail(T.E_INVALIDARG, false);
    const aes = (dwFlags & T.PKCS12_EXPORT_PBES2_PARAMS) !== 0;
    if (aes && pvPara?.pwszPbes2Alg !== 'AES256-SHA256') return this.#fail(T.E_INVALIDARG, false);
    const withKey = hStore.contexts.filter((c) => c.hasPrivateKey);
    const exportKeys = (dwFlags & T.EXPORT_PRIVATE_KEYS) !== 0;
    if (exportKeys && withKey.length > 1) return this.#fail(T.NTE_BAD_KEYSET, false);
    if ((dwFlags & T.REPORT_NO_PRIVATE_KEY) !== 0 && withKey.length === 0) return this.#fail(T.NTE_BAD_KEYSET, false);
    const leaf = exportKeys ? withKey[0] : undefined;
    const chain = leaf === undefined ? hStore.contexts.map((c) => c.pbCertEncoded) : [leaf.pbCertEncoded, ...hStore.contexts.filter((c) => c !== leaf).map((c) => c.pbCertEncoded)];
    let bytes: Uint8Array;
    try {
      const k = leaf?.privateKey;
      const key = k === undefined ? undefined : typeof k === 'string' ? unlockPrivateKey(k, undefined, this.#crypto) : k;
      const name = leaf?.properties.get(T.CERT_FRIENDLY_NAME_PROP_ID);
      bytes = writePfx(
        {
          chain,
          ...(key !== undefined ? { key } : {}),
          password: szPassword ?? '',
          encryption: aes ? 'aes' : 'legacy',
          ...(name !== undefined ? { friendlyName: fromUtf16leZ(name) } : {}),
        },
        this.#crypto,
      );
    } catch (e) {
      return this.#fail(errorCode(e), false);
    }
    if (pPFX.pbData === null) {
      pPFX.cbData = bytes.length;
      return true;
    }
    if (pPFX.cbData < bytes.length || pPFX.pbData.length < bytes.length) {
      pPFX.cbData = bytes.length;
      return this.#fail(T.ERROR_MORE_DATA, false);
    }
    pPFX.pbData.set(bytes);
    pPFX.cbData = bytes.length;
    return true;
  };

  /**
   * CertAddCertificateContextToStore(hCertStore, pCertContext, dwAddDisposition, ppStoreContext): copies the
   * context (with its key) into the store; a system store also gets `<THUMBPRINT>.cer` (and `.key`) written.
   */
  readonly CertAddCertificateContextToStore = (
    hCertStore: HCERTSTORE | null,
    pCertContext: CertContext | null,
    dwAddDisposition: number,
    ppStoreContext: { value: StoreCertContext | null } | null,
  ): boolean => {
    if (hCertStore === null || pCertContext === null || hCertStore.closed) return this.#fail(T.E_INVALIDARG, false);
    if (hCertStore.readOnly) return this.#fail(T.ERROR_ACCESS_DENIED, false);
    const key = pCertContext.privateKey;
    let keyDer: Uint8Array | undefined;
    try {
      keyDer = key === undefined ? undefined : typeof key === 'string' ? unlockPrivateKey(key, undefined, this.#crypto) : key;
    } catch (e) {
      return this.#fail(errorCode(e), false);
    }
    const ephemeral = pCertContext instanceof StoreCertContext && pCertContext.ephemeralKey;
    const ctx = this.#ctx(pCertContext.chain, keyDer, ephemeral);
    if (pCertContext instanceof StoreCertContext) for (const [k, v] of pCertContext.properties) ctx.properties.set(k, v);
    const existing = hCertStore.contexts.findIndex((c) => same(c.sha1, ctx.sha1));
    if (existing >= 0) {
      switch (dwAddDisposition) {
        case T.CERT_STORE_ADD_NEW:
          return this.#fail(T.CRYPT_E_EXISTS, false);
        case T.CERT_STORE_ADD_USE_EXISTING:
          if (ppStoreContext !== null) ppStoreContext.value = hCertStore.contexts[existing] ?? null;
          return true;
        case T.CERT_STORE_ADD_REPLACE_EXISTING:
        case T.CERT_STORE_ADD_REPLACE_EXISTING_INHERIT_PROPERTIES:
        case T.CERT_STORE_ADD_NEWER:
          hCertStore.replace(existing, ctx);
          break;
        case T.CERT_STORE_ADD_ALWAYS:
          hCertStore.push(ctx);
          break;
        default:
          return this.#fail(T.E_INVALIDARG, false);
      }
    } else {
      if (dwAddDisposition < T.CERT_STORE_ADD_NEW || dwAddDisposition > T.CERT_STORE_ADD_NEWER) return this.#fail(T.E_INVALIDARG, false);
      hCertStore.push(ctx);
    }
    if (hCertStore.directory !== undefined) {
      try {
        const base = join(hCertStore.directory, hex(ctx.sha1));
        this.#files().mkdirSync(hCertStore.directory, { recursive: true, mode: 0o700 });
        this.#files().writeFileSync(`${base}.cer`, ctx.pbCertEncoded);
        if (keyDer !== undefined && !ephemeral) {
          this.#files().writeFileSync(`${base}.key`, derToPem(keyDer, 'PRIVATE KEY'), { mode: 0o600 });
          this.#files().chmodSync(`${base}.key`, 0o600);
        }
      } catch (e) {
        return this.#fail(errorCode(e), false);
      }
    }
    if (ppStoreContext !== null) ppStoreContext.value = ctx;
    return true;
  };

  /** CertAddEncodedCertificateToStore(hCertStore, dwCertEncodingType, pbCertEncoded, cbCertEncoded, dwAddDisposition, ppCertContext). */
  readonly CertAddEncodedCertificateToStore = (
    hCertStore: HCERTSTORE | null,
    dwCertEncodingType: number,
    pbCertEncoded: Uint8Array,
    cbCertEncoded: number,
    dwAddDisposition: number,
    ppCertContext: { value: StoreCertContext | null } | null,
  ): boolean => {
    void dwCertEncodingType;
    const ctx = CertContext.fromDer([pbCertEncoded.subarray(0, cbCertEncoded)]);
    if (ctx.pCertInfo === undefined) return this.#fail(T.CRYPT_E_ASN1_CORRUPT, false);
    return this.CertAddCertificateContextToStore(hCertStore, ctx, dwAddDisposition, ppCertContext);
  };

  /** CertEnumCertificatesInStore(hCertStore, pPrevCertContext): the next context, or null (CRYPT_E_NOT_FOUND). */
  readonly CertEnumCertificatesInStore = (hCertStore: HCERTSTORE | null, pPrevCertContext: CertContext | null): StoreCertContext | null => {
    if (hCertStore === null) return this.#fail(T.E_INVALIDARG, null);
    const list = hCertStore.contexts;
    const start = pPrevCertContext === null ? 0 : list.indexOf(pPrevCertContext as StoreCertContext) + 1;
    if (pPrevCertContext !== null && start === 0) return this.#fail(T.E_INVALIDARG, null);
    return list[start] ?? this.#fail(T.CRYPT_E_NOT_FOUND, null);
  };

  /**
   * CertFindCertificateInStore(hCertStore, dwCertEncodingType, dwFindFlags, dwFindType, pvFindPara, pPrevCertContext):
   * CERT_FIND_ANY, CERT_FIND_HASH / SHA1_HASH / MD5_HASH (CRYPT_HASH_BLOB), CERT_FIND_SUBJECT_STR / ISSUER_STR
   * (case-insensitive substring of the RDN string), CERT_FIND_SUBJECT_NAME / ISSUER_NAME (CERT_NAME_BLOB, exact DER),
   * CERT_FIND_ENHKEY_USAGE (CERT_ENHKEY_USAGE; all listed OIDs unless CERT_FIND_OR_ENHKEY_USAGE_FLAG; certificates
   * without the extension only with CERT_FIND_OPTIONAL_ENHKEY_USAGE_FLAG), CERT_FIND_EXISTING, CERT_FIND_HAS_PRIVATE_KEY.
   * No match: null with CRYPT_E_NOT_FOUND.
   */
  readonly CertFindCertificateInStore = (
    hCertStore: HCERTSTORE | null,
    dwCertEncodingType: number,
    dwFindFlags: number,
    dwFindType: number,
    pvFindPara: CRYPT_INTEGER_BLOB | CERT_ENHKEY_USAGE | CertContext | string | null,
    pPrevCertContext: CertContext | null,
  ): StoreCertContext | null => {
    void dwCertEncodingType;
    if (hCertStore === null) return this.#fail(T.E_INVALIDARG, null);
    const match = this.#matcher(dwFindFlags, dwFindType, pvFindPara);
    if (match === undefined) return this.#fail(T.E_INVALIDARG, null);
    const list = hCertStore.contexts;
    const start = pPrevCertContext === null ? 0 : list.indexOf(pPrevCertContext as StoreCertContext) + 1;
    for (let i = start; i < list.length; i++) {
      const c = list[i] as StoreCertContext;
      if (match(c)) return c;
    }
    return this.#fail(T.CRYPT_E_NOT_FOUND, null);
  };

  #matcher(flags: number, type: number, para: CRYPT_INTEGER_BLOB | CERT_ENHKEY_USAGE | CertContext | string | null): ((c: StoreCertContext) => boolean) | undefined {
    const blob = para instanceof CRYPT_INTEGER_BLOB && para.pbData !== null ? para.pbData.subarray(0, para.cbData) : undefined;
    switch (type) {
      case T.CERT_FIND_ANY:
        return () => true;
      case T.CERT_FIND_SHA1_HASH:
        return blob === undefined ? undefined : (c) => same(c.sha1, blob);
      case T.CERT_FIND_MD5_HASH:
        return blob === undefined ? undefined : (c) => same(this.#crypto.digest('md5', c.pbCertEncoded), blob);
      case T.CERT_FIND_SUBJECT_STR_A:
      case T.CERT_FIND_SUBJECT_STR_W:
        return typeof para !== 'string' ? undefined : (c) => c.subject.toLowerCase().includes(para.toLowerCase());
      case T.CERT_FIND_ISSUER_STR_A:
      case T.CERT_FIND_ISSUER_STR_W:
        return typeof para !== 'string' ? undefined : (c) => c.issuer.toLowerCase().includes(para.toLowerCase());
      case T.CERT_FIND_SUBJECT_NAME:
        return blob === undefined ? undefined : (c) => c.pCertInfo !== undefined && same(c.pCertInfo.subject.der, blob);
      case T.CERT_FIND_ISSUER_NAME:
        return blob === undefined ? undefined : (c) => c.pCertInfo !== undefined && same(c.pCertInfo.issuer.der, blob);
      case T.CERT_FIND_EXISTING:
        return para instanceof CertContext ? (c) => same(c.pbCertEncoded, para.pbCertEncoded) : undefined;
      case T.CERT_FIND_HAS_PRIVATE_KEY:
        return (c) => c.hasPrivateKey;
      case T.CERT_FIND_ENHKEY_USAGE: {
        if (!(para instanceof CERT_ENHKEY_USAGE)) return undefined;
        const wanted = (para.rgpszUsageIdentifier ?? []).slice(0, para.cUsageIdentifier);
        return (c) => {
          const eku = c.pCertInfo?.extensions.extKeyUsage;
          if ((flags & T.CERT_FIND_NO_ENHKEY_USAGE_FLAG) !== 0) return eku === undefined;
          if (eku === undefined) return (flags & T.CERT_FIND_OPTIONAL_ENHKEY_USAGE_FLAG) !== 0;
          if (wanted.length === 0) return true;
          return (flags & T.CERT_FIND_OR_ENHKEY_USAGE_FLAG) !== 0 ? wanted.some((o) => eku.includes(o)) : wanted.every((o) => eku.includes(o));
        };
      }
      default:
        return undefined;
    }
  }

  /**
   * CertGetCertificateContextProperty(pCertContext, dwPropId, pvData, pcbData). Byte properties (CERT_HASH_PROP_ID,
   * CERT_MD5_HASH_PROP_ID, CERT_SHA256_HASH_PROP_ID, CERT_FRIENDLY_NAME_PROP_ID as UTF-16LE with its NUL) fill the
   * Uint8Array `pvData`; with pvData null only `pcbData.value` is set; too small a buffer: ERROR_MORE_DATA.
   * CERT_KEY_PROV_INFO_PROP_ID fills a CRYPT_KEY_PROV_INFO (absent for keys imported with PKCS12_NO_PERSIST_KEY, as
   * on Windows). A property the context does not have: false with CRYPT_E_NOT_FOUND.
   */
  readonly CertGetCertificateContextProperty = (
    pCertContext: CertContext | null,
    dwPropId: number,
    pvData: Uint8Array | CRYPT_KEY_PROV_INFO | null,
    pcbData: { value: number } | null,
  ): boolean => {
    if (pCertContext === null || pcbData === null) return this.#fail(T.E_INVALIDARG, false);
    const props = pCertContext instanceof StoreCertContext ? pCertContext.properties : new Map<number, Uint8Array>();
    if (dwPropId === T.CERT_KEY_PROV_INFO_PROP_ID) {
      const ephemeral = pCertContext instanceof StoreCertContext && pCertContext.ephemeralKey;
      if (!pCertContext.hasPrivateKey || ephemeral) return this.#fail(T.CRYPT_E_NOT_FOUND, false);
      pcbData.value = 1;
      if (pvData instanceof CRYPT_KEY_PROV_INFO) {
        pvData.pwszContainerName = `sspi-tls-${hex(this.#crypto.digest('sha1', pCertContext.pbCertEncoded))}`;
        pvData.pwszProvName = 'Microsoft Software Key Storage Provider';
        pvData.dwProvType = 0;
        pvData.dwKeySpec = T.CERT_NCRYPT_KEY_SPEC;
      }
      return true;
    }
    let value: Uint8Array | undefined;
    switch (dwPropId) {
      case T.CERT_SHA1_HASH_PROP_ID:
        value = this.#crypto.digest('sha1', pCertContext.pbCertEncoded);
        break;
      case T.CERT_MD5_HASH_PROP_ID:
        value = this.#crypto.digest('md5', pCertContext.pbCertEncoded);
        break;
      case T.CERT_SHA256_HASH_PROP_ID:
        value = this.#crypto.digest('sha256', pCertContext.pbCertEncoded);
        break;
      default:
        value = props.get(dwPropId);
    }
    if (value === undefined) return this.#fail(T.CRYPT_E_NOT_FOUND, false);
    if (pvData === null) {
      pcbData.value = value.length;
      return true;
    }
    if (!(pvData instanceof Uint8Array)) return this.#fail(T.E_INVALIDARG, false);
    if (pvData.length < value.length || pcbData.value < value.length) {
      pcbData.value = value.length;
      return this.#fail(T.ERROR_MORE_DATA, false);
    }
    pvData.set(value);
    pcbData.value = value.length;
    return true;
  };

  /** CertSetCertificateContextProperty(pCertContext, dwPropId, dwFlags, pvData): byte properties (friendly name: a string). */
  readonly CertSetCertificateContextProperty = (pCertContext: CertContext | null, dwPropId: number, dwFlags: number, pvData: Uint8Array | string | null): boolean => {
    void dwFlags;
    if (!(pCertContext instanceof StoreCertContext)) return this.#fail(T.E_INVALIDARG, false);
    if (pvData === null) pCertContext.properties.delete(dwPropId);
    else pCertContext.properties.set(dwPropId, typeof pvData === 'string' ? utf16leZ(pvData) : pvData.slice());
    return true;
  };

  /** CertDuplicateCertificateContext: the same context (contexts are garbage collected). */
  readonly CertDuplicateCertificateContext = <T extends CertContext | null>(pCertContext: T): T => pCertContext;

  /** CertFreeCertificateContext: nothing to free; true. */
  readonly CertFreeCertificateContext = (pCertContext: CertContext | null): boolean => {
    void pCertContext;
    return true;
  };

  /**
   * The certificate SCH_CRED_FORMAT_CERT_HASH / _STORE names: thumbprint `hash` in system store `storeName` of
   * CurrentUser (LocalMachine with SCH_MACHINE_CERT_HASH), with its key; null (GetLastError) when there is none.
   */
  findByThumbprint(hash: Uint8Array, storeName: string, machine: boolean): StoreCertContext | null {
    const store = this.CertOpenStore(
      T.CERT_STORE_PROV_SYSTEM_W,
      0,
      null,
      T.CERT_STORE_OPEN_EXISTING_FLAG | T.CERT_STORE_READONLY_FLAG | (machine ? T.CERT_SYSTEM_STORE_LOCAL_MACHINE : T.CERT_SYSTEM_STORE_CURRENT_USER),
      storeName,
    );
    if (store === null) return null;
    const found = this.CertFindCertificateInStore(store, C.X509_ASN_ENCODING | C.PKCS_7_ASN_ENCODING, 0, T.CERT_FIND_HASH, CRYPT_INTEGER_BLOB.of(hash), null);
    this.CertCloseStore(store, 0);
    if (found === null) return null;
    if (!found.hasPrivateKey) return this.#fail(T.NTE_BAD_KEYSET, null);
    return found;
  }
}

function fromUtf16leZ(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i + 1 < b.length; i += 2) {
    const c = (b[i] as number) | ((b[i + 1] as number) << 8);
    if (c === 0) break;
    s += String.fromCharCode(c);
  }
  return s;
}

function utf16leZ(s: string): Uint8Array {
  const out = new Uint8Array(2 * s.length + 2);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out[2 * i] = c & 0xff;
    out[2 * i + 1] = c >> 8;
  }
  return out;
}

/**
 * paCred of a credential as certificate contexts: SCH_CRED_FORMAT_CERT_CONTEXT entries as given; for
 * SCH_CRED_FORMAT_CERT_HASH (store "MY") and SCH_CRED_FORMAT_CERT_HASH_STORE (the named store), each thumbprint
 * found in the system store of CurrentUser or, with SCH_MACHINE_CERT_HASH, LocalMachine. `{ status }` when one is
 * missing, not a thumbprint, or has no key (SEC_E_NO_CREDENTIALS, as Schannel) or the format is unknown.
 */
export function resolveCredentialCertificates(
  dwCredFormat: number,
  paCred: readonly unknown[],
  dwFlags: number,
): CertContext[] | { readonly status: number } {
  if (dwCredFormat === C.SCH_CRED_FORMAT_CERT_CONTEXT) return paCred as CertContext[];
  if (dwCredFormat !== C.SCH_CRED_FORMAT_CERT_HASH && dwCredFormat !== C.SCH_CRED_FORMAT_CERT_HASH_STORE) return { status: C.SEC_E_UNKNOWN_CREDENTIALS };
  const out: CertContext[] = [];
  for (const e of paCred) {
    const isStore = e instanceof SCHANNEL_CERT_HASH_STORE;
    if (!isStore && !(e instanceof SCHANNEL_CERT_HASH)) return { status: C.SEC_E_UNKNOWN_CREDENTIALS };
    if (e.ShaHash.length !== 20) return { status: C.SEC_E_UNKNOWN_CREDENTIALS };
    const crypt: T.CertHashProvider = typeof e.hProv === 'object' ? e.hProv : new Crypt32();
    const machine = ((e.dwFlags | dwFlags) & T.SCH_MACHINE_CERT_HASH) !== 0;
    const name = isStore && dwCredFormat === C.SCH_CRED_FORMAT_CERT_HASH_STORE ? e.pwszStoreName : 'MY';
    const found = crypt.findByThumbprint(e.ShaHash, name === '' ? 'MY' : name, machine);
    if (found === null) return { status: C.SEC_E_NO_CREDENTIALS };
    out.push(found);
  }
  return out;
}
