/**
 * `sspi-tls/sspi`: the Schannel SSPI surface with Windows names, parameter order and constant values, so ported C
 * code reads the same:
 *
 * ```ts
 * AcquireCredentialsHandle(null, UNISP_NAME, SECPKG_CRED_INBOUND, null, schCredentials, null, null, hCred, tsExpiry);
 * ```
 */
export * from './constants.js';
export * from './types.js';
export { CertContext, CertStore, CertFreeCertificateContext } from './cert-context.js';
export * from './cert-store.js';
export {
  AcquireCredentialsHandle,
  FreeCredentialsHandle,
  QueryCredentialsAttributes,
  SetCredentialsAttributes,
  SCHANNEL_CRED,
  SCH_CREDENTIALS,
  TLS_PARAMETERS,
  CRYPTO_SETTINGS,
  SecPkgCred_SupportedProtocols,
  SecPkgCred_CipherStrengths,
  SecPkgCred_SupportedAlgs,
  SecPkgCredentials_Names,
  SecPkgCred_SessionTicketKey,
  SecPkgCred_SessionTicketKeys,
  SecPkgCred_ClientCertPolicy,
  MAX_SESSION_TICKET_KEYS,
} from './credentials.js';
export {
  InitializeSecurityContext,
  AcceptSecurityContext,
  DeleteSecurityContext,
  ApplyControlToken,
  CompleteAuthToken,
  FreeContextBuffer,
  buildApplicationProtocols,
  parseApplicationProtocols,
} from './context.js';
export { EncryptMessage, DecryptMessage } from './messages.js';
export {
  EnumerateSecurityPackages,
  EnumerateSecurityPackagesW,
  EnumerateSecurityPackagesA,
  QuerySecurityPackageInfo,
  QuerySecurityPackageInfoW,
  QuerySecurityPackageInfoA,
} from './packages.js';
export * from './attributes.js';
/** DTLS (datagram) contexts: the path MTU structure. */
export { SEC_DTLS_MTU, DEFAULT_DTLS_MTU } from './dtls.js';
export {
  AccessToken,
  type HMAPPER,
  mapBySubject,
  mapByUpn,
  mapByEmail,
  mapByCallback,
  GetImpersonationToken,
  runImpersonated,
  CloseHandle,
} from './identity.js';
export { statusForError, statusForReceivedAlert, RECEIVED_ALERT_STATUS } from './status.js';
