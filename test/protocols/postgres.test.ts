/**
 * PostgreSQL with our TLS client: Debian's postgres (started here, ssl = on, our test PKI) and node-postgres (`pg`)
 * over examples/postgres-tls-stream.ts with pg's own TLS off. The server's own view (pg_stat_ssl) is what we assert
 * on, beside what our connection negotiated.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import { TlsClient, TlsError } from '../../src/index.js';
import { queryTlsStatus } from '../../examples/postgres-client.js';
import { PostgresTlsStream } from '../../examples/postgres-tls-stream.js';
import { getPki, type Pki } from '../helpers/pki.js';
import { annotate, projectRoot, runPeer } from '../helpers/peers.js';
import { CERT_USER, SCRAM_PASSWORD, SCRAM_USER, startPostgres } from './postgres-server.js';

function certClient(pki: Pki, extra: Partial<ConstructorParameters<typeof TlsClient>[0] & object> = {}): TlsClient {
  return new TlsClient({
    ca: pki.ca.certPem,
    clientCertificate: { cert: pki.client.certPem, key: pki.client.keyPem },
    ...extra,
  });
}

test('PostgreSQL: SSLRequest, our TLS, pg over it (client certificate, SCRAM-SHA-256-PLUS, pg_stat_ssl)', async (t) => {
  const pki = await getPki();
  const server = await startPostgres(pki);
  try {
    const serverCertSha256 = createHash('sha256').update(pki.server.p256.certDer).digest('hex');

    await t.test('client certificate (hostssl cert clientcert=verify-full), TLS 1.3: pg_stat_ssl agrees', async () => {
      const r = await queryTlsStatus({ host: '127.0.0.1', port: server.port, user: CERT_USER, client: certClient(pki), servername: 'localhost' });
      assert.equal(r.client.version, 'TLSv1.3');
      assert.equal(r.server['ssl'], true);
      assert.equal(r.server['version'], 'TLSv1.3');
      assert.equal(r.server['cipher'], r.client.cipher, 'TLS 1.3 suites have the same IANA and OpenSSL names');
      assert.match(String(r.server['client_dn']), /CN=test client/);
      assert.equal(r.client.tlsServerEndPoint, serverCertSha256, 'tls-server-end-point = SHA-256 of an ecdsa-with-SHA256 certificate');
    });

    await t.test('client certificate, TLS 1.2', async () => {
      const r = await queryTlsStatus({
        host: '127.0.0.1', port: server.port, user: CERT_USER, client: certClient(pki, { maxVersion: 'TLSv1.2' }), servername: 'localhost',
      });
      assert.equal(r.client.version, 'TLSv1.2');
      assert.equal(r.server['version'], 'TLSv1.2');
      assert.match(String(r.server['cipher']), /^ECDHE-ECDSA-(AES\d+-GCM-SHA\d+|CHACHA20-POLY1305)$/);
    });

    await t.test('password with SCRAM-SHA-256-PLUS: channel binding from our connection', async () => {
      let stream: PostgresTlsStream | undefined;
      let mechanism = '';
      const db = new pg.Client({
        host: '127.0.0.1', port: server.port, user: SCRAM_USER, password: SCRAM_PASSWORD, database: 'postgres', ssl: false,
        enableChannelBinding: true, connectionTimeoutMillis: 15_000, query_timeout: 15_000,
        stream: () => (stream = new PostgresTlsStream({ client: new TlsClient({ ca: pki.ca.certPem }), servername: 'localhost' })),
      });
      // pg's SASL state: the mechanism it chose from those the server offered.
      const conn = (db as unknown as { connection: { on(ev: string, f: (m: { mechanisms?: string[] }) => void): void } }).connection;
      conn.on('authenticationSASL', (m) => (mechanism = (m.mechanisms ?? []).join(',')));
      await db.connect();
      try {
        const r = await db.query('SELECT version, cipher FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
        assert.equal(r.rows[0].version, 'TLSv1.3');
        assert.match(mechanism, /SCRAM-SHA-256-PLUS/, 'the server offers -PLUS over TLS');
        const binding = stream?.connection?.channelBinding('tls-server-end-point');
        assert.ok(binding);
        assert.equal(Buffer.from(binding).toString('hex'), serverCertSha256);
      } finally {
        await db.end();
      }
    });

    await t.test('SCRAM-SHA-256-PLUS with a wrong binding fails on the server (the binding is checked)', async () => {
      class WrongBinding extends PostgresTlsStream {
        override getPeerCertificate(): { raw: Buffer } {
          return { raw: Buffer.from(pki.server.rsa2048.certDer) };
        }
      }
      const db = new pg.Client({
        host: '127.0.0.1', port: server.port, user: SCRAM_USER, password: SCRAM_PASSWORD, database: 'postgres', ssl: false,
        enableChannelBinding: true, connectionTimeoutMillis: 15_000, query_timeout: 15_000,
        stream: () => new WrongBinding({ client: new TlsClient({ ca: pki.ca.certPem }), servername: 'localhost' }),
      });
      db.on('error', () => undefined);
      await assert.rejects(db.connect(), /SCRAM channel binding check failed/);
      await db.end().catch(() => undefined);
    });

    await t.test('no client certificate: the server refuses the certificate user', async () => {
      await assert.rejects(
        queryTlsStatus({ host: '127.0.0.1', port: server.port, user: CERT_USER, client: new TlsClient({ ca: pki.ca.certPem }), servername: 'localhost' }),
        /connection requires a valid client certificate/,
      );
    });

    await t.test('wrong server name: our client refuses the server certificate', async () => {
      await assert.rejects(
        queryTlsStatus({ host: '127.0.0.1', port: server.port, user: CERT_USER, client: certClient(pki), servername: 'db.example.com' }),
        (e: unknown) => e instanceof TlsError && e.reason === 'BadCertificate.WrongName',
      );
    });

    await t.test('the README command: node dist/examples/postgres-client.js', async () => {
      const r = await runPeer(process.execPath, [
        join(projectRoot, 'dist', 'examples', 'postgres-client.js'),
        '--host', '127.0.0.1', '--port', String(server.port), '--user', CERT_USER, '--servername', 'localhost',
        '--ca', pki.ca.certPath, '--cert', pki.client.certPath, '--key', pki.client.keyPath,
      ], { name: 'postgres-client example', timeoutMs: 30_000 });
      assert.equal(r.code, 0, r.output);
      const report = JSON.parse(r.stdout) as { server: { version: string; cipher: string }; client: { cipher: string } };
      assert.equal(report.server.version, 'TLSv1.3');
      assert.equal(report.server.cipher, report.client.cipher);
    });
  } catch (e) {
    throw annotate(e, [server]);
  } finally {
    await server.shutdown();
  }
});
