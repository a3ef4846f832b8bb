/**
 * A session carries no verdict: whatever the connection that made it found, a resumption is authorized only if the
 * session's server chain verifies under the resuming connection's own policy (src/handshake/verify.ts
 * `resumedServerChain`). Each case fails on a design that trusts a resumed session as its first handshake found
 * it, or that keeps verdicts in a store the second client does not share: the sessions here cross from one
 * TlsClient to another, and one was verified, but under other trust anchors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TlsClient, TlsServer, type TlsConnection } from '../../../src/index.js';
import type { TlsError } from '../../../src/errors.js';
import { getPki, type LeafFiles } from '../../helpers/pki.js';

const pki = await getPki();
const creds = (l: LeafFiles) => ({ cert: l.chainPem, key: l.keyPem });
type Session = NonNullable<Parameters<TlsClient['connect']>[1]>;

function drive(c: TlsConnection, s: TlsConnection): void {
  for (let i = 0; i < 50; i++) {
    const a = c.takeOutput();
    if (a.length > 0) s.receive(a);
    const b = s.takeOutput();
    if (b.length > 0) c.receive(b);
    if (a.length === 0 && b.length === 0) return;
  }
  throw new Error('drive: no quiescence');
}

/** A full handshake with `client`; the session it stored. */
function sessionFrom(client: TlsClient, server: TlsServer): Session {
  let session: Session | undefined;
  const c = client.connect('localhost');
  c.on('session', (t) => (session = t));
  drive(c, server.accept());
  assert.equal(c.info?.resumed, false);
  assert.ok(session !== undefined, 'the server sent a ticket');
  return session;
}

for (const version of ['TLSv1.3', 'TLSv1.2'] as const) {
  // The server's chain is under otherCa: unverifiable for a client that trusts only pki.ca.
  const server = new TlsServer({ certificates: [creds(pki.untrustedServer)] });

  test(`${version}: a session made with rejectUnauthorized: false cannot resume in a verifying client`, () => {
    const lax = new TlsClient({ ca: pki.ca.certPem, rejectUnauthorized: false, maxVersion: version });
    const session = sessionFrom(lax, server);
    const strict = new TlsClient({ ca: pki.ca.certPem, maxVersion: version });
    const c = strict.connect('localhost', session);
    const s = server.accept();
    assert.throws(() => drive(c, s), (e: TlsError) => e.kind === 'BadCertificate' && e.alert === 'unknown_ca', 'refused, not resumed');
    assert.equal(c.isHandshakeComplete, false);
  });

  test(`${version}: a session verified under other trust anchors cannot resume in a client that trusts only its own`, () => {
    const trustsOther = new TlsClient({ ca: pki.otherCa.certPem, maxVersion: version });
    const session = sessionFrom(trustsOther, server);
    const strict = new TlsClient({ ca: pki.ca.certPem, maxVersion: version });
    const c = strict.connect('localhost', session);
    assert.throws(() => drive(c, server.accept()), (e: TlsError) => e.kind === 'BadCertificate' && e.alert === 'unknown_ca');
  });

  test(`${version}: a lax client resumes an unverified session and reports it unauthorized; a verified one resumes authorized`, () => {
    const session = sessionFrom(new TlsClient({ ca: pki.ca.certPem, rejectUnauthorized: false, maxVersion: version }), server);
    const lax = new TlsClient({ ca: pki.ca.certPem, rejectUnauthorized: false, maxVersion: version });
    const c = lax.connect('localhost', session);
    drive(c, server.accept());
    assert.equal(c.info?.resumed, true);
    assert.equal(c.info?.authorized, false, 'resumption does not launder an unverified session');
    assert.match(c.info?.authorizationError ?? '', /unknown|issuer|anchor/i);
    // Verified under the same anchors the resuming client has: resumed and authorized.
    const other = new TlsClient({ ca: pki.otherCa.certPem, maxVersion: version });
    const c2 = other.connect('localhost', sessionFrom(new TlsClient({ ca: pki.otherCa.certPem, maxVersion: version }), server));
    drive(c2, server.accept());
    assert.equal(c2.info?.resumed, true);
    assert.equal(c2.info?.authorized, true);
  });
}
