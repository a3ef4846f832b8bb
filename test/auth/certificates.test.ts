/**
 * Issue 3, test 1: each certificate defect gives its reason and its alert on the wire, with our client (server
 * certificates) and with our server (client certificates). Also the client-certificate policies.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TlsClient, TlsServer, TlsError } from '../../src/index.js';
import { getPki, type LeafFiles } from '../helpers/pki.js';
import { exchangeCatching } from '../helpers/pair.js';

const run = exchangeCatching;

function serverFor(leaf: LeafFiles, extra: Partial<ConstructorParameters<typeof TlsServer>[0]> = {}): TlsServer {
  return new TlsServer({ certificates: [{ cert: leaf.chainPem, key: leaf.keyPem }], ...extra });
}

const serverCases: [string, keyof Awaited<ReturnType<typeof getPki>>, string, string][] = [
  ['expired leaf', 'expired', 'BadCertificate.Expired', 'certificate_expired'],
  ['not-yet-valid leaf', 'notYetValid', 'BadCertificate.NotYetValid', 'certificate_expired'],
  ['unknown root', 'untrustedServer', 'BadCertificate.UntrustedRoot', 'unknown_ca'],
  ['wrong host', 'wrongHost', 'BadCertificate.WrongName', 'bad_certificate'],
  ['leaf without serverAuth EKU', 'wrongEku', 'BadCertificate.WrongUsage', 'unsupported_certificate'],
];

for (const [name, key, reason, alert] of serverCases) {
  test(`our client rejects a server certificate: ${name} → ${alert}, and the server receives that alert`, async () => {
    const pki = await getPki();
    const leaf = pki[key] as LeafFiles;
    const server = serverFor(leaf);
    const client = new TlsClient({ ca: pki.ca.certPem, servername: 'localhost' });
    const r = run(client.connect(), server.accept());
    assert.ok(r.clientError instanceof TlsError, 'client must fail');
    assert.equal(r.clientError.reason, reason);
    assert.equal(r.clientError.alert, alert);
    assert.equal(r.clientError.alertSent, true);
    assert.ok(r.serverError instanceof TlsError, 'server must see the alert');
    assert.equal(r.serverError.kind, 'AlertReceived');
    assert.equal(r.serverError.alert, alert);
  });
}

test('our client accepts a valid chain for each key type (RSA-2048, P-256, P-384, Ed25519)', async () => {
  const pki = await getPki();
  for (const leaf of [pki.server.rsa2048, pki.server.p256, pki.server.p384, pki.server.ed25519]) {
    const client = new TlsClient({ ca: pki.ca.certPem, servername: 'localhost' });
    const c = client.connect();
    const r = run(c, serverFor(leaf).accept());
    assert.equal(r.clientError, undefined, `${leaf.name}: ${r.clientError?.message}`);
    assert.equal(c.info?.peerCertificates.length, 2);
  }
});

test('client certificate required: accepted with a trusted one; chain and notAfter exposed', async () => {
  const pki = await getPki();
  const server = serverFor(pki.server.p256, { clientAuth: 'required', ca: pki.ca.certPem });
  const client = new TlsClient({ ca: pki.ca.certPem, servername: 'localhost', clientCertificate: { cert: pki.client.chainPem, key: pki.client.keyPem } });
  const s = server.accept();
  const r = run(client.connect(), s);
  assert.equal(r.serverError, undefined);
  assert.equal(r.clientError, undefined);
  assert.equal(s.info?.peerCertificates.length, 2);
  assert.deepEqual(s.info?.peerCertificates[0], pki.client.certDer);
});

test('client certificate required and absent → certificate_required on the wire', async () => {
  const pki = await getPki();
  const server = serverFor(pki.server.p256, { clientAuth: 'required', ca: pki.ca.certPem });
  const client = new TlsClient({ ca: pki.ca.certPem, servername: 'localhost' });
  const r = run(client.connect(), server.accept());
  assert.equal(r.serverError?.reason, 'PeerIncompatible.ClientCertificateRequired');
  assert.equal(r.serverError?.alert, 'certificate_required');
  assert.equal(r.clientError?.kind, 'AlertReceived');
  assert.equal(r.clientError?.alert, 'certificate_required');
});

test('client certificate from an unknown CA → unknown_ca on the wire', async () => {
  const pki = await getPki();
  const server = serverFor(pki.server.p256, { clientAuth: 'required', ca: pki.ca.certPem });
  const client = new TlsClient({
    ca: pki.ca.certPem,
    servername: 'localhost',
    clientCertificate: { cert: pki.untrustedClient.chainPem, key: pki.untrustedClient.keyPem },
  });
  const r = run(client.connect(), server.accept());
  assert.equal(r.serverError?.reason, 'BadCertificate.UntrustedRoot');
  assert.equal(r.clientError?.alert, 'unknown_ca');
});

test('client certificate optional: the handshake completes without one, and with one the chain is exposed', async () => {
  const pki = await getPki();
  const server = serverFor(pki.server.p256, { clientAuth: 'optional', ca: pki.ca.certPem });
  const s1 = server.accept();
  assert.equal(run(new TlsClient({ ca: pki.ca.certPem, servername: 'localhost' }).connect(), s1).serverError, undefined);
  assert.equal(s1.info?.peerCertificates.length, 0);
  const s2 = server.accept();
  const withCert = new TlsClient({ ca: pki.ca.certPem, servername: 'localhost', clientCertificate: { cert: pki.client.chainPem, key: pki.client.keyPem } });
  assert.equal(run(withCert.connect(), s2).serverError, undefined);
  assert.equal(s2.info?.peerCertificates.length, 2);
});

test('a server certificate used as a client certificate (no clientAuth EKU) → unsupported_certificate', async () => {
  const pki = await getPki();
  const server = serverFor(pki.server.p256, { clientAuth: 'required', ca: pki.ca.certPem });
  const client = new TlsClient({ ca: pki.ca.certPem, servername: 'localhost', clientCertificate: { cert: pki.server.p384.chainPem, key: pki.server.p384.keyPem } });
  const r = run(client.connect(), server.accept());
  assert.equal(r.serverError?.reason, 'BadCertificate.WrongUsage');
  assert.equal(r.clientError?.alert, 'unsupported_certificate');
});

test('post-handshake client authentication (RFC 8446 §4.6.2): the server asks after the handshake, the client answers', async () => {
  const pki = await getPki();
  const server = serverFor(pki.server.p256, { clientAuth: 'none', ca: pki.ca.certPem });
  const client = new TlsClient({ ca: pki.ca.certPem, servername: 'localhost', clientCertificate: { cert: pki.client.chainPem, key: pki.client.keyPem } });
  const s = server.accept();
  const c = client.connect();
  assert.equal(run(c, s).serverError, undefined);
  assert.equal(s.info?.peerCertificates.length, 0);
  let got: readonly Uint8Array[] | undefined;
  s.on('peerCertificate', (chain) => {
    got = chain;
  });
  s.requestClientCertificate();
  const r = run(c, s);
  assert.equal(r.serverError, undefined);
  assert.equal(r.clientError, undefined);
  assert.deepEqual(got?.[0], pki.client.certDer);
  assert.deepEqual(s.info?.peerCertificates[0], pki.client.certDer);
  // Data still flows both ways afterwards.
  let echoed = '';
  s.on('data', (d) => s.write(d));
  c.on('data', (d) => {
    echoed += new TextDecoder().decode(d);
  });
  c.write(new TextEncoder().encode('after auth'));
  run(c, s);
  assert.equal(echoed, 'after auth');
});

test('the server resumes a session: the resumed connection carries the original client identity', async () => {
  const pki = await getPki();
  const server = serverFor(pki.server.p256, { clientAuth: 'required', ca: pki.ca.certPem });
  const client = new TlsClient({ ca: pki.ca.certPem, servername: 'localhost', clientCertificate: { cert: pki.client.chainPem, key: pki.client.keyPem } });
  const c1 = client.connect();
  const s1 = server.accept();
  c1.write(new Uint8Array([1]));
  run(c1, s1);
  const c2 = client.connect();
  const s2 = server.accept();
  const r = run(c2, s2);
  assert.equal(r.serverError, undefined);
  assert.equal(s2.info?.resumed, true);
  assert.equal(c2.info?.resumed, true);
  assert.deepEqual(s2.info?.peerCertificates[0], pki.client.certDer);
  assert.deepEqual(c2.info?.peerCertificates[0], pki.server.p256.certDer);
});

test('after two ticket-key rotations a ticket is refused and a full handshake follows without error', async () => {
  const pki = await getPki();
  const server = serverFor(pki.server.p256);
  const client = new TlsClient({ ca: pki.ca.certPem, servername: 'localhost' });
  const c1 = client.connect();
  run(c1, server.accept());
  let ticket: Parameters<typeof client.connect>[1];
  const c0 = client.connect();
  c0.on('session', (t) => {
    ticket = t;
  });
  run(c0, server.accept());
  assert.ok(ticket !== undefined);
  server.rotateTicketKeys();
  const c2 = client.connect('localhost', ticket);
  run(c2, server.accept());
  assert.equal(c2.info?.resumed, true, 'one rotation: the previous key still opens the ticket');
  server.rotateTicketKeys();
  server.rotateTicketKeys();
  const c3 = client.connect('localhost', ticket);
  const r = run(c3, server.accept());
  assert.equal(r.clientError, undefined);
  assert.equal(c3.info?.resumed, false);
  assert.equal(c3.isHandshakeComplete, true);
});

test('single-use tickets: a ticket resumes once; replayed, it gets a full handshake', async () => {
  const pki = await getPki();
  const server = serverFor(pki.server.p256, { singleUseTickets: true });
  const client = new TlsClient({ ca: pki.ca.certPem, servername: 'localhost' });
  let ticket: Parameters<typeof client.connect>[1];
  const c0 = client.connect();
  c0.on('session', (t) => {
    ticket ??= t;
  });
  run(c0, server.accept());
  assert.ok(ticket !== undefined);
  const c1 = client.connect('localhost', ticket);
  run(c1, server.accept());
  assert.equal(c1.info?.resumed, true);
  const c2 = client.connect('localhost', ticket);
  const r = run(c2, server.accept());
  assert.equal(r.clientError, undefined);
  assert.equal(c2.info?.resumed, false);
});

test('two servers sharing ticketKeys accept each other\'s tickets; a server with other keys does not', async () => {
  const pki = await getPki();
  const keys = new Uint8Array(48).map((_, i) => i * 7);
  const a = serverFor(pki.server.p256, { ticketKeys: keys });
  const b = serverFor(pki.server.p256, { ticketKeys: keys });
  const other = serverFor(pki.server.p256);
  const client = new TlsClient({ ca: pki.ca.certPem, servername: 'localhost' });
  let ticket: Parameters<typeof client.connect>[1];
  const c0 = client.connect();
  c0.on('session', (t) => {
    ticket ??= t;
  });
  run(c0, a.accept());
  assert.ok(ticket !== undefined);
  const c1 = client.connect('localhost', ticket);
  run(c1, b.accept());
  assert.equal(c1.info?.resumed, true);
  const c2 = client.connect('localhost', ticket);
  assert.equal(run(c2, other.accept()).clientError, undefined);
  assert.equal(c2.info?.resumed, false);
});

test('requestCert with rejectUnauthorized: false accepts an untrusted client certificate and reports it', async () => {
  const pki = await getPki();
  const server = serverFor(pki.server.p256, { requestCert: true, rejectUnauthorized: false, ca: pki.ca.certPem });
  const client = new TlsClient({ ca: pki.ca.certPem, servername: 'localhost', clientCertificate: { cert: pki.untrustedClient.chainPem, key: pki.untrustedClient.keyPem } });
  const s = server.accept();
  const r = run(client.connect(), s);
  assert.equal(r.serverError, undefined);
  assert.equal(s.info?.authorized, false);
  assert.match(s.info?.authorizationError ?? '', /UntrustedRoot|UnknownIssuer/);
  assert.deepEqual(s.info?.peerCertificates[0], pki.untrustedClient.certDer);
});

for (const version of ['TLSv1.3', 'TLSv1.2'] as const) {
  test(`${version}: deferred client certificate — the client waits for one, then answers with the certificate supplied`, async () => {
    const pki = await getPki();
    const server = serverFor(pki.server.p256, { clientAuth: 'required', ca: pki.ca.certPem, minVersion: version, maxVersion: version });
    const client = new TlsClient({ ca: pki.ca.certPem, servername: 'localhost', deferClientCertificate: true, minVersion: version, maxVersion: version });
    const c = client.connect();
    const s = server.accept();
    let asked: { cas: number; wait: boolean } | undefined;
    c.on('certificateRequest', (cas, wait) => {
      asked = { cas: cas.length, wait };
    });
    s.receive(c.takeOutput());
    c.receive(s.takeOutput());
    assert.deepEqual(asked, { cas: 1, wait: true });
    assert.equal(c.engine.awaitingClientCertificate, true);
    assert.equal(c.isHandshakeComplete, false);
    s.receive(c.takeOutput()); // at most a middlebox-compatibility CCS so far
    assert.equal(s.isHandshakeComplete, false);
    c.supplyClientCertificate({ cert: pki.client.chainPem, key: pki.client.keyPem });
    // TLS 1.3: our Finished completes the client's handshake; TLS 1.2: the server's Finished is still to come.
    assert.equal(c.isHandshakeComplete, version === 'TLSv1.3');
    assert.equal(run(c, s).serverError, undefined);
    assert.equal(c.isHandshakeComplete, true);
    assert.deepEqual(s.info?.peerCertificates[0], pki.client.certDer);
  });

  test(`${version}: deferred client certificate — supplying none gets the server's refusal`, async () => {
    const pki = await getPki();
    const server = serverFor(pki.server.p256, { clientAuth: 'required', ca: pki.ca.certPem, minVersion: version, maxVersion: version });
    const client = new TlsClient({ ca: pki.ca.certPem, servername: 'localhost', deferClientCertificate: true, minVersion: version, maxVersion: version });
    const c = client.connect();
    const s = server.accept();
    s.receive(c.takeOutput());
    c.receive(s.takeOutput());
    assert.equal(c.engine.awaitingClientCertificate, true);
    c.supplyClientCertificate(null);
    const r = run(c, s);
    assert.equal(r.serverError?.alert, version === 'TLSv1.3' ? 'certificate_required' : 'handshake_failure');
  });
}
