/**
 * EnumerateSecurityPackages / QuerySecurityPackageInfo (SSPI.md §5.12 dispatcher functions): the packages this
 * provider implements, "Schannel" and UNISP_NAME, with the SecPkgInfo values Windows reports for them. Results are
 * package allocations (FreeContextBuffer). The W and A spellings are the same functions (strings are JS strings).
 */
import { allocations } from './buffers.js';
import * as C from './constants.js';
import type { SECURITY_STATUS } from './constants.js';
import { SecPkgInfo } from './attributes.js';
import type { PULONG, Ref } from './types.js';

/** The package names in Windows' enumeration order. */
const PACKAGE_NAMES: readonly string[] = [C.SCHANNEL_NAME, C.UNISP_NAME];

function infoFor(name: string): SecPkgInfo {
  const p = new SecPkgInfo();
  p.Name = name;
  return p;
}

/**
 * EnumerateSecurityPackages(pcPackages, ppPackageInfo): writes the count and a package-allocated array of SecPkgInfo.
 * Null out parameters (Windows crashes) → SEC_E_INTERNAL_ERROR.
 */
export function EnumerateSecurityPackages(pcPackages: PULONG | null, ppPackageInfo: Ref<SecPkgInfo[] | null> | null): SECURITY_STATUS {
  if (pcPackages === null || pcPackages === undefined || ppPackageInfo === null || ppPackageInfo === undefined) return C.SEC_E_INTERNAL_ERROR;
  pcPackages.value = PACKAGE_NAMES.length;
  ppPackageInfo.value = allocations.mark(PACKAGE_NAMES.map(infoFor));
  return C.SEC_E_OK;
}

/** QuerySecurityPackageInfo(pszPackageName, ppPackageInfo): the package's SecPkgInfo, or SEC_E_SECPKG_NOT_FOUND. */
export function QuerySecurityPackageInfo(pszPackageName: string | null, ppPackageInfo: Ref<SecPkgInfo | null> | null): SECURITY_STATUS {
  if (ppPackageInfo === null || ppPackageInfo === undefined) return C.SEC_E_INTERNAL_ERROR;
  if (typeof pszPackageName !== 'string') return C.SEC_E_SECPKG_NOT_FOUND;
  const name = PACKAGE_NAMES.find((n) => n.toLowerCase() === pszPackageName.toLowerCase());
  if (name === undefined) return C.SEC_E_SECPKG_NOT_FOUND;
  ppPackageInfo.value = allocations.mark(infoFor(name));
  return C.SEC_E_OK;
}

/** EnumerateSecurityPackagesW (the same function). */
export const EnumerateSecurityPackagesW = EnumerateSecurityPackages;
/** EnumerateSecurityPackagesA (the same function). */
export const EnumerateSecurityPackagesA = EnumerateSecurityPackages;
/** QuerySecurityPackageInfoW (the same function). */
export const QuerySecurityPackageInfoW = QuerySecurityPackageInfo;
/** QuerySecurityPackageInfoA (the same function). */
export const QuerySecurityPackageInfoA = QuerySecurityPackageInfo;
