/**
 * `authorized` / `authorizationError` and the error codes mean what they mean in node:tls, on both sides. Each
 * scenario runs twice over TCP: once with node:tls itself and once with our adapter in its place, and the two
 * outcomes must be equal (node:tls is the oracle, so these assertions fail if either drifts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nodeTls from 'node:tls';
import type { AddressInfo, Server as NetServer } from 'node:net';
import { connect, createServer, type TlsDuplex } from '../../src/node/index.js';
import { makeSelfSigned } from '../../src/cli/selfsigned.js';
import { getPki } from '../helpers/pki.js';
import { TlsClient, TlsServer } from '../../src/index.js';
import type { TlsError } from '../../src/errors.js';

/** What one side of a connection reports. */
interface Outcome {
  readonly authorized: boolean | undefined;
  readonly authorizationError: string | null | undefined;
  readonly errorCode?: string | undefined;
  readonly servername?: string | false | undefined;
}

type Impl = 'node' | 'ours';
type Socketish = nodeTls.TLSSocket | TlsDuplex;

const WAIT_MS = 10_000;

function listen(server: NetServer): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function close(server: NetServer): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

function codeOf(err: unknown): string | undefined {
  const c = (err as { code?: unknown }).code;
  return typeof c === 'string' ? c : undefined;
}

/** The client's outcome against a node:tls server with `serverOpts`, the client being node:tls or ours. */
async function clientOutcome(impl: Impl, serverOpts: nodeTls.TlsOptions, clientOpts: Record<string, unknown>): Promise<Outcome> {
  const seen: { servername?: string | false } = {};
  const server = nodeTls.createServer(serverOpts, (s) => {
    s.on('error', () => undefined);
    seen.servername = (s as unknown as { servername?: string | false }).servername ?? false;
    s.end('ok');
  });
  server.on('tlsClientError', () => undefined);
  const port = await listen(server);
  try {
    return await new Promise<Outcome>((resolve, reject) => {
      const opts = { host: '127.0.0.1', port, ...clientOpts };
      const sock: Socketish = impl === 'node' ? nodeTls.connect(opts as nodeTls.ConnectionOptions) : connect(opts);
      const timer = setTimeout(() => reject(new Error(`${impl}: no outcome in ${WAIT_MS} ms`)), WAIT_MS);
      sock.once('secureConnect', () => {
        clearTimeout(timer);
        const out = { authorized: sock.authorized, authorizationError: (sock.authorizationError as string | null | undefined) ?? null };
        // The server's view of SNI arrives with its first byte of data.
        sock.once('data', () => {
          resolve({ ...out, servername: seen.servername });
          sock.destroy();
        });
      });
      sock.once('error', (err: Error) => {
        clearTimeout(timer);
        resolve({ authorized: undefined, authorizationError: undefined, errorCode: codeOf(err) });
      });
    });
  } finally {
    await close(server);
  }
}

