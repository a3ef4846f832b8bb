/**
 * EnumerateSecurityPackages / QuerySecurityPackageInfo: the two Schannel entries with Windows' SecPkgInfo values
 * (sspi-decisions.md "Package information"), the way .NET's SSPIWrapper.GetVerifyPackageInfo and Wine's
 * testAcquireSecurityContext look for the package, and FreeContextBuffer on the results.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as S from '../../src/sspi/index.js';

test('EnumerateSecurityPackages: "Schannel" and UNISP_NAME with 0x4107B3 / 1 / 14 / 24576 / "Schannel Security Package"', () => {
  const count = new S.ULONG();
  const infos = new S.Ref<S.SecPkgInfo[] | null>(null);
  assert.equal(S.EnumerateSecurityPackages(count, infos), S.SEC_E_OK);
  assert.equal(count.value, 2);
  const list = infos.value ?? [];
  assert.deepEqual(list.map((p) => p.Name), ['Schannel', 'Microsoft Unified Security Protocol Provider']);
  for (const p of list) {
    assert.equal(p.fCapabilities, 0x4107b3);
    assert.equal(p.wVersion, 1);
    assert.equal(p.wRPCID, 14);
    assert.equal(p.cbMaxToken, 24576);
    assert.equal(p.Comment, 'Schannel Security Package');
  }
  // Wine: while (i--) if (!strcmp(package_info[i].Name, UNISP_NAME_A)) has_schannel = TRUE.
  assert.ok(list.some((p) => p.Name === S.UNISP_NAME));
  assert.equal(S.FreeContextBuffer(infos.value), S.SEC_E_OK);
  assert.equal(S.EnumerateSecurityPackagesW, S.EnumerateSecurityPackages);
  assert.equal(S.EnumerateSecurityPackagesA, S.EnumerateSecurityPackages);
  assert.equal(S.EnumerateSecurityPackages(null, infos), S.SEC_E_INTERNAL_ERROR);
});

test('QuerySecurityPackageInfo: either name, case-insensitively; unknown → SEC_E_SECPKG_NOT_FOUND; .NET reads cbMaxToken', () => {
  for (const name of [S.UNISP_NAME, 'schannel', 'MICROSOFT UNIFIED SECURITY PROTOCOL PROVIDER']) {
    const info = new S.Ref<S.SecPkgInfo | null>(null);
    assert.equal(S.QuerySecurityPackageInfoW(name, info), S.SEC_E_OK);
    assert.equal(info.value?.cbMaxToken, 24576);
    assert.equal(info.value?.fCapabilities & S.SECPKG_FLAG_STREAM, S.SECPKG_FLAG_STREAM);
    assert.equal(S.FreeContextBuffer(info.value), S.SEC_E_OK);
  }
  const none = new S.Ref<S.SecPkgInfo | null>(null);
  assert.equal(S.QuerySecurityPackageInfoA('Kerberos', none), S.SEC_E_SECPKG_NOT_FOUND);
  assert.equal(none.value, null);
  assert.equal(S.QuerySecurityPackageInfo(null, none), S.SEC_E_SECPKG_NOT_FOUND);
  assert.equal(S.QuerySecurityPackageInfo(S.UNISP_NAME, null), S.SEC_E_INTERNAL_ERROR);
});

test('SECPKG_ATTR_PACKAGE_INFO on a context reports the same SecPkgInfo', () => {
  const cred = new S.CredHandle();
  assert.equal(S.AcquireCredentialsHandle(null, S.UNISP_NAME, S.SECPKG_CRED_OUTBOUND, null, null, null, null, cred, null), S.SEC_E_OK);
  const ctx = new S.CtxtHandle();
  const out = new S.SecBufferDesc([new S.SecBuffer(0, S.SECBUFFER_EMPTY, null)]);
  assert.equal(S.InitializeSecurityContext(cred, null, 'localhost', S.ISC_REQ_ALLOCATE_MEMORY | S.ISC_REQ_STREAM, 0, 0, null, 0, ctx, out, null, null), S.SEC_I_CONTINUE_NEEDED);
  const pi = new S.SecPkgContext_PackageInfo();
  assert.equal(S.QueryContextAttributes(ctx, S.SECPKG_ATTR_PACKAGE_INFO, pi), S.SEC_E_OK);
  assert.equal(pi.PackageInfo?.cbMaxToken, 24576);
  assert.equal(pi.PackageInfo?.fCapabilities, S.SCHANNEL_PACKAGE_CAPABILITIES);
});
