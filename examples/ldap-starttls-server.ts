/**
 * A small LDAP responder with StartTLS done by our TlsServer: it answers the StartTLS extended operation, then runs
 * TLS on the same TCP connection and serves, inside TLS only, an anonymous or simple bind and a search that returns
 * one entry. Any other operation before StartTLS gets confidentialityRequired (13). Enough for
 * `ldapsearch -ZZ` (ldap-utils) to talk to it.
 *
 *   node dist/examples/ldap-starttls-server.js --cert server.pem --key server.key [--port 3389] [--ca ca.pem --require-client-cert]
 *   LDAPTLS_CACERT=ca.pem ldapsearch -ZZ -x -H ldap://127.0.0.1:3389 -b dc=example,dc=test
 *
 * Prints `READY <port>` once listening, one `tls <version> <cipher> [client <subject>]` line per upgraded
 * connection, and stops on SIGINT/SIGTERM.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { pathToFileURL } from 'node:url';
import { X509Certificate } from 'node:crypto';
import { TlsServer, type ConnectionInfo, type TlsConnection } from '../src/index.js';
import {
  MessageReader,
  Op,
  ResultCode,
  START_TLS_OID,
  children,
  encodeMessage,
  octets,
  result,
  text,
  tlv,
  type LdapMessage,
} from './ldap-protocol.js';

/** The entry every search returns. */
export const ENTRY_DN = 'cn=sspi-tls,dc=example,dc=test';

export interface LdapServerOptions {
  readonly tls: TlsServer;
  /** Called once per connection when TLS is up. */
  readonly onTls?: (info: ConnectionInfo) => void;
}

/** Serve one TCP connection: plaintext LDAP until StartTLS, then LDAP inside our TLS. */
export function serveLdapConnection(socket: Socket, options: LdapServerOptions): void {
  const reader = new MessageReader();
  let conn: TlsConnection | undefined;
  let tlsReader: MessageReader | undefined;
  const flush = (): void => {
    const out = conn?.takeOutput();
    if (out !== undefined && out.length > 0 && !socket.destroyed) socket.write(out);
  };
  const send = (bytes: Uint8Array): void => {
    if (conn === undefined) socket.write(bytes);
    else {
      conn.write(bytes);
      flush();
    }
  };
  const fail = (e: unknown): void => {
    flush(); // an alert, if one is queued
    socket.destroy();
    if (process.env['LDAP_EXAMPLE_DEBUG'] !== undefined) console.error(`error ${e instanceof Error ? e.message : String(e)}`);
  };

  const answer = (m: LdapMessage): void => {
    switch (m.op) {
      case Op.ExtendedRequest: {
        const [name] = children(m.body);
        const oid = name !== undefined && name.tag === 0x80 ? text(name) : '';
        if (oid !== START_TLS_OID) {
          send(encodeMessage(m.id, Op.ExtendedResponse, ...result(ResultCode.protocolError, `unsupported extended operation ${oid}`)));
        } else if (conn !== undefined) {
          send(encodeMessage(m.id, Op.ExtendedResponse, ...result(ResultCode.protocolError, 'TLS already started'))); // RFC 4511 §4.14.1
        } else {
          // Success, then TLS from the next byte on: bytes already read after the request are the first TLS bytes.
          socket.write(encodeMessage(m.id, Op.ExtendedResponse, ...result(ResultCode.success, '', octets(START_TLS_OID, 0x8a))));
          startTls(reader.takeRest());
        }
        return;
      }
      case Op.UnbindRequest:
        conn?.close();
        flush();
        socket.end();
        return;
      case Op.BindRequest:
        if (conn === undefined) send(encodeMessage(m.id, Op.BindResponse, ...result(ResultCode.confidentialityRequired, 'StartTLS first')));
        else send(encodeMessage(m.id, Op.BindResponse, ...result(ResultCode.success)));
        return;
      case Op.SearchRequest:
        if (conn === undefined) {
          send(encodeMessage(m.id, Op.SearchResultDone, ...result(ResultCode.confidentialityRequired, 'StartTLS first')));
          return;
        }
        send(
          encodeMessage(
            m.id,
            Op.SearchResultEntry,
            octets(ENTRY_DN),
            tlv(0x30,
              tlv(0x30, octets('objectClass'), tlv(0x31, octets('top'), octets('device'))),
              tlv(0x30, octets('cn'), tlv(0x31, octets('sspi-tls'))),
              tlv(0x30, octets('description'), tlv(0x31, octets(`served over ${conn.info?.version ?? '?'} by sspi-tls`)))),
          ),
        );
        send(encodeMessage(m.id, Op.SearchResultDone, ...result(ResultCode.success)));
        return;
      default:
        send(encodeMessage(m.id, Op.ExtendedResponse, ...result(ResultCode.unwillingToPerform, 'not implemented')));
    }
  };

  const startTls = (already: Uint8Array): void => {
    const c = options.tls.accept();
    conn = c;
    tlsReader = new MessageReader();
    c.on('handshake', (info) => options.onTls?.(info));
    c.on('data', (d) => {
      for (const m of (tlsReader as MessageReader).push(d)) answer(m);
    });
    c.on('close', () => {
      c.close();
      flush();
      socket.end();
    });
    if (already.length > 0) {
      c.receive(already);
      flush();
    }
  };

  socket.on('data', (d: Buffer) => {
    const bytes = new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
    try {
      if (conn === undefined) {
        for (const m of reader.push(bytes)) {
          // RFC 4511 §4.14.1: nothing may follow StartTLS until its response; a pipelined message is an attack
          // (plaintext injected ahead of TLS), so the connection ends.
          if (conn !== undefined) throw new Error('ldap: message after StartTLS in the clear');
          answer(m);
        }
      } else {
        conn.receive(bytes);
        flush();
      }
    } catch (e) {
      fail(e);
    }
  });
  socket.on('error', () => socket.destroy());
}

/** Listen on 127.0.0.1:`port` (0: any free port). */
export function listenLdap(port: number, options: LdapServerOptions): Promise<Server> {
  const server = createServer((socket) => serveLdapConnection(socket, options));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const cert = arg('--cert');
  const key = arg('--key');
  if (cert === undefined || key === undefined) throw new Error('usage: ldap-starttls-server.js --cert FILE --key FILE [--port N] [--ca FILE --require-client-cert]');
  const ca = arg('--ca');
  const tls = new TlsServer({
    certificates: [{ cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') }],
    ...(ca !== undefined ? { ca: readFileSync(ca, 'utf8') } : {}),
    clientAuth: process.argv.includes('--require-client-cert') ? 'required' : 'none',
  });
  const server = await listenLdap(Number(arg('--port') ?? '3389'), {
    tls,
    onTls: (info) => {
      const leaf = info.peerCertificates[0];
      const client = leaf !== undefined ? ` client ${new X509Certificate(leaf).subject.replace(/\n/g, ',')}` : '';
      console.log(`tls ${info.version} ${info.cipherName}${client}`);
    },
  });
  const addr = server.address();
  console.log(`READY ${typeof addr === 'object' && addr !== null ? addr.port : 0}`);
  const stop = (): void => {
    server.close();
    process.exit(0); // ends the open connections too
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    console.error(`error ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}
