/**
 * SCH_CRED_REVOCATION_CHECK_* with CRLs in the credential's hRootStore (made by `openssl ca -gencrl`): a revoked
 * server certificate → CRYPT_E_REVOKED, a good one → SEC_E_OK with no stapled response needed; without a revocation
 * flag the CRLs are not consulted; a delta CRL in the store makes AcquireCredentialsHandle fail.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as S from '../../src/sspi/index.js';
import { TlsServer } from '../../src/index.js';
import { TestPki, caExt, serverExt, type PkiCert } from '../helpers/x509-pki.js';

const pki = new TestPki();
after(() => pki.cleanup());
const root = pki.issue({ name: 'crl-root', subject: '/CN=CRL Store Root', ext: caExt() });
const good = pki.issue({ name: 'crl-good', subject: '/CN=localhost', issuer: root, ext: serverExt('DNS:localhost') });
const revoked = pki.issue({ name: 'crl-revoked', subject: '/CN=localhost', issuer: root, ext: serverExt('DNS:localhost') });
pki.revokeWithReason(revoked, root, 'superseded');
const crl = pki.crl(root);

function server(cert: PkiCert): TlsServer {
  return new TlsServer({ certificates: [{ cert: cert.pem, key: pki.openssl(['pkey', '-in', cert.keyPath]) }] });
}

function acquire(flags: number, store: S.CertStore): { status: number; handle: S.CredHandle } {
  const sch = new S.SCH_CREDENTIALS();
  sch.dwFlags = flags;
  sch.hRootStore = store;
  const handle = new S.CredHandle();
  const status = S.AcquireCredentialsHandle(null, S.UNISP_NAME, S.SECPKG_CRED_OUTBOUND, null, sch, null, null, handle, null);
  return { status, handle };
}

function clientCred(flags: number): S.CredHandle {
  const { status, handle } = acquire(flags, S.CertStore.fromDer(S.CertStore.fromPem(root.pem).certificates, [crl]));
  assert.equal(status, S.SEC_E_OK);
  return handle;
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

test('CertStore.fromPem keeps X509 CRL blocks next to the certificates', () => {
  const b64 = Buffer.from(crl).toString('base64');
  const store = S.CertStore.fromPem(`${root.pem}-----BEGIN X509 CRL-----\n${b64}\n-----END X509 CRL-----\n`);
  assert.equal(store.certificates.length, 1);
  assert.equal(store.crls.length, 1);
});

test('REVOCATION_CHECK_* with a CRL in hRootStore: revoked → CRYPT_E_REVOKED; good → SEC_E_OK without a staple', () => {
  for (const flag of [S.SCH_CRED_REVOCATION_CHECK_END_CERT, S.SCH_CRED_REVOCATION_CHECK_CHAIN, S.SCH_CRED_REVOCATION_CHECK_CHAIN_EXCLUDE_ROOT]) {
    assert.equal(connect(clientCred(flag), server(revoked)) >>> 0, S.CRYPT_E_REVOKED >>> 0);
    assert.equal(connect(clientCred(flag), server(good)), S.SEC_E_OK);
  }
});

test('without a revocation flag the CRLs of the store are not consulted', () => {
  assert.equal(connect(clientCred(0), server(revoked)), S.SEC_E_OK);
});

test('a delta CRL in the store: AcquireCredentialsHandle refuses the credential', () => {
  const delta = pki.crl(root, { ext: ['2.5.29.27=critical,ASN1:INTEGER:1'] });
  const { status } = acquire(S.SCH_CRED_REVOCATION_CHECK_CHAIN, S.CertStore.fromDer(S.CertStore.fromPem(root.pem).certificates, [delta]));
  assert.notEqual(status, S.SEC_E_OK);
});

test('a server credential with REVOCATION_CHECK_CHAIN and a CRL in hRootStore: a revoked client certificate → SEC_E_LOGON_DENIED (without the flag: SEC_E_OK)', async () => {
  const { TlsClient } = await import('../../src/index.js');
  const clientRevoked = pki.issue({ name: 'crl-client', subject: '/CN=client', issuer: root, ext: serverExt('DNS:client.example', 'clientAuth') });
  const clientGood = pki.issue({ name: 'crl-client-good', subject: '/CN=good client', issuer: root, ext: serverExt('DNS:client.example', 'clientAuth') });
  pki.revoke(clientRevoked, root);
  const crl2 = pki.crl(root);
  const serverCred = (flags: number): S.CredHandle => {
    const sch = new S.SCH_CREDENTIALS();
    sch.dwFlags = flags;
    sch.cCreds = 1;
    sch.paCred = [S.CertContext.fromPem(good.pem, pki.openssl(['pkey', '-in', good.keyPath]))];
    sch.hRootStore = S.CertStore.fromDer(S.CertStore.fromPem(root.pem).certificates, [crl2]);
    const h = new S.CredHandle();
    assert.equal(S.AcquireCredentialsHandle(null, S.UNISP_NAME, S.SECPKG_CRED_INBOUND, null, sch, null, null, h, null), S.SEC_E_OK);
    return h;
  };
  let cred = serverCred(S.SCH_CRED_REVOCATION_CHECK_CHAIN);

  const accept = (client: PkiCert): number => {
    const tc = new TlsClient({ ca: root.pem, servername: 'localhost', clientCertificate: { cert: client.pem, key: pki.openssl(['pkey', '-in', client.keyPath]) } });
    const conn = tc.connect();
    const ctx = new S.CtxtHandle();
    const req = S.ASC_REQ_SEQUENCE_DETECT | S.ASC_REQ_REPLAY_DETECT | S.ASC_REQ_CONFIDENTIALITY | S.ASC_REQ_STREAM | S.ASC_REQ_ALLOCATE_MEMORY | S.ASC_REQ_MUTUAL_AUTH;
    let first = true;
    for (let i = 0; i < 6; i++) {
      const input = conn.takeOutput();
      const inDesc = new S.SecBufferDesc([new S.SecBuffer(input.length, S.SECBUFFER_TOKEN, input), new S.SecBuffer(0, S.SECBUFFER_EMPTY, null)]);
      const out = new S.SecBufferDesc([new S.SecBuffer(0, S.SECBUFFER_TOKEN, null), new S.SecBuffer(0, S.SECBUFFER_ALERT, null)]);
      const st = S.AcceptSecurityContext(cred, first ? null : ctx, inDesc, req, 0, ctx, out, new S.ULONG(), null);
      first = false;
      const tok = out.pBuffers[0] as S.SecBuffer;
      if (tok.cbBuffer > 0 && tok.pvBuffer !== null) {
        try {
          conn.receive(tok.pvBuffer.subarray(0, tok.cbBuffer));
        } catch {
          /* the client saw our alert */
        }
      }
      if (st !== S.SEC_I_CONTINUE_NEEDED) return st;
    }
    return -1;
  };
  // ASC's documented status for a refused client certificate (docs/design/sspi-decisions.md).
  assert.equal(accept(clientRevoked) >>> 0, S.SEC_E_LOGON_DENIED >>> 0);
  assert.equal(accept(clientGood), S.SEC_E_OK);
  cred = serverCred(0);
  assert.equal(accept(clientRevoked), S.SEC_E_OK);
});
