/**
 * Crypt32's constants (wincrypt.h values) and structures for the certificate-store functions of cert-store.ts, with
 * Windows' names. A blob carries its bytes in `pbData`; where C passes a pointer to fill, the caller passes the object.
 */
import type { CertContext } from './cert-context.js';

/**
 * What SCHANNEL_CERT_HASH(_STORE).hProv carries in this port: the Crypt32 (cert-store.ts) whose system stores are
 * searched for the thumbprint. Declared here by shape so that this module does not import cert-store.ts.
 */
export interface CertHashProvider {
  findByThumbprint(sha1: Uint8Array, storeName: string, machine: boolean): CertContext | null;
}

/** CertOpenStore providers. */
export const CERT_STORE_PROV_MEMORY = 2;
export const CERT_STORE_PROV_FILE = 3;
export const CERT_STORE_PROV_PKCS7 = 5;
export const CERT_STORE_PROV_FILENAME_A = 7;
export const CERT_STORE_PROV_FILENAME_W = 8;
export const CERT_STORE_PROV_FILENAME = CERT_STORE_PROV_FILENAME_W;
export const CERT_STORE_PROV_SYSTEM_A = 9;
export const CERT_STORE_PROV_SYSTEM_W = 10;
export const CERT_STORE_PROV_SYSTEM = CERT_STORE_PROV_SYSTEM_W;
export const CERT_STORE_PROV_PKCS12 = 17;
/** CertOpenStore flags. */
export const CERT_STORE_NO_CRYPT_RELEASE_FLAG = 0x1;
export const CERT_STORE_DEFER_CLOSE_UNTIL_LAST_FREE_FLAG = 0x4;
export const CERT_STORE_DELETE_FLAG = 0x10;
export const CERT_STORE_CREATE_NEW_FLAG = 0x2000;
export const CERT_STORE_OPEN_EXISTING_FLAG = 0x4000;
export const CERT_STORE_READONLY_FLAG = 0x8000;
export const CERT_SYSTEM_STORE_LOCATION_MASK = 0x00ff0000;
export const CERT_SYSTEM_STORE_CURRENT_USER = 0x00010000;
export const CERT_SYSTEM_STORE_LOCAL_MACHINE = 0x00020000;
export const CERT_SYSTEM_STORE_CURRENT_SERVICE = 0x00040000;
export const CERT_SYSTEM_STORE_SERVICES = 0x00050000;
export const CERT_SYSTEM_STORE_USERS = 0x00060000;
export const CERT_SYSTEM_STORE_CURRENT_USER_GROUP_POLICY = 0x00070000;
export const CERT_SYSTEM_STORE_LOCAL_MACHINE_GROUP_POLICY = 0x00080000;
export const CERT_SYSTEM_STORE_LOCAL_MACHINE_ENTERPRISE = 0x00090000;
/** CertCloseStore flags. */
export const CERT_CLOSE_STORE_FORCE_FLAG = 0x1;
export const CERT_CLOSE_STORE_CHECK_FLAG = 0x2;
/** CertAddCertificateContextToStore dispositions. */
export const CERT_STORE_ADD_NEW = 1;
export const CERT_STORE_ADD_USE_EXISTING = 2;
export const CERT_STORE_ADD_REPLACE_EXISTING = 3;
export const CERT_STORE_ADD_ALWAYS = 4;
export const CERT_STORE_ADD_REPLACE_EXISTING_INHERIT_PROPERTIES = 5;
export const CERT_STORE_ADD_NEWER = 6;
/** CertFindCertificateInStore find types (CERT_COMPARE_* << CERT_COMPARE_SHIFT | CERT_INFO_*). */
export const CERT_COMPARE_SHIFT = 16;
export const CERT_FIND_ANY = 0;
export const CERT_FIND_SHA1_HASH = 1 << 16;
export const CERT_FIND_HASH = CERT_FIND_SHA1_HASH;
export const CERT_FIND_MD5_HASH = 4 << 16;
export const CERT_FIND_SUBJECT_NAME = (2 << 16) | 7;
export const CERT_FIND_ISSUER_NAME = (2 << 16) | 4;
export const CERT_FIND_SUBJECT_STR_A = (7 << 16) | 7;
export const CERT_FIND_SUBJECT_STR_W = (8 << 16) | 7;
export const CERT_FIND_SUBJECT_STR = CERT_FIND_SUBJECT_STR_W;
export const CERT_FIND_ISSUER_STR_A = (7 << 16) | 4;
export const CERT_FIND_ISSUER_STR_W = (8 << 16) | 4;
export const CERT_FIND_ISSUER_STR = CERT_FIND_ISSUER_STR_W;
export const CERT_FIND_ENHKEY_USAGE = 10 << 16;
export const CERT_FIND_CTL_USAGE = CERT_FIND_ENHKEY_USAGE;
export const CERT_FIND_EXISTING = 13 << 16;
export const CERT_FIND_HAS_PRIVATE_KEY = 21 << 16;
/** CERT_FIND_ENHKEY_USAGE flags. */
export const CERT_FIND_OPTIONAL_ENHKEY_USAGE_FLAG = 0x1;
export const CERT_FIND_EXT_ONLY_ENHKEY_USAGE_FLAG = 0x2;
export const CERT_FIND_PROP_ONLY_ENHKEY_USAGE_FLAG = 0x4;
export const CERT_FIND_NO_ENHKEY_USAGE_FLAG = 0x8;
export const CERT_FIND_OR_ENHKEY_USAGE_FLAG = 0x10;
export const CERT_FIND_VALID_ENHKEY_USAGE_FLAG = 0x20;
/** Certificate context properties. */
export const CERT_KEY_PROV_HANDLE_PROP_ID = 1;
export const CERT_KEY_PROV_INFO_PROP_ID = 2;
export const CERT_SHA1_HASH_PROP_ID = 3;
export const CERT_HASH_PROP_ID = CERT_SHA1_HASH_PROP_ID;
export const CERT_MD5_HASH_PROP_ID = 4;
export const CERT_KEY_CONTEXT_PROP_ID = 5;
export const CERT_FRIENDLY_NAME_PROP_ID = 11;
export const CERT_KEY_IDENTIFIER_PROP_ID = 20;
export const CERT_NCRYPT_KEY_HANDLE_PROP_ID = 78;
export const CERT_SHA256_HASH_PROP_ID = 107;
/** PFXImportCertStore flags. */
export const CRYPT_EXPORTABLE = 0x1;
export const CRYPT_USER_PROTECTED = 0x2;
export const CRYPT_MACHINE_KEYSET = 0x20;
export const CRYPT_USER_KEYSET = 0x1000;
export const PKCS12_PREFER_CNG_KSP = 0x100;
export const PKCS12_ALWAYS_CNG_KSP = 0x200;
export const PKCS12_ALLOW_OVERWRITE_KEY = 0x4000;
export const PKCS12_NO_PERSIST_KEY = 0x8000;
export const PKCS12_INCLUDE_EXTENDED_PROPERTIES = 0x10;
/** PFXExportCertStoreEx flags. */
export const REPORT_NO_PRIVATE_KEY = 0x1;
export const REPORT_NOT_ABLE_TO_EXPORT_PRIVATE_KEY = 0x2;
export const EXPORT_PRIVATE_KEYS = 0x4;
export const PKCS12_EXPORT_PBES2_PARAMS = 0x80;
/** SCHANNEL_CERT_HASH dwFlags. */
export const SCH_MACHINE_CERT_HASH = 0x1;
/** Longest pwszStoreName of SCHANNEL_CERT_HASH_STORE. */
export const SCH_CRED_MAX_STORE_NAME_SIZE = 128;
/** CRYPT_KEY_PROV_INFO dwKeySpec of a CNG key. */
export const CERT_NCRYPT_KEY_SPEC = 0xffffffff;
/** GetLastError values these functions set. */
export const ERROR_SUCCESS = 0;
export const ERROR_FILE_NOT_FOUND = 2;
export const ERROR_ACCESS_DENIED = 5;
export const ERROR_NOT_SUPPORTED = 50;
export const ERROR_INVALID_PARAMETER = 87;
export const ERROR_INVALID_PASSWORD = 86;
export const ERROR_MORE_DATA = 234;
export const E_INVALIDARG = 0x80070057;
export const CRYPT_E_NOT_FOUND = 0x80092004;
export const CRYPT_E_EXISTS = 0x80092005;
export const CRYPT_E_ASN1_CORRUPT = 0x80093100;
export const CRYPT_E_ASN1_EOD = 0x80093102;
export const CRYPT_E_HASH_VALUE = 0x80091007;
export const CRYPT_E_NO_MATCH = 0x80092009;
export const NTE_BAD_ALGID = 0x80090008;
export const NTE_BAD_KEYSET = 0x80090016;
export const NTE_BAD_DATA = 0x80090005;

