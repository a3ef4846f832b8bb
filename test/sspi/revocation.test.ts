/**
 * SCH_CRED_REVOCATION_CHECK_* on a client credential: the server's stapled OCSP response is the revocation source
 * (no network fetches). Revoked → CRYPT_E_REVOKED; no response → CRYPT_E_NO_REVOCATION_CHECK unless
 * SCH_CRED_IGNORE_NO_REVOCATION_CHECK / SCH_CRED_IGNORE_REVOCATION_OFFLINE; good → SEC_E_OK. The same on TLS 1.2
 * (CertificateStatus message) as on TLS 1.3 (status_request in the leaf's CertificateEntry). Manual validation
 * (SCH_CRED_MANUAL_CRED_VALIDATION, with REVOCATION_CHECK_* as curl sets them) checks nothing.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as S from '../../src/sspi/index.js';
import { TlsServer } from '../../src/index.js';
import { TestPki, caExt, serverExt } from '../helpers/x509-pki.js';

const pki = new TestPki();
after(() => pki.cleanup());
const root = pki.issue({ name: 'rev-root', subject: '/CN=Revocation Root', ext: caExt() });
const good = pki.issue({ name: 'rev-good', subject: '/CN=localhost', issuer: root, ext: serverExt('DNS:localhost') });
const revoked = pki.issue({ name: 'rev-revoked', subject: '/CN=localhost', issuer: root, ext: serverExt('DNS:localhost') });
pki.revoke(revoked, root);
const goodOcsp = pki.ocspResponse(good, root);
const revokedOcsp = pki.ocspResponse(revoked, root);

let maxVersion: 'TLSv1.2' | 'TLSv1.3' = 'TLSv1.3';
function server(cert: typeof good, ocspResponse?: Uint8Array): TlsServer {
  return new TlsServer({ maxVersion, certificates: [{ cert: cert.pem, key: pki.openssl(['pkey', '-in', cert.keyPath]), ...(ocspResponse !== undefined ? { ocspResponse } : {}) }] });
}

function clientCred(flags: number): S.CredHandle {
  const sch = new S.SCH_CREDENTIALS();
  sch.dwFlags = flags;
  sch.hRootStore = S.CertStore.fromPem(root.pem);
  const h = new S.CredHandle();
  assert.equal(S.AcquireCredentialsHandle(null, S.UNISP_NAME, S.SECPKG_CRED_OUTBOUND, null, sch, null, null, h, null), S.SEC_E_OK);
  return h;
}

/** InitializeSecurityContext against our idiomatic server until a final status. */
function connect(cred: S.CredHandle, srv: TlsServer): number {
  const conn = srv.accept();
  const ctx = new S.CtxtHandle();
  const req = S.ISC_REQ_SEQUENCE_DETECT | S.ISC_REQ_REPLAY_DETECT | S.ISC_REQ_CONFIDENTIALITY | S.ISC_REQ_STREAM | S.ISC_REQ_ALLOCATE_MEMORY;
  let input: Uint8Array | null = null;
  for (let i = 0; i < 6; i++) {
    const out = new S.SecBufferDesc([new S.SecBuffer(0, S.SECBUFFER_TOKEN, null), new S.SecBuffer(0, S.SECBUFFER_ALERT, null)]);
    const inDesc = input === null ? null : new S.SecBufferDesc([new S.SecBuffer(input.length, S.SECBUFFER_TOKEN, input), new S.SecBuffer(0, S.SECBUFFER_EMPTY, null)]);
    const st = S.InitializeSecurityContext(cred, i === 0 ? null : ctx, 'localhost', req, 0, 0, inDesc, 0, ctx, out, new S.ULONG(), null);
    const tok = out.pBuffers[0] as S.SecBuffer;
    if (tok.cbBuffer > 0 && tok.pvBuffer !== null) {
      try {
        conn.receive(tok.pvBuffer.subarray(0, tok.cbBuffer));
      } catch {
        /* the server saw our alert */
      }
    }
    if (st !== S.SEC_I_CONTINUE_NEEDED) return st;
    input = conn.takeOutput();
  }
  return -1;
}

const check = S.SCH_CRED_REVOCATION_CHECK_END_CERT;

for (const version of ['TLSv1.3', 'TLSv1.2'] as const) {
  const v = (): void => {
    maxVersion = version;
  };
  test(`${version}: a stapled "good" response: SEC_E_OK`, () => {
    v();
    assert.equal(connect(clientCred(check), server(good, goodOcsp)), S.SEC_E_OK);
  });

  test(`${version}: a stapled "revoked" response: CRYPT_E_REVOKED`, () => {
    v();
    assert.equal(connect(clientCred(check), server(revoked, revokedOcsp)) >>> 0, S.CRYPT_E_REVOKED >>> 0);
  });

  test(`${version}: no stapled response: CRYPT_E_NO_REVOCATION_CHECK; with SCH_CRED_IGNORE_NO_REVOCATION_CHECK: SEC_E_OK`, () => {
    v();
    assert.equal(connect(clientCred(check), server(good)) >>> 0, S.CRYPT_E_NO_REVOCATION_CHECK >>> 0);
    assert.equal(connect(clientCred(check | S.SCH_CRED_IGNORE_NO_REVOCATION_CHECK), server(good)), S.SEC_E_OK);
    assert.equal(connect(clientCred(S.SCH_CRED_REVOCATION_CHECK_CHAIN | S.SCH_CRED_IGNORE_REVOCATION_OFFLINE), server(good)), S.SEC_E_OK);
  });

  test(`${version}: without a revocation flag the staple is not required (and a revoked one is not looked at)`, () => {
    v();
    assert.equal(connect(clientCred(0), server(good)), S.SEC_E_OK);
    assert.equal(connect(clientCred(0), server(revoked, revokedOcsp)), S.SEC_E_OK);
  });

  test(`${version}: manual validation with REVOCATION_CHECK_CHAIN (curl's flags): no revocation, trust or name check`, () => {
    v();
    const curlFlags = S.SCH_CRED_MANUAL_CRED_VALIDATION | S.SCH_CRED_REVOCATION_CHECK_CHAIN;
    assert.equal(connect(clientCred(curlFlags), server(good)), S.SEC_E_OK);
    assert.equal(connect(clientCred(curlFlags), server(revoked, revokedOcsp)), S.SEC_E_OK);
    const noRoot = new S.SCH_CREDENTIALS();
    noRoot.dwFlags = curlFlags;
    const h = new S.CredHandle();
    assert.equal(S.AcquireCredentialsHandle(null, S.UNISP_NAME, S.SECPKG_CRED_OUTBOUND, null, noRoot, null, null, h, null), S.SEC_E_OK);
    assert.equal(connect(h, server(revoked, revokedOcsp)), S.SEC_E_OK, 'untrusted root, not checked');
  });
}
