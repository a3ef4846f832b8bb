/**
 * A PostgreSQL client whose TLS is ours: `pg` (node-postgres) speaks the protocol over PostgresTlsStream
 * (SSLRequest, then our TlsClient), authenticates by client certificate or by password with SCRAM-SHA-256-PLUS
 * channel binding, and prints what the server itself reports about the connection (pg_stat_ssl) beside what our
 * side negotiated.
 *
 *   node dist/examples/postgres-client.js --host 127.0.0.1 --port 5432 --user alice --ca ca.pem \
 *     [--cert client.pem --key client.key] [--password SECRET] [--database postgres] [--servername localhost] [--tls12]
 *
 * Prints one JSON line: {"server":{pg_stat_ssl row},"client":{version,cipher,tlsServerEndPoint}}. Exits 1 on error.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { TlsClient } from '../src/index.js';
import { postgresTlsStream, type PostgresTlsStream } from './postgres-tls-stream.js';

/** What one run of the example reports. */
export interface PostgresReport {
  /** The server's view: SELECT ssl, version, cipher, bits, client_dn FROM pg_stat_ssl for this backend. */
  readonly server: Readonly<Record<string, unknown>>;
  /** Our side: the negotiated version and suite, and the tls-server-end-point channel binding (hex). */
  readonly client: { readonly version: string; readonly cipher: string; readonly tlsServerEndPoint: string };
}

export interface PostgresClientOptions {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly database?: string;
  /** Password (SCRAM-SHA-256-PLUS when the server offers it over TLS). */
  readonly password?: string;
  readonly client: TlsClient;
  readonly servername?: string;
}

/** Connect with pg over our TLS, read pg_stat_ssl for this session, disconnect. */
export async function queryTlsStatus(o: PostgresClientOptions): Promise<PostgresReport> {
  let stream: PostgresTlsStream | undefined;
  const make = postgresTlsStream({ client: o.client, ...(o.servername !== undefined ? { servername: o.servername } : {}) });
  const db = new pg.Client({
    host: o.host,
    port: o.port,
    user: o.user,
    database: o.database ?? 'postgres',
    ...(o.password !== undefined ? { password: o.password } : {}),
    ssl: false, // pg's own TLS off: the stream is already TLS
    enableChannelBinding: true,
    connectionTimeoutMillis: 15_000,
    query_timeout: 15_000,
    stream: () => (stream = make()),
  });
  await db.connect();
  try {
    const r = await db.query('SELECT ssl, version, cipher, bits, client_dn FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
    const conn = stream?.connection;
    const info = stream?.info;
    if (conn === undefined || info === undefined) throw new Error('postgres: no TLS connection');
    return {
      server: r.rows[0] as Record<string, unknown>,
      client: {
        version: info.version,
        cipher: info.cipherName,
        tlsServerEndPoint: Buffer.from(conn.channelBinding('tls-server-end-point')).toString('hex'),
      },
    };
  } finally {
    await db.end();
  }
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const certFile = arg('--cert');
  const keyFile = arg('--key');
  const caFile = arg('--ca');
  const client = new TlsClient({
    ...(caFile !== undefined ? { ca: readFileSync(caFile, 'utf8') } : {}),
    ...(certFile !== undefined && keyFile !== undefined
      ? { clientCertificate: { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') } }
      : {}),
    ...(process.argv.includes('--tls12') ? { maxVersion: 'TLSv1.2' as const } : {}),
  });
  const password = arg('--password');
  const database = arg('--database');
  const servername = arg('--servername');
  const report = await queryTlsStatus({
    host: arg('--host') ?? '127.0.0.1',
    port: Number(arg('--port') ?? '5432'),
    user: arg('--user') ?? 'postgres',
    client,
    ...(password !== undefined ? { password } : {}),
    ...(database !== undefined ? { database } : {}),
    ...(servername !== undefined ? { servername } : {}),
  });
  console.log(JSON.stringify(report));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    console.error(`error ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}
