/**
 * An LDAP client that upgrades its connection with StartTLS (RFC 4511 §4.14, RFC 4513 §3) using our TlsClient,
 * then binds with a DN and password inside TLS and asks "Who am I?" (RFC 4532).
 *
 *   node dist/examples/ldap-starttls-client.js --host 127.0.0.1 --port 389 --servername ldap.example.com --ca ca.pem \
 *     --bind-dn cn=admin,dc=example,dc=test --password SECRET [--cert client.pem --key client.key]
 *
 * Prints one JSON line: {"version","cipher","whoami"}. Exits 1 on any failure (StartTLS refused, certificate or name
 * check failed, bind refused).
 */
import { readFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { pathToFileURL } from 'node:url';
import { TlsClient, type ConnectionInfo, type TlsConnection } from '../src/index.js';
import { MessageReader, Op, ResultCode, START_TLS_OID, WHO_AM_I_OID, encodeMessage, integer, octets, readResult, text, type LdapMessage } from './ldap-protocol.js';

export interface LdapBindOptions {
  readonly host: string;
  readonly port: number;
  /** The name the server certificate must carry (and SNI). */
  readonly servername: string;
  readonly client: TlsClient;
  readonly bindDn: string;
  readonly password: string;
  /** Bound on the whole exchange (default 15 s). */
  readonly timeoutMs?: number;
  /** Skip StartTLS and bind in the clear (to show a server refusing it). */
  readonly plaintext?: boolean;
}

export interface LdapBindReport {
  readonly info: ConnectionInfo | undefined;
  /** The authorization identity the server reports after the bind ("dn:..."). */
  readonly whoami: string;
}

/** An LDAP operation the server answered with a result code other than success. */
export class LdapError extends Error {
  readonly resultCode: number;
  constructor(message: string, resultCode: number) {
    super(message);
    this.resultCode = resultCode;
  }
}

/** StartTLS, then simple bind and Who am I?, then unbind. */
export function startTlsBind(o: LdapBindOptions): Promise<LdapBindReport> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host: o.host, port: o.port });
    const reader = new MessageReader();
    let conn: TlsConnection | undefined;
    let info: ConnectionInfo | undefined;
    let nextId = 1;
    const waiting = new Map<number, (m: LdapMessage) => void>();
    let settled = false;
    const timer = setTimeout(() => finish(new Error(`ldap: no answer within ${o.timeoutMs ?? 15_000} ms`)), o.timeoutMs ?? 15_000);
    const finish = (err: Error | undefined, report?: LdapBindReport): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err !== undefined) {
        flush();
        socket.destroy();
        reject(err);
      } else resolve(report as LdapBindReport);
    };
    const flush = (): void => {
      const out = conn?.takeOutput();
      if (out !== undefined && out.length > 0 && !socket.destroyed) socket.write(out);
    };
    const request = (op: number, ...parts: Uint8Array[]): Promise<LdapMessage> => {
      const id = nextId++;
      const bytes = encodeMessage(id, op, ...parts);
      if (conn === undefined) socket.write(bytes);
      else {
        conn.write(bytes);
        flush();
      }
      return new Promise((res) => waiting.set(id, res));
    };
    const deliver = (m: LdapMessage): void => {
      const w = waiting.get(m.id);
      waiting.delete(m.id);
      w?.(m);
    };
    socket.on('data', (d: Buffer) => {
      const bytes = new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
      try {
        if (conn === undefined) for (const m of reader.push(bytes)) deliver(m);
        else {
          conn.receive(bytes);
          flush();
        }
      } catch (e) {
        finish(e instanceof Error ? e : new Error(String(e)));
      }
    });
    socket.on('error', (e) => finish(e));
    socket.on('close', () => finish(new Error('ldap: connection closed')));

    const run = async (): Promise<void> => {
      await new Promise<void>((res) => socket.once('connect', () => res()));
      if (o.plaintext !== true) {
        const r = readResult((await request(Op.ExtendedRequest, octets(START_TLS_OID, 0x80))).body);
        if (r.code !== ResultCode.success) throw new LdapError(`ldap: StartTLS refused (${r.code} ${r.diagnostic})`, r.code);
        // TLS from here on, on the same socket. Bytes already read past the response are the server's first TLS
        // bytes (none, for a server that waits for our ClientHello): they go to the connection before anything else.
        const c = o.client.connect(o.servername);
        conn = c;
        const tlsReader = new MessageReader();
        const up = new Promise<void>((res) => c.on('handshake', (i) => {
          info = i;
          res();
        }));
        c.on('data', (d) => {
          for (const m of tlsReader.push(d)) deliver(m);
        });
        const rest = reader.takeRest();
        if (rest.length > 0) c.receive(rest);
        flush();
        await up;
      }
      const bind = readResult((await request(Op.BindRequest, integer(3), octets(o.bindDn), octets(o.password, 0x80))).body);
      if (bind.code !== ResultCode.success) throw new LdapError(`ldap: bind refused (${bind.code} ${bind.diagnostic})`, bind.code);
      const who = readResult((await request(Op.ExtendedRequest, octets(WHO_AM_I_OID, 0x80))).body);
      if (who.code !== ResultCode.success) throw new LdapError(`ldap: whoami failed (${who.code} ${who.diagnostic})`, who.code);
      const value = who.extra.find((t) => t.tag === 0x8b);
      // Unbind, close_notify, then FIN.
      const unbind = encodeMessage(nextId++, Op.UnbindRequest);
      if (conn !== undefined) {
        conn.write(unbind);
        conn.close();
        flush();
      } else socket.write(unbind);
      socket.end();
      finish(undefined, { info, whoami: value !== undefined ? text(value) : '' });
    };
    run().catch((e: unknown) => finish(e instanceof Error ? e : new Error(String(e))));
  });
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const ca = arg('--ca');
  const cert = arg('--cert');
  const key = arg('--key');
  const host = arg('--host') ?? '127.0.0.1';
  const r = await startTlsBind({
    host,
    port: Number(arg('--port') ?? '389'),
    servername: arg('--servername') ?? host,
    client: new TlsClient({
      ...(ca !== undefined ? { ca: readFileSync(ca, 'utf8') } : {}),
      ...(cert !== undefined && key !== undefined ? { clientCertificate: { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') } } : {}),
    }),
    bindDn: arg('--bind-dn') ?? '',
    password: arg('--password') ?? '',
  });
  console.log(JSON.stringify({ version: r.info?.version, cipher: r.info?.cipherName, whoami: r.whoami }));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    console.error(`error ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}