/** CRYPT_DATA_BLOB / CRYPT_HASH_BLOB / CRYPT_INTEGER_BLOB. */
export class CRYPT_INTEGER_BLOB {
  /** Length of pbData. */
  cbData = 0;
  /** The bytes (null when only asking for a size). */
  pbData: Uint8Array | null = null;
  /** A blob over `bytes`. */
  static of(bytes: Uint8Array): CRYPT_INTEGER_BLOB {
    const b = new CRYPT_INTEGER_BLOB();
    b.pbData = bytes;
    b.cbData = bytes.length;
    return b;
  }
}
export { CRYPT_INTEGER_BLOB as CRYPT_DATA_BLOB, CRYPT_INTEGER_BLOB as CRYPT_HASH_BLOB, CRYPT_INTEGER_BLOB as CERT_NAME_BLOB };

/** CERT_ENHKEY_USAGE (CTL_USAGE). */
export class CERT_ENHKEY_USAGE {
  cUsageIdentifier = 0;
  rgpszUsageIdentifier: string[] | null = null;
}

/** PKCS12_PBES2_EXPORT_PARAMS (pvPara of PFXExportCertStoreEx with PKCS12_EXPORT_PBES2_PARAMS). */
export class PKCS12_PBES2_EXPORT_PARAMS {
  dwSize = 16;
  hNcryptDescriptor: null = null;
  /** 'AES256-SHA256' (the only value Windows defines). */
  pwszPbes2Alg = 'AES256-SHA256';
}

