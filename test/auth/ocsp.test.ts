/** Issue 3, OCSP stapling: the server staples, the client exposes the response and checks it when configured. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TlsClient, TlsServer } from '../../src/index.js';
import { TestPki, caExt, serverExt, type PkiCert } from '../helpers/x509-pki.js';
import { exchangeCatching } from '../helpers/pair.js';

const run = exchangeCatching;

let fixture: { pki: TestPki; root: PkiCert; good: PkiCert; revoked: PkiCert; goodOcsp: Uint8Array; revokedOcsp: Uint8Array } | undefined;
function setup(): NonNullable<typeof fixture> {
  if (fixture !== undefined) return fixture;
  const pki = new TestPki();
  const root = pki.issue({ name: 'ocsp-root', subject: '/CN=OCSP Root', ext: caExt() });
  const good = pki.issue({ name: 'ocsp-good', subject: '/CN=localhost', issuer: root, ext: serverExt('DNS:localhost') });
  const revoked = pki.issue({ name: 'ocsp-revoked', subject: '/CN=localhost', issuer: root, ext: serverExt('DNS:localhost') });
  pki.revoke(revoked, root);
  fixture = { pki, root, good, revoked, goodOcsp: pki.ocspResponse(good, root), revokedOcsp: pki.ocspResponse(revoked, root) };
  return fixture;
}

function server(cert: PkiCert, ocspResponse?: Uint8Array): TlsServer {
  const f = setup();
  return new TlsServer({ certificates: [{ cert: cert.pem, key: f.pki.openssl(['pkey', '-in', cert.keyPath]), ...(ocspResponse !== undefined ? { ocspResponse } : {}) }] });
}

test('a stapled good response is checked and exposed in ConnectionInfo.ocspResponse', () => {
  const f = setup();
  const client = new TlsClient({ ca: f.root.pem, servername: 'localhost', ocspStapling: 'check' });
  const c = client.connect();
  const r = run(c, server(f.good, f.goodOcsp).accept());
  assert.equal(r.clientError, undefined, r.clientError?.message);
  assert.deepEqual(c.info?.ocspResponse, f.goodOcsp);
  assert.equal(c.info?.authorized, true);
});

test('a stapled "revoked" response fails the handshake with certificate_revoked', () => {
  const f = setup();
  const client = new TlsClient({ ca: f.root.pem, servername: 'localhost', ocspStapling: 'check' });
  const r = run(client.connect(), server(f.revoked, f.revokedOcsp).accept());
  assert.equal(r.clientError?.reason, 'BadCertificate.Revoked');
  assert.equal(r.clientError?.alert, 'certificate_revoked');
  assert.equal(r.serverError?.alert, 'certificate_revoked');
});

test('a response for another certificate is bad_certificate_status_response; "ignore" only exposes it', () => {
  const f = setup();
  const strict = new TlsClient({ ca: f.root.pem, servername: 'localhost', ocspStapling: 'check' });
  const r = run(strict.connect(), server(f.good, f.revokedOcsp).accept());
  assert.equal(r.clientError?.alert, 'bad_certificate_status_response');
  const lax = new TlsClient({ ca: f.root.pem, servername: 'localhost' });
  const c = lax.connect();
  assert.equal(run(c, server(f.good, f.revokedOcsp).accept()).clientError, undefined);
  assert.deepEqual(c.info?.ocspResponse, f.revokedOcsp);
});

test('"require" without a staple is bad_certificate_status_response', () => {
  const f = setup();
  const client = new TlsClient({ ca: f.root.pem, servername: 'localhost', ocspStapling: 'require' });
  const r = run(client.connect(), server(f.good).accept());
  assert.equal(r.clientError?.alert, 'bad_certificate_status_response');
});

test('rejectUnauthorized: false reports instead of failing (authorized/authorizationError)', () => {
  const f = setup();
  const other = new TestPki();
  try {
    const otherRoot = other.issue({ name: 'other-root', subject: '/CN=Other', ext: caExt() });
    const client = new TlsClient({ ca: otherRoot.pem, servername: 'localhost', rejectUnauthorized: false });
    const c = client.connect();
    assert.equal(run(c, server(f.good).accept()).clientError, undefined);
    assert.equal(c.info?.authorized, false);
    assert.match(c.info?.authorizationError ?? '', /UnknownIssuer|UntrustedRoot/);
  } finally {
    other.cleanup();
  }
});

test.after(() => fixture?.pki.cleanup());
