/**
 * Crypt32 certificate stores with Windows' call shapes: PFXImportCertStore / PFXIsPFXBlob / PFXVerifyPassword and
 * their GetLastError codes, CertFindCertificateInStore (hash, subject/issuer string and name, EKU, private key),
 * properties, file-backed system stores ("MY", "ROOT", "CA" under a store root), and two real-consumer sequences each
 * completing mutual TLS against `openssl s_server -Verify 1`:
 *  - curl (lib/vtls/schannel.c): PFXImportCertStore(PKCS12_NO_PERSIST_KEY) → CertFindCertificateInStore
 *    (CERT_FIND_HAS_PRIVATE_KEY) → SCH_CREDENTIALS.paCred, and the "CurrentUser\MY\<thumbprint>" path:
 *    CertOpenStore(CERT_STORE_PROV_SYSTEM) → CertFindCertificateInStore(CERT_FIND_HASH);
 *  - MsQuic (tls_schannel.c, cert_capi.c): SCH_CRED_FORMAT_CERT_HASH_STORE with a SCHANNEL_CERT_HASH_STORE naming
 *    the thumbprint and store, CertFindCertificateInStore(CERT_FIND_ENHKEY_USAGE, OPTIONAL flag) and CERT_HASH_PROP_ID.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tls from 'node:tls';
import * as S from '../../src/sspi/index.js';
import { getDefaultCredentialCrypto } from '../../src/crypto/node-provider.js';
import { getPki, type Pki } from '../helpers/pki.js';
import { opensslClient, opensslServer, withPeer } from '../helpers/peers.js';
import { toHex } from '../helpers/hex.js';
import { openssl, path, scratch } from './files.js';
import { sspiClientSend } from './sspi-client.js';
import { sspiServerOnce } from './sspi-server.js';

let pki: Pki;
before(async () => {
  pki = await getPki();
});

const ENC = S.X509_ASN_ENCODING | S.PKCS_7_ASN_ENCODING;
const sha1 = (der: Uint8Array): Uint8Array => getDefaultCredentialCrypto().digest('sha1', der);
const blobOf = (file: string): S.CRYPT_DATA_BLOB => S.CRYPT_DATA_BLOB.of(new Uint8Array(readFileSync(file)));

function storeRoot(): string {
  return mkdtempSync(join(scratch(), 'stores-'));
}

test('PFXIsPFXBlob, PFXVerifyPassword and PFXImportCertStore failures with their GetLastError codes', () => {
  const c = new S.Crypt32();
  const p12 = blobOf(pki.client.p12Path);
  assert.equal(c.PFXIsPFXBlob(p12), true);
  assert.equal(c.PFXIsPFXBlob(S.CRYPT_DATA_BLOB.of(pki.client.certDer)), false);
  assert.equal(c.PFXVerifyPassword(p12, pki.client.p12Password, 0), true);
  assert.equal(c.PFXVerifyPassword(p12, 'nope', 0), false);

  assert.equal(c.PFXImportCertStore(p12, 'wrong', S.PKCS12_NO_PERSIST_KEY), null);
  assert.equal(c.GetLastError(), S.ERROR_INVALID_PASSWORD);
  const bytes = p12.pbData as Uint8Array;
  assert.equal(c.PFXImportCertStore(S.CRYPT_DATA_BLOB.of(bytes.subarray(0, 100)), pki.client.p12Password, 0), null);
  assert.equal(c.GetLastError(), S.CRYPT_E_ASN1_EOD);
  const badMac = bytes.slice();
  badMac[badMac.length - 15] = (badMac[badMac.length - 15] as number) ^ 1; // inside the MAC digest
  assert.equal(c.PFXImportCertStore(S.CRYPT_DATA_BLOB.of(badMac), pki.client.p12Password, 0), null);
  assert.equal(c.GetLastError(), S.CRYPT_E_HASH_VALUE);
  assert.equal(c.PFXImportCertStore(S.CRYPT_DATA_BLOB.of(pki.client.certDer), '', 0), null);
  assert.equal(c.GetLastError(), S.CRYPT_E_ASN1_CORRUPT);
  if (!getDefaultCredentialCrypto().hasCipher('rc2-40-cbc')) {
    try {
      openssl(['pkcs12', '-export', '-legacy', '-in', pki.client.certPath, '-inkey', pki.client.keyPath, '-passout', 'pass:x', '-out', path('store-legacy.p12')]);
      assert.equal(c.PFXImportCertStore(blobOf(path('store-legacy.p12')), 'x', 0), null);
      assert.equal(c.GetLastError(), S.NTE_BAD_ALGID);
    } catch (e) {
      if (!/failed/.test((e as Error).message)) throw e; // the local openssl lacks -legacy
    }
  }
  assert.equal(c.PFXImportCertStore(null, '', 0), null);
  assert.equal(c.GetLastError(), S.E_INVALIDARG);
});

test('PFXImportCertStore: every certificate, the key on its own, find by hash/subject/issuer/name/EKU, properties', () => {
  const c = new S.Crypt32();
  const store = c.PFXImportCertStore(blobOf(pki.client.p12Path), pki.client.p12Password, S.PKCS12_NO_PERSIST_KEY);
  assert.ok(store !== null);
  assert.equal(store.certificates.length, 2);
  const all: S.StoreCertContext[] = [];
  for (let ctx = c.CertEnumCertificatesInStore(store, null); ctx !== null; ctx = c.CertEnumCertificatesInStore(store, ctx)) all.push(ctx);
  assert.equal(all.length, 2);
  assert.equal(c.GetLastError(), S.CRYPT_E_NOT_FOUND);

  const withKey = c.CertFindCertificateInStore(store, ENC, 0, S.CERT_FIND_HAS_PRIVATE_KEY, null, null);
  assert.ok(withKey !== null && withKey.hasPrivateKey);
  assert.equal(toHex(withKey.pbCertEncoded), toHex(pki.client.certDer));
  assert.equal(withKey.check(), 'ok');
  assert.deepEqual(withKey.chain.map(toHex), [toHex(pki.client.certDer), toHex(pki.ca.certDer)]);
  assert.equal(c.CertFindCertificateInStore(store, ENC, 0, S.CERT_FIND_HAS_PRIVATE_KEY, null, withKey), null);

  const byHash = c.CertFindCertificateInStore(store, ENC, 0, S.CERT_FIND_HASH, S.CRYPT_HASH_BLOB.of(sha1(pki.ca.certDer)), null);
  assert.equal(toHex(byHash?.pbCertEncoded ?? new Uint8Array()), toHex(pki.ca.certDer));
  assert.equal(c.CertFindCertificateInStore(store, ENC, 0, S.CERT_FIND_SHA1_HASH, S.CRYPT_HASH_BLOB.of(new Uint8Array(20)), null), null);
  assert.equal(c.GetLastError(), S.CRYPT_E_NOT_FOUND);
  assert.equal(c.CertFindCertificateInStore(store, ENC, 0, S.CERT_FIND_SUBJECT_STR, 'TEST CLIENT', null), withKey);
  const byIssuer = c.CertFindCertificateInStore(store, ENC, 0, S.CERT_FIND_ISSUER_STR_W, 'Test Root CA', null);
  assert.ok(byIssuer !== null);
  assert.ok(c.CertFindCertificateInStore(store, ENC, 0, S.CERT_FIND_ISSUER_STR_W, 'Test Root CA', byIssuer) !== null, 'leaf and self-signed root both issued by the root');
  const caCtx = c.CertFindCertificateInStore(store, ENC, 0, S.CERT_FIND_EXISTING, S.CertContext.fromDer([pki.ca.certDer]), null);
  assert.ok(caCtx !== null && !caCtx.hasPrivateKey);
  const subjectName = caCtx.pCertInfo?.subject.der as Uint8Array;
  assert.equal(c.CertFindCertificateInStore(store, ENC, 0, S.CERT_FIND_SUBJECT_NAME, S.CERT_NAME_BLOB.of(subjectName), null), caCtx);

  // EKU: the client certificate has clientAuth only; the CA has no EKU extension (found only with the OPTIONAL flag).
  const usage = (oid: string): S.CERT_ENHKEY_USAGE => Object.assign(new S.CERT_ENHKEY_USAGE(), { cUsageIdentifier: 1, rgpszUsageIdentifier: [oid] });
  assert.equal(c.CertFindCertificateInStore(store, ENC, 0, S.CERT_FIND_ENHKEY_USAGE, usage('1.3.6.1.5.5.7.3.2'), null), withKey);
  assert.equal(c.CertFindCertificateInStore(store, ENC, 0, S.CERT_FIND_ENHKEY_USAGE, usage('1.3.6.1.5.5.7.3.1'), null), null);
  assert.equal(c.CertFindCertificateInStore(store, ENC, S.CERT_FIND_OPTIONAL_ENHKEY_USAGE_FLAG, S.CERT_FIND_ENHKEY_USAGE, usage('1.3.6.1.5.5.7.3.1'), null), caCtx);
  assert.equal(c.CertFindCertificateInStore(store, ENC, 0, S.CERT_FIND_ENHKEY_USAGE, null, null), null);
  assert.equal(c.GetLastError(), S.E_INVALIDARG);

  // Properties: CERT_HASH_PROP_ID size query then fill (MsQuic's CxPlatCertMatchHash), too small a buffer, the
  // friendly name as UTF-16LE with its NUL, no CERT_KEY_PROV_INFO for a PKCS12_NO_PERSIST_KEY key.
  const cb = { value: 0 };
  assert.equal(c.CertGetCertificateContextProperty(withKey, S.CERT_HASH_PROP_ID, null, cb), true);
  assert.equal(cb.value, 20);
  const hash = new Uint8Array(20);
  assert.equal(c.CertGetCertificateContextProperty(withKey, S.CERT_HASH_PROP_ID, hash, cb), true);
  assert.equal(toHex(hash), toHex(sha1(pki.client.certDer)));
  const small = { value: 8 };
  assert.equal(c.CertGetCertificateContextProperty(withKey, S.CERT_SHA256_HASH_PROP_ID, new Uint8Array(8), small), false);
  assert.equal(c.GetLastError(), S.ERROR_MORE_DATA);
  assert.equal(small.value, 32);
  const nameLen = { value: 0 };
  assert.equal(c.CertGetCertificateContextProperty(withKey, S.CERT_FRIENDLY_NAME_PROP_ID, null, nameLen), true);
  const name = new Uint8Array(nameLen.value);
  assert.equal(c.CertGetCertificateContextProperty(withKey, S.CERT_FRIENDLY_NAME_PROP_ID, name, nameLen), true);
  assert.equal(new TextDecoder('utf-16le').decode(name), 'client\0');
  assert.equal(c.CertGetCertificateContextProperty(withKey, S.CERT_KEY_PROV_INFO_PROP_ID, new S.CRYPT_KEY_PROV_INFO(), { value: 0 }), false);
  assert.equal(c.GetLastError(), S.CRYPT_E_NOT_FOUND);
  assert.equal(c.CertGetCertificateContextProperty(caCtx, S.CERT_FRIENDLY_NAME_PROP_ID, null, { value: 0 }), false);
  assert.equal(c.CertDuplicateCertificateContext(withKey), withKey);
  assert.equal(c.CertFreeCertificateContext(withKey), true);
  assert.equal(c.CertCloseStore(store, 0), true);
});

test('system stores are directories under the store root: create, add (key file 0600), reopen, find by thumbprint', () => {
  const root = storeRoot();
  const c = new S.Crypt32({ fs, systemStoreRoot: root });
  assert.equal(c.CertOpenStore(S.CERT_STORE_PROV_SYSTEM, 0, null, S.CERT_STORE_OPEN_EXISTING_FLAG | S.CERT_SYSTEM_STORE_CURRENT_USER, 'MY'), null);
  assert.equal(c.GetLastError(), S.ERROR_FILE_NOT_FOUND);
  assert.equal(new S.Crypt32().CertOpenStore(S.CERT_STORE_PROV_SYSTEM, 0, null, S.CERT_SYSTEM_STORE_CURRENT_USER, 'MY'), null);
  assert.equal(new S.Crypt32().CertOpenStore(S.CERT_STORE_PROV_MEMORY, 0, null, 0, null) !== null, true);

  const my = c.CertOpenStore(S.CERT_STORE_PROV_SYSTEM, 0, null, S.CERT_SYSTEM_STORE_LOCAL_MACHINE, 'my');
  assert.ok(my !== null);
  assert.equal(my.directory, join(root, 'LocalMachine', 'MY'));
  const pfx = c.PFXImportCertStore(blobOf(pki.server.p256.p12Path), pki.server.p256.p12Password, 0);
  assert.ok(pfx !== null);
  const leaf = c.CertFindCertificateInStore(pfx, ENC, 0, S.CERT_FIND_HAS_PRIVATE_KEY, null, null);
  assert.ok(leaf !== null);
  const out = { value: null as S.StoreCertContext | null };
  assert.equal(c.CertAddCertificateContextToStore(my, leaf, S.CERT_STORE_ADD_NEW, out), true);
  assert.ok(out.value !== null);
  assert.equal(c.CertAddCertificateContextToStore(my, leaf, S.CERT_STORE_ADD_NEW, null), false);
  assert.equal(c.GetLastError(), S.CRYPT_E_EXISTS);
  assert.equal(c.CertAddCertificateContextToStore(my, leaf, S.CERT_STORE_ADD_USE_EXISTING, null), true);
  const thumb = toHex(sha1(pki.server.p256.certDer)).toUpperCase();
  assert.ok(statSync(join(root, 'LocalMachine', 'MY', `${thumb}.cer`)).isFile());
  assert.equal(statSync(join(root, 'LocalMachine', 'MY', `${thumb}.key`)).mode & 0o777, 0o600);
  const info = new S.CRYPT_KEY_PROV_INFO();
  assert.equal(c.CertGetCertificateContextProperty(out.value, S.CERT_KEY_PROV_INFO_PROP_ID, info, { value: 0 }), true);
  assert.match(info.pwszContainerName, new RegExp(thumb));

  const ro = c.CertOpenStore(S.CERT_STORE_PROV_SYSTEM_A, 0, null, S.CERT_STORE_OPEN_EXISTING_FLAG | S.CERT_STORE_READONLY_FLAG | S.CERT_SYSTEM_STORE_LOCAL_MACHINE, 'MY');
  assert.ok(ro !== null);
  const found = c.CertFindCertificateInStore(ro, ENC, 0, S.CERT_FIND_HASH, S.CRYPT_HASH_BLOB.of(sha1(pki.server.p256.certDer)), null);
  assert.ok(found !== null && found.hasPrivateKey);
  assert.equal(found.check(), 'ok');
  assert.equal(c.CertAddCertificateContextToStore(ro, leaf, S.CERT_STORE_ADD_ALWAYS, null), false);
  assert.equal(c.GetLastError(), S.ERROR_ACCESS_DENIED);

  // A file store (CERT_STORE_PROV_FILENAME) of a PEM bundle and a PKCS#7 blob (openssl crl2pkcs7).
  const bundle = path('bundle.pem');
  writeFileSync(bundle, pki.client.certPem + pki.ca.certPem);
  const fileStore = c.CertOpenStore(S.CERT_STORE_PROV_FILENAME, ENC, null, 0, bundle);
  assert.equal(fileStore?.certificates.length, 2);
  openssl(['crl2pkcs7', '-nocrl', '-certfile', bundle, '-outform', 'DER', '-out', path('bundle.p7b')]);
  const p7 = c.CertOpenStore(S.CERT_STORE_PROV_PKCS7, ENC, null, 0, blobOf(path('bundle.p7b')));
  assert.deepEqual(p7?.certificates.map(toHex), [toHex(pki.client.certDer), toHex(pki.ca.certDer)]);
});

test('curl: PFXImportCertStore(PKCS12_NO_PERSIST_KEY) → CertFindCertificateInStore → SCH_CREDENTIALS, mutual TLS with openssl s_server -Verify 1', async () => {
  const server = await opensslServer({ cert: pki.server.p256.certPath, key: pki.server.p256.keyPath, args: ['-Verify', '1', '-CAfile', pki.ca.certPath] });
  await withPeer(server, async () => {
    const { PFXImportCertStore, CertFindCertificateInStore, CertCloseStore, GetLastError } = new S.Crypt32();
    const certStore = PFXImportCertStore(blobOf(pki.client.p12Path), pki.client.p12Password, S.PKCS12_NO_PERSIST_KEY);
    assert.ok(certStore !== null, `PFXImportCertStore 0x${GetLastError().toString(16)}`);
    const clientCert = CertFindCertificateInStore(certStore, ENC, 0, S.CERT_FIND_HAS_PRIVATE_KEY, null, null);
    assert.ok(clientCert !== null);
    const cred = new S.SCH_CREDENTIALS();
    cred.dwFlags = S.SCH_CRED_NO_DEFAULT_CREDS;
    cred.cCreds = 1;
    cred.paCred = [clientCert];
    cred.hRootStore = S.CertStore.fromPem(pki.ca.certPem);
    const hCred = new S.CredHandle();
    assert.equal(S.AcquireCredentialsHandle(null, S.UNISP_NAME, S.SECPKG_CRED_OUTBOUND, null, cred, null, null, hCred, null), S.SEC_E_OK);
    await sspiClientSend(hCred, server.port, 'localhost', 'hello-from-curl-style\n');
    await server.waitFor(/hello-from-curl-style/, 10_000, 'stdout');
    await server.waitFor(/CN = test client/, 10_000, 'both'); // the verify lines may come on the other stream, later
    CertCloseStore(certStore, 0);
    S.FreeCredentialsHandle(hCred);
  });
});

test('curl "CurrentUser\\MY\\<thumbprint>": CertOpenStore(CERT_STORE_PROV_SYSTEM) + CERT_FIND_HASH, mutual TLS with openssl s_server -Verify 1', async () => {
  const root = storeRoot();
  const c = new S.Crypt32({ fs, systemStoreRoot: root });
  // Provision CurrentUser\MY from the client PFX (what certutil -importpfx does).
  const my = c.CertOpenStore(S.CERT_STORE_PROV_SYSTEM, 0, null, S.CERT_SYSTEM_STORE_CURRENT_USER, 'MY');
  const pfx = c.PFXImportCertStore(blobOf(pki.client.p12Path), pki.client.p12Password, 0);
  assert.ok(my !== null && pfx !== null);
  assert.ok(c.CertAddCertificateContextToStore(my, c.CertFindCertificateInStore(pfx, ENC, 0, S.CERT_FIND_HAS_PRIVATE_KEY, null, null), S.CERT_STORE_ADD_REPLACE_EXISTING, null));
  const server = await opensslServer({ cert: pki.server.p256.certPath, key: pki.server.p256.keyPath, args: ['-Verify', '1', '-CAfile', pki.ca.certPath] });
  await withPeer(server, async () => {
    const thumbprint = S.CRYPT_HASH_BLOB.of(sha1(pki.client.certDer));
    const store = c.CertOpenStore(S.CERT_STORE_PROV_SYSTEM_W, 0, null, S.CERT_STORE_OPEN_EXISTING_FLAG | S.CERT_SYSTEM_STORE_CURRENT_USER, 'MY');
    assert.ok(store !== null);
    const clientCert = c.CertFindCertificateInStore(store, ENC, 0, S.CERT_FIND_HASH, thumbprint, null);
    assert.ok(clientCert !== null);
    const cred = new S.SCHANNEL_CRED();
    cred.dwFlags = S.SCH_CRED_NO_DEFAULT_CREDS;
    cred.cCreds = 1;
    cred.paCred = [clientCert];
    cred.hRootStore = S.CertStore.fromPem(pki.ca.certPem);
    const hCred = new S.CredHandle();
    assert.equal(S.AcquireCredentialsHandle(null, S.UNISP_NAME, S.SECPKG_CRED_OUTBOUND, null, cred, null, null, hCred, null), S.SEC_E_OK);
    await sspiClientSend(hCred, server.port, 'localhost', 'hello-from-thumbprint\n');
    await server.waitFor(/hello-from-thumbprint/, 10_000, 'stdout');
    await server.waitFor(/CN = test client/, 10_000, 'both'); // the verify lines may come on the other stream, later
    S.FreeCredentialsHandle(hCred);
  });
});

test('MsQuic: SCH_CRED_FORMAT_CERT_HASH_STORE thumbprint in a system store, hRootStore from "ROOT", mutual TLS with openssl s_server -Verify 1', async () => {
  const root = storeRoot();
  const crypt32 = new S.Crypt32({ fs, systemStoreRoot: root });
  const { CertOpenStore, CertAddCertificateContextToStore, CertAddEncodedCertificateToStore, PFXImportCertStore, CertFindCertificateInStore, CertGetCertificateContextProperty } = crypt32;
  const my = CertOpenStore(S.CERT_STORE_PROV_SYSTEM_A, 0, 0, S.CERT_SYSTEM_STORE_LOCAL_MACHINE, 'MY');
  const pfx = PFXImportCertStore(blobOf(pki.client.p12Path), pki.client.p12Password, 0);
  assert.ok(my !== null && pfx !== null);
  assert.ok(CertAddCertificateContextToStore(my, CertFindCertificateInStore(pfx, ENC, 0, S.CERT_FIND_HAS_PRIVATE_KEY, null, null), S.CERT_STORE_ADD_NEW, null));
  const rootStore = CertOpenStore(S.CERT_STORE_PROV_SYSTEM_A, 0, 0, S.CERT_SYSTEM_STORE_LOCAL_MACHINE, 'ROOT');
  assert.ok(rootStore !== null);
  assert.ok(CertAddEncodedCertificateToStore(rootStore, ENC, pki.ca.certDer, pki.ca.certDer.length, S.CERT_STORE_ADD_NEW, null));

  // CxPlatCertStoreFind: EKU serverAuth then clientAuth with CERT_FIND_OPTIONAL_ENHKEY_USAGE_FLAG, matched by CERT_HASH_PROP_ID.
  const wanted = sha1(pki.client.certDer);
  const ro = CertOpenStore(S.CERT_STORE_PROV_SYSTEM_A, 0, 0, S.CERT_STORE_DEFER_CLOSE_UNTIL_LAST_FREE_FLAG | S.CERT_SYSTEM_STORE_LOCAL_MACHINE | S.CERT_STORE_READONLY_FLAG, 'MY');
  assert.ok(ro !== null);
  let match: S.StoreCertContext | null = null;
  for (const oid of ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']) {
    const usage = Object.assign(new S.CERT_ENHKEY_USAGE(), { cUsageIdentifier: 1, rgpszUsageIdentifier: [oid] });
    for (let ctx = CertFindCertificateInStore(ro, S.X509_ASN_ENCODING, S.CERT_FIND_OPTIONAL_ENHKEY_USAGE_FLAG, S.CERT_FIND_ENHKEY_USAGE, usage, null); ctx !== null && match === null; ctx = CertFindCertificateInStore(ro, S.X509_ASN_ENCODING, S.CERT_FIND_OPTIONAL_ENHKEY_USAGE_FLAG, S.CERT_FIND_ENHKEY_USAGE, usage, ctx)) {
      const hash = new Uint8Array(20);
      const cb = { value: 20 };
      if (CertGetCertificateContextProperty(ctx, S.CERT_HASH_PROP_ID, hash, cb) && toHex(hash) === toHex(wanted)) match = ctx;
    }
  }
  assert.ok(match !== null, 'found by EKU and CERT_HASH_PROP_ID');

  const server = await opensslServer({ cert: pki.server.p256.certPath, key: pki.server.p256.keyPath, args: ['-Verify', '1', '-CAfile', pki.ca.certPath] });
  await withPeer(server, async () => {
    const certHash = new S.SCHANNEL_CERT_HASH_STORE();
    certHash.dwFlags = S.SCH_MACHINE_CERT_HASH;
    certHash.hProv = crypt32;
    certHash.ShaHash = wanted;
    certHash.pwszStoreName = 'MY';
    const cred = new S.SCH_CREDENTIALS();
    cred.dwCredFormat = S.SCH_CRED_FORMAT_CERT_HASH_STORE;
    cred.dwFlags = S.SCH_CRED_NO_DEFAULT_CREDS | S.SCH_MACHINE_CERT_HASH;
    cred.cCreds = 1;
    cred.paCred = [certHash];
    cred.hRootStore = CertOpenStore(S.CERT_STORE_PROV_SYSTEM_A, 0, 0, S.CERT_SYSTEM_STORE_LOCAL_MACHINE | S.CERT_STORE_READONLY_FLAG, 'ROOT');
    const hCred = new S.CredHandle();
    assert.equal(S.AcquireCredentialsHandle(null, S.UNISP_NAME, S.SECPKG_CRED_OUTBOUND, null, cred, null, null, hCred, null), S.SEC_E_OK);
    await sspiClientSend(hCred, server.port, 'localhost', 'hello-from-msquic-style\n');
    await server.waitFor(/hello-from-msquic-style/, 10_000, 'stdout');
    await server.waitFor(/CN = test client/, 10_000, 'both'); // the verify lines may come on the other stream, later
    S.FreeCredentialsHandle(hCred);

    // A root store holding only another CA: the server's chain is not trusted (SEC_E_UNTRUSTED_ROOT).
    const empty = new S.SCH_CREDENTIALS();
    empty.dwCredFormat = S.SCH_CRED_FORMAT_CERT_HASH_STORE;
    empty.cCreds = 1;
    empty.paCred = [certHash];
    const other = CertOpenStore(S.CERT_STORE_PROV_MEMORY, 0, 0, 0, null);
    assert.ok(other !== null);
    assert.ok(CertAddEncodedCertificateToStore(other, ENC, pki.otherCa.certDer, pki.otherCa.certDer.length, S.CERT_STORE_ADD_NEW, null));
    empty.hRootStore = other;
    const h2 = new S.CredHandle();
    assert.equal(S.AcquireCredentialsHandle(null, S.UNISP_NAME, S.SECPKG_CRED_OUTBOUND, null, empty, null, null, h2, null), S.SEC_E_OK);
    await assert.rejects(sspiClientSend(h2, server.port, 'localhost', 'never\n'), /InitializeSecurityContext 0x80090325/);
    S.FreeCredentialsHandle(h2);
  });
});

test('SCH_CRED_FORMAT_CERT_HASH / _STORE: a thumbprint that is not there, a store without keys, no store → SEC_E_NO_CREDENTIALS', () => {
  const root = storeRoot();
  const crypt32 = new S.Crypt32({ fs, systemStoreRoot: root });
  const ca = crypt32.CertOpenStore(S.CERT_STORE_PROV_SYSTEM_W, 0, null, S.CERT_SYSTEM_STORE_CURRENT_USER, 'CA');
  assert.ok(ca !== null);
  assert.ok(crypt32.CertAddEncodedCertificateToStore(ca, ENC, pki.ca.certDer, pki.ca.certDer.length, S.CERT_STORE_ADD_NEW, null));
  const acquire = (entry: S.SCHANNEL_CERT_HASH | S.SCHANNEL_CERT_HASH_STORE, format: number): number => {
    const cred = new S.SCH_CREDENTIALS();
    cred.dwCredFormat = format;
    cred.cCreds = 1;
    cred.paCred = [entry];
    return S.AcquireCredentialsHandle(null, S.UNISP_NAME, S.SECPKG_CRED_INBOUND, null, cred, null, null, new S.CredHandle(), null);
  };
  const missing = Object.assign(new S.SCHANNEL_CERT_HASH(), { hProv: crypt32, ShaHash: new Uint8Array(20) });
  assert.equal(acquire(missing, S.SCH_CRED_FORMAT_CERT_HASH), S.SEC_E_NO_CREDENTIALS);
  const keyless = Object.assign(new S.SCHANNEL_CERT_HASH_STORE(), { hProv: crypt32, ShaHash: sha1(pki.ca.certDer), pwszStoreName: 'CA' });
  assert.equal(acquire(keyless, S.SCH_CRED_FORMAT_CERT_HASH_STORE), S.SEC_E_NO_CREDENTIALS);
  const noFs = Object.assign(new S.SCHANNEL_CERT_HASH_STORE(), { ShaHash: sha1(pki.ca.certDer), pwszStoreName: 'CA' });
  assert.equal(acquire(noFs, S.SCH_CRED_FORMAT_CERT_HASH_STORE), S.SEC_E_NO_CREDENTIALS);
  const shortHash = Object.assign(new S.SCHANNEL_CERT_HASH(), { hProv: crypt32, ShaHash: new Uint8Array(19) });
  assert.equal(acquire(shortHash, S.SCH_CRED_FORMAT_CERT_HASH), S.SEC_E_UNKNOWN_CREDENTIALS);
});

test('MsQuic server: SCH_CRED_FORMAT_CERT_HASH (LocalMachine "MY"), hRootStore "ROOT" checks the client: openssl s_client with a client certificate', async () => {
  const root = storeRoot();
  const crypt32 = new S.Crypt32({ fs, systemStoreRoot: root });
  const my = crypt32.CertOpenStore(S.CERT_STORE_PROV_SYSTEM_W, 0, null, S.CERT_SYSTEM_STORE_LOCAL_MACHINE, 'MY');
  const pfx = crypt32.PFXImportCertStore(blobOf(pki.server.p256.p12Path), pki.server.p256.p12Password, 0);
  assert.ok(my !== null && pfx !== null);
  assert.ok(crypt32.CertAddCertificateContextToStore(my, crypt32.CertFindCertificateInStore(pfx, ENC, 0, S.CERT_FIND_HAS_PRIVATE_KEY, null, null), S.CERT_STORE_ADD_NEW, null));
  // The CA in "CA" (chain building) and "ROOT" (trust anchors for client certificates), as an installer would put it.
  const ca = crypt32.CertOpenStore(S.CERT_STORE_PROV_SYSTEM_W, 0, null, S.CERT_SYSTEM_STORE_LOCAL_MACHINE, 'CA');
  const rootStore = crypt32.CertOpenStore(S.CERT_STORE_PROV_SYSTEM_W, 0, null, S.CERT_SYSTEM_STORE_LOCAL_MACHINE, 'ROOT');
  assert.ok(ca !== null && rootStore !== null);
  assert.ok(crypt32.CertAddEncodedCertificateToStore(ca, ENC, pki.ca.certDer, pki.ca.certDer.length, S.CERT_STORE_ADD_NEW, null));
  assert.ok(crypt32.CertAddEncodedCertificateToStore(rootStore, ENC, pki.ca.certDer, pki.ca.certDer.length, S.CERT_STORE_ADD_NEW, null));

  const certHash = new S.SCHANNEL_CERT_HASH();
  certHash.dwFlags = S.SCH_MACHINE_CERT_HASH;
  certHash.hProv = crypt32;
  certHash.ShaHash = sha1(pki.server.p256.certDer);
  const cred = new S.SCH_CREDENTIALS();
  cred.dwCredFormat = S.SCH_CRED_FORMAT_CERT_HASH;
  cred.cCreds = 1;
  cred.paCred = [certHash];
  cred.hRootStore = crypt32.CertOpenStore(S.CERT_STORE_PROV_SYSTEM_W, 0, null, S.CERT_SYSTEM_STORE_LOCAL_MACHINE | S.CERT_STORE_READONLY_FLAG, 'ROOT');
  const hCred = new S.CredHandle();
  assert.equal(S.AcquireCredentialsHandle(null, S.UNISP_NAME, S.SECPKG_CRED_INBOUND, null, cred, null, null, hCred, null), S.SEC_E_OK);
  const server = await sspiServerOnce(hCred, true);
  try {
    const client = await opensslClient(server.port, ['-CAfile', pki.ca.certPath, '-servername', 'localhost', '-verify_return_error', '-cert', pki.client.certPath, '-key', pki.client.keyPath, '-quiet'], { stdin: 'from-s_client\n' });
    await withPeer(client, async () => {
      const r = await server.result;
      assert.equal(r.data, 'from-s_client\n');
      assert.match(r.clientSubject, /CN=test client/);
    });
  } finally {
    server.close();
    S.FreeCredentialsHandle(hCred);
  }
});

test('PFXExportCertStoreEx: size call then export; 3DES by default, AES256-SHA256 on request; openssl and Node read it', () => {
  const c = new S.Crypt32();
  const store = c.PFXImportCertStore(blobOf(pki.client.p12Path), pki.client.p12Password, S.CRYPT_EXPORTABLE);
  assert.ok(store !== null);
  for (const aes of [false, true]) {
    const flags = S.EXPORT_PRIVATE_KEYS | S.REPORT_NOT_ABLE_TO_EXPORT_PRIVATE_KEY | (aes ? S.PKCS12_EXPORT_PBES2_PARAMS : 0);
    const para = aes ? new S.PKCS12_PBES2_EXPORT_PARAMS() : null;
    const blob = new S.CRYPT_DATA_BLOB();
    assert.equal(c.PFXExportCertStoreEx(store, blob, 'export-pass', para, flags), true);
    assert.ok(blob.cbData > 0);
    const tooSmall = S.CRYPT_DATA_BLOB.of(new Uint8Array(10));
    assert.equal(c.PFXExportCertStoreEx(store, tooSmall, 'export-pass', para, flags), false);
    assert.equal(c.GetLastError(), S.ERROR_MORE_DATA);
    blob.pbData = new Uint8Array(blob.cbData);
    assert.equal(c.PFXExportCertStoreEx(store, blob, 'export-pass', para, flags), true);
    const file = path(aes ? 'exported-aes.pfx' : 'exported-3des.pfx');
    writeFileSync(file, blob.pbData.subarray(0, blob.cbData));
    const info = openssl(['pkcs12', '-in', file, '-passin', 'pass:export-pass', '-info', '-nokeys']);
    assert.match(info, aes ? /PBES2, PBKDF2, AES-256-CBC/ : /pbeWithSHA1And3-KeyTripleDES-CBC/);
    assert.match(info, /friendlyName: client/);
    tls.createSecureContext({ pfx: Buffer.from(blob.pbData.subarray(0, blob.cbData)), passphrase: 'export-pass' });
    const back = c.PFXImportCertStore(blob, 'export-pass', 0);
    assert.deepEqual(back?.certificates.map(toHex), [toHex(pki.client.certDer), toHex(pki.ca.certDer)]);
    assert.ok(c.CertFindCertificateInStore(back, ENC, 0, S.CERT_FIND_HAS_PRIVATE_KEY, null, null) !== null);
  }
  const caOnly = c.CertOpenStore(S.CERT_STORE_PROV_MEMORY, 0, null, 0, null);
  assert.ok(caOnly !== null && c.CertAddEncodedCertificateToStore(caOnly, ENC, pki.ca.certDer, pki.ca.certDer.length, S.CERT_STORE_ADD_NEW, null));
  assert.equal(c.PFXExportCertStoreEx(caOnly, new S.CRYPT_DATA_BLOB(), 'x', null, S.EXPORT_PRIVATE_KEYS | S.REPORT_NO_PRIVATE_KEY), false);
  assert.equal(c.GetLastError(), S.NTE_BAD_KEYSET);
  assert.equal(c.PFXExportCertStoreEx(store, new S.CRYPT_DATA_BLOB(), 'x', null, S.PKCS12_EXPORT_PBES2_PARAMS), false);
  assert.equal(c.GetLastError(), S.E_INVALIDARG);
});

test('the documented store layout: PEM + .key files and an empty-password .pfx dropped into a directory; CERT_STORE_PROV_PKCS12', () => {
  const root = storeRoot();
  const dir = join(root, 'CurrentUser', 'MY');
  fs.mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'web.pem'), pki.server.p384.certPem);
  writeFileSync(join(dir, 'web.key'), pki.server.p384.keyPem, { mode: 0o600 });
  openssl(['pkcs12', '-export', '-in', pki.client.certPath, '-inkey', pki.client.keyPath, '-passout', 'pass:', '-out', join(dir, 'client.pfx')]);
  writeFileSync(join(dir, 'notes.txt'), 'ignored');
  const c = new S.Crypt32({ fs, systemStoreRoot: root });
  const my = c.CertOpenStore(S.CERT_STORE_PROV_SYSTEM, 0, null, S.CERT_STORE_OPEN_EXISTING_FLAG | S.CERT_STORE_READONLY_FLAG | S.CERT_SYSTEM_STORE_CURRENT_USER, 'My');
  assert.ok(my !== null);
  assert.equal(my.certificates.length, 2);
  const web = c.CertFindCertificateInStore(my, ENC, 0, S.CERT_FIND_HASH, S.CRYPT_HASH_BLOB.of(sha1(pki.server.p384.certDer)), null);
  assert.ok(web !== null && web.check() === 'ok');
  const client = c.CertFindCertificateInStore(my, ENC, 0, S.CERT_FIND_SUBJECT_STR, 'test client', null);
  assert.ok(client !== null && client.check() === 'ok');
  // The PFX blob as a store of its own (CERT_STORE_PROV_PKCS12, empty password).
  const p12 = c.CertOpenStore(S.CERT_STORE_PROV_PKCS12, ENC, null, 0, blobOf(join(dir, 'client.pfx')));
  assert.equal(p12?.certificates.length, 1);
  assert.ok(c.CertFindCertificateInStore(p12, ENC, 0, S.CERT_FIND_HAS_PRIVATE_KEY, null, null) !== null);
  // A damaged certificate file fails the open with the decode error, not silently.
  writeFileSync(join(dir, 'broken.cer'), new Uint8Array([0x30, 0x82, 0x01]));
  assert.equal(c.CertOpenStore(S.CERT_STORE_PROV_SYSTEM, 0, null, S.CERT_SYSTEM_STORE_CURRENT_USER, 'MY'), null);
  assert.equal(c.GetLastError(), S.CRYPT_E_ASN1_CORRUPT);
});