/** CRYPT_KEY_PROV_INFO: where the key of a certificate lives (here: the store file or memory). */
export class CRYPT_KEY_PROV_INFO {
  pwszContainerName = '';
  pwszProvName = '';
  dwProvType = 0;
  dwFlags = 0;
  cProvParam = 0;
  rgProvParam: null = null;
  dwKeySpec = 0;
}

/** SCHANNEL_CERT_HASH (SCH_CRED_FORMAT_CERT_HASH): a thumbprint in the "MY" store. */
export class SCHANNEL_CERT_HASH {
  dwLength = 32;
  /** SCH_MACHINE_CERT_HASH: LocalMachine instead of CurrentUser. */
  dwFlags = 0;
  /**
   * HCRYPTPROV. Port extension: the Crypt32 (with its file system and store root) whose system stores hold
   * the certificate; 0 searches nowhere (SEC_E_NO_CREDENTIALS), since no file system is reachable without one.
   */
  hProv: number | CertHashProvider = 0;
  /** SHA-1 thumbprint (20 bytes). */
  ShaHash: Uint8Array = new Uint8Array(20);
}

/** SCHANNEL_CERT_HASH_STORE (SCH_CRED_FORMAT_CERT_HASH_STORE): a thumbprint in a named system store. */
export class SCHANNEL_CERT_HASH_STORE {
  dwLength = 32 + 2 * SCH_CRED_MAX_STORE_NAME_SIZE;
  /** SCH_MACHINE_CERT_HASH: LocalMachine instead of CurrentUser. */
  dwFlags = 0;
  /** HCRYPTPROV. Port extension: the Crypt32 whose system stores to search (0: none, SEC_E_NO_CREDENTIALS). */
  hProv: number | CertHashProvider = 0;
  /** SHA-1 thumbprint (20 bytes). */
  ShaHash: Uint8Array = new Uint8Array(20);
  /** The system store name ("MY"). */
  pwszStoreName = '';
}