/** The server's outcome (node:tls server or ours) for a node:tls client with `clientOpts`. */
async function serverOutcome(impl: Impl, serverOpts: Record<string, unknown>, clientOpts: nodeTls.ConnectionOptions): Promise<Outcome> {
  let resolveOutcome: (o: Outcome) => void = () => undefined;
  const got = new Promise<Outcome>((r) => (resolveOutcome = r));
  const onSecure = (s: Socketish): void => {
    s.on('error', () => undefined); // the client may reset first
    resolveOutcome({ authorized: s.authorized, authorizationError: (s.authorizationError as string | null | undefined) ?? null });
    s.end();
  };
  const server: NetServer = impl === 'node' ? nodeTls.createServer(serverOpts as nodeTls.TlsOptions, onSecure) : createServer(serverOpts, onSecure);
  server.on('tlsClientError', (err: Error) => resolveOutcome({ authorized: undefined, authorizationError: undefined, errorCode: codeOf(err) }));
  const port = await listen(server);
  const sock = nodeTls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...clientOpts });
  sock.on('error', () => undefined);
  sock.on('data', () => undefined);
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      got,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${impl} server: no outcome`)), WAIT_MS))),
    ]);
  } finally {
    clearTimeout(timer);
    sock.destroy();
    await close(server);
  }
}

async function sameAsNodeClient(serverOpts: nodeTls.TlsOptions, clientOpts: Record<string, unknown>, expected: Outcome): Promise<void> {
  const node = await clientOutcome('node', serverOpts, clientOpts);
  assert.deepEqual(node, expected, 'node:tls itself (the oracle) changed; update the expectation');
  const ours = await clientOutcome('ours', serverOpts, clientOpts);
  assert.deepEqual(ours, node);
}

async function sameAsNodeServer(serverOpts: Record<string, unknown>, clientOpts: nodeTls.ConnectionOptions, expected: Outcome): Promise<void> {
  const node = await serverOutcome('node', serverOpts, clientOpts);
  assert.deepEqual(node, expected, 'node:tls itself (the oracle) changed; update the expectation');
  const ours = await serverOutcome('ours', serverOpts, clientOpts);
  assert.deepEqual(ours, node);
}

// ---- server side: requestCert ---------------------------------------------------------------------------------

test('server, requestCert + rejectUnauthorized false: a self-signed client certificate is not authorized (DEPTH_ZERO_SELF_SIGNED_CERT)', async () => {
  const pki = await getPki();
  const self = await makeSelfSigned({ commonName: 'client' });
  await sameAsNodeServer(
    { key: pki.server.p256.keyPem, cert: pki.server.p256.certPem, ca: pki.ca.certPem, requestCert: true, rejectUnauthorized: false },
    { key: self.keyPem, cert: self.certPem },
    { authorized: false, authorizationError: 'DEPTH_ZERO_SELF_SIGNED_CERT' },
  );
});

test('server, requestCert + rejectUnauthorized false: a client certificate of an unknown CA is UNABLE_TO_VERIFY_LEAF_SIGNATURE', async () => {
  const pki = await getPki();
  await sameAsNodeServer(
    { key: pki.server.p256.keyPem, cert: pki.server.p256.certPem, ca: pki.ca.certPem, requestCert: true, rejectUnauthorized: false },
    { key: pki.untrustedClient.keyPem, cert: pki.untrustedClient.certPem },
    { authorized: false, authorizationError: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' },
  );
});

test('server, requestCert + rejectUnauthorized false: a valid client certificate is authorized', async () => {
  const pki = await getPki();
  await sameAsNodeServer(
    { key: pki.server.p256.keyPem, cert: pki.server.p256.certPem, ca: pki.ca.certPem, requestCert: true, rejectUnauthorized: false },
    { key: pki.client.keyPem, cert: pki.client.certPem },
    { authorized: true, authorizationError: null },
  );
});

test('server, requestCert + rejectUnauthorized false: no client certificate is UNABLE_TO_GET_ISSUER_CERT', async () => {
  const pki = await getPki();
  await sameAsNodeServer(
    { key: pki.server.p256.keyPem, cert: pki.server.p256.certPem, ca: pki.ca.certPem, requestCert: true, rejectUnauthorized: false },
    {},
    { authorized: false, authorizationError: 'UNABLE_TO_GET_ISSUER_CERT' },
  );
});

test('server without requestCert: authorized false, authorizationError null', async () => {
  const pki = await getPki();
  await sameAsNodeServer({ key: pki.server.p256.keyPem, cert: pki.server.p256.certPem }, {}, { authorized: false, authorizationError: null });
});

// ---- client side ------------------------------------------------------------------------------------------------

test('client, rejectUnauthorized false: a valid chain for the host is authorized', async () => {
  const pki = await getPki();
  await sameAsNodeClient(
    { key: pki.server.p256.keyPem, cert: pki.server.p256.certPem },
    { ca: pki.ca.certPem, servername: 'localhost', rejectUnauthorized: false },
    { authorized: true, authorizationError: null, servername: 'localhost' },
  );
});

test('client, rejectUnauthorized false: self-signed, wrong host, unknown CA and expired get their node:tls codes', async () => {
  const pki = await getPki();
  const self = await makeSelfSigned();
  const cases: [nodeTls.TlsOptions, Record<string, unknown>, string][] = [
    [{ key: self.keyPem, cert: self.certPem }, {}, 'DEPTH_ZERO_SELF_SIGNED_CERT'],
    [{ key: pki.wrongHost.keyPem, cert: pki.wrongHost.certPem }, { ca: pki.ca.certPem }, 'ERR_TLS_CERT_ALTNAME_INVALID'],
    [{ key: pki.untrustedServer.keyPem, cert: pki.untrustedServer.certPem }, { ca: pki.ca.certPem }, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
    [{ key: pki.expired.keyPem, cert: pki.expired.certPem }, { ca: pki.ca.certPem }, 'CERT_HAS_EXPIRED'],
  ];
  for (const [srv, cli, code] of cases) {
    await sameAsNodeClient(srv, { servername: 'localhost', rejectUnauthorized: false, ...cli }, { authorized: false, authorizationError: code, servername: 'localhost' });
  }
});

test('client, rejectUnauthorized true (default): the handshake fails with the same err.code as node:tls', async () => {
  const pki = await getPki();
  const self = await makeSelfSigned();
  const cases: [nodeTls.TlsOptions, Record<string, unknown>, string][] = [
    [{ key: self.keyPem, cert: self.certPem }, {}, 'DEPTH_ZERO_SELF_SIGNED_CERT'],
    [{ key: pki.wrongHost.keyPem, cert: pki.wrongHost.certPem }, { ca: pki.ca.certPem }, 'ERR_TLS_CERT_ALTNAME_INVALID'],
    [{ key: pki.untrustedServer.keyPem, cert: pki.untrustedServer.certPem }, { ca: pki.ca.certPem }, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
    [{ key: pki.expired.keyPem, cert: pki.expired.certPem }, { ca: pki.ca.certPem }, 'CERT_HAS_EXPIRED'],
  ];
  for (const [srv, cli, code] of cases) {
    await sameAsNodeClient(srv, { servername: 'localhost', ...cli }, { authorized: undefined, authorizationError: undefined, errorCode: code });
  }
});

test("servername '' sends no SNI and still checks the certificate against host", async () => {
  const pki = await getPki();
  // A name the certificate holds, as host (node:tls connects to it; 'localhost' resolves to the loopback).
  await sameAsNodeClient(
    { key: pki.server.p256.keyPem, cert: pki.server.p256.certPem },
    { host: 'localhost', servername: '', ca: pki.ca.certPem },
    { authorized: true, authorizationError: null, servername: false },
  );
  await sameAsNodeClient(
    { key: pki.wrongHost.keyPem, cert: pki.wrongHost.certPem },
    { host: 'localhost', servername: '', ca: pki.ca.certPem },
    { authorized: undefined, authorizationError: undefined, errorCode: 'ERR_TLS_CERT_ALTNAME_INVALID' },
  );
});

test('checkServerIdentity: its error refuses the connection; its undefined accepts a name mismatch', async () => {
  const pki = await getPki();
  const refuse = (): Error => Object.assign(new Error('pinned key differs'), { code: 'PIN_MISMATCH' });
  await sameAsNodeClient(
    { key: pki.server.p256.keyPem, cert: pki.server.p256.certPem },
    { servername: 'localhost', ca: pki.ca.certPem, checkServerIdentity: refuse },
    { authorized: undefined, authorizationError: undefined, errorCode: 'PIN_MISMATCH' },
  );
  await sameAsNodeClient(
    { key: pki.wrongHost.keyPem, cert: pki.wrongHost.certPem },
    { servername: 'localhost', ca: pki.ca.certPem, checkServerIdentity: () => undefined },
    { authorized: true, authorizationError: null, servername: 'localhost' },
  );
  // It sees node:tls's certificate object (subject, subjectaltname, raw).
  let seen: { host: string; cn: unknown; raw: boolean } | undefined;
  await clientOutcome('ours', { key: pki.server.p256.keyPem, cert: pki.server.p256.certPem }, {
    servername: 'localhost',
    ca: pki.ca.certPem,
    checkServerIdentity: (host: string, cert: { subject: Record<string, string>; raw: Buffer }) => {
      seen = { host, cn: cert.subject['CN'], raw: Buffer.isBuffer(cert.raw) };
      return undefined;
    },
  });
  assert.deepEqual(seen, { host: 'localhost', cn: 'localhost', raw: true });
});

// ---- the idiomatic API: no server name fails closed ------------------------------------------------------------

test('TlsClient.connect() without a server name refuses to start, unless checkServerName: false says any name goes', async () => {
  const pki = await getPki();
  const client = new TlsClient({ ca: pki.ca.certPem });
  assert.throws(() => client.connect(), (e: TlsError) => e.kind === 'InvalidConfig' && /no server name/.test(e.message));
  assert.throws(() => client.connect(''), (e: TlsError) => e.kind === 'InvalidConfig', "'' is no name");
  // With a name it checks it: a certificate for wrong.test is refused for localhost.
  const server = new TlsServer({ certificates: [{ cert: pki.wrongHost.certPem, key: pki.wrongHost.keyPem }] });
  const named = client.connect('localhost');
  const s = server.accept();
  s.receive(named.takeOutput());
  assert.throws(() => named.receive(s.takeOutput()), (e: TlsError) => e.reason === 'BadCertificate.WrongName');
  // The explicit opt-out: the chain is still verified, the name is not.
  const anyName = new TlsClient({ ca: pki.ca.certPem, checkServerName: false });
  const c = anyName.connect();
  const s2 = server.accept();
  s2.receive(c.takeOutput());
  c.receive(s2.takeOutput());
  s2.receive(c.takeOutput());
  assert.equal(c.isHandshakeComplete, true);
  assert.equal(c.info?.authorized, true);
});

// ---- resumption keeps the full handshake's verdict ---------------------------------------------------------------

test('a resumed session reports what its full handshake found; an unverified one is refused under rejectUnauthorized', async () => {
  const self = await makeSelfSigned();
  const server = nodeTls.createServer({ key: self.keyPem, cert: self.certPem }, (s) => {
    s.on('error', () => undefined);
    s.end('x');
  });
  server.on('tlsClientError', () => undefined);
  const port = await listen(server);
  const run = (opts: Record<string, unknown>): Promise<{ sock: TlsDuplex; session: Buffer | undefined; error?: Error & { code?: string } }> =>
    new Promise((resolve) => {
      const sock = connect({ host: '127.0.0.1', port, servername: 'localhost', ...opts });
      let session: Buffer | undefined;
      sock.on('session', (s: Buffer) => (session = s));
      sock.on('error', (error: Error & { code?: string }) => resolve({ sock, session, error }));
      sock.on('data', () => undefined);
      sock.on('close', () => resolve({ sock, session }));
    });
  try {
    // Unverified (self-signed, no ca), allowed by rejectUnauthorized: false.
    const first = await run({ rejectUnauthorized: false });
    assert.equal(first.sock.authorized, false);
    assert.equal(first.sock.authorizationError, 'DEPTH_ZERO_SELF_SIGNED_CERT');
    assert.ok(first.session !== undefined, 'the server sent a ticket');
    const again = await run({ rejectUnauthorized: false, session: first.session });
    assert.equal(again.sock.isSessionReused(), true);
    assert.equal(again.sock.authorized, false, 'resumption does not launder an unverified session');
    assert.equal(again.sock.authorizationError, 'DEPTH_ZERO_SELF_SIGNED_CERT');
    // The same session offered by a client that requires verification: refused, as node:tls does.
    const strict = await run({ session: first.session });
    assert.equal(strict.error?.code, 'DEPTH_ZERO_SELF_SIGNED_CERT', String(strict.error));
    // A verified full handshake, then its resumption: authorized both times.
    const ok1 = await run({ ca: self.certPem });
    assert.equal(ok1.sock.authorized, true);
    const ok2 = await run({ ca: self.certPem, session: ok1.session });
    assert.equal(ok2.sock.isSessionReused(), true);
    assert.equal(ok2.sock.authorized, true);
    // That verified session, offered by a client with other trust anchors: its chain does not verify for this
    // client, so it is refused (a verdict remembered with the session would have let it through).
    const pki = await getPki();
    const otherAnchors = await run({ ca: pki.ca.certPem, session: ok1.session });
    assert.equal(otherAnchors.error?.code, 'DEPTH_ZERO_SELF_SIGNED_CERT', String(otherAnchors.error));
    assert.notEqual(otherAnchors.sock.authorized, true);
  } finally {
    await close(server);
  }
});
