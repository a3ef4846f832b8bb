/**
 * A throwaway PostgreSQL server for the tests: initdb in a temp directory, `ssl = on` with the test PKI's
 * localhost certificate, and pg_hba.conf allowing only TLS:
 *
 *   local   all      postgres                  trust                      (setup over the Unix socket)
 *   hostssl all      "test client"  127.0.0.1/32  cert clientcert=verify-full  (CN = user name)
 *   hostssl all      scram_user     127.0.0.1/32  scram-sha-256            (SCRAM-SHA-256-PLUS offered over TLS)
 *   host    all      all            0.0.0.0/0     reject
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { Pki } from '../helpers/pki.js';
import { installFile, postgresProgram, runAs, serviceDir, serviceUser, startOnFreePort, writeServiceFile, type Daemon } from './daemons.js';

/** The role that authenticates by certificate: the test client certificate's CN. */
export const CERT_USER = 'test client';
export const SCRAM_USER = 'scram_user';
export const SCRAM_PASSWORD = 'correct horse battery staple';

export interface PostgresServer extends Daemon {
  /** The Unix-socket directory (for setup as `postgres`). */
  readonly socketDir: string;
}

export async function startPostgres(pki: Pki): Promise<PostgresServer> {
  const user = serviceUser('postgres');
  const dir = serviceDir('sspi-tls-pg-', user);
  const data = join(dir, 'data');
  try {
    await runAs(user, postgresProgram('initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C'], {
      name: 'initdb',
    });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const cert = installFile(pki.server.p256.certPath, join(data, 'server.crt'), user);
  const key = installFile(pki.server.p256.keyPath, join(data, 'server.key'), user, 0o600);
  const ca = installFile(pki.ca.certPath, join(data, 'root.crt'), user);
  writeServiceFile(
    join(data, 'pg_hba.conf'),
    [
      'local   all  postgres                     trust',
      `hostssl all  "${CERT_USER}"  127.0.0.1/32  cert clientcert=verify-full`,
      `hostssl all  ${SCRAM_USER}    127.0.0.1/32  scram-sha-256`,
      'host    all  all            0.0.0.0/0     reject',
      '',
    ].join('\n'),
    user,
    0o600,
  );
  const server = await startOnFreePort(
    dir,
    user,
    postgresProgram('postgres'),
    (port) => [
      '-D', data,
      '-c', `port=${port}`,
      '-c', 'listen_addresses=127.0.0.1',
      '-c', `unix_socket_directories=${dir}`,
      '-c', 'ssl=on',
      '-c', `ssl_cert_file=${cert}`,
      '-c', `ssl_key_file=${key}`,
      '-c', `ssl_ca_file=${ca}`,
      '-c', 'password_encryption=scram-sha-256',
      '-c', 'log_connections=on',
      '-c', 'fsync=off',
    ],
    {
      name: 'postgres',
      readyPattern: /database system is ready to accept connections/,
      bindFailure: /could not bind|could not create any TCP\/IP sockets/,
      timeoutMs: 60_000,
      stopSignal: 'SIGINT', // fast shutdown: SIGTERM would wait for clients to leave
    },
  );
  try {
    // Setup as the superuser over the Unix socket (no TLS there; the TCP rules above allow TLS only).
    const admin = new pg.Client({ host: dir, port: server.port, user: 'postgres', database: 'postgres', connectionTimeoutMillis: 15_000, query_timeout: 15_000 });
    await admin.connect();
    try {
      await admin.query(`CREATE ROLE "${CERT_USER}" LOGIN`);
      await admin.query(`CREATE ROLE ${SCRAM_USER} LOGIN PASSWORD '${SCRAM_PASSWORD}'`);
    } finally {
      await admin.end();
    }
  } catch (e) {
    await server.shutdown();
    throw e;
  }
  return { ...server, socketDir: dir };
}
