#!/usr/bin/env node
/**
 * `sspi-tls`: serve, connect, demo, bench. One line and one exit code per class of failure, never a stack trace:
 * usage mistakes, unreadable files, a key that does not match its certificate and a busy port print
 * `sspi-tls: …` and exit 2; a TLS failure (`connect: tls: …`) exits 1; a network failure (`connect: network: …`:
 * refused, unknown host, TCP timeout) exits 3.
 */
import { readFileSync } from 'node:fs';
import { UsageError } from './args.js';
import { benchCommand } from './bench.js';
import { connectCommand } from './connect.js';
import { demo } from './demo.js';
import { pfxCommand } from './pfx.js';
import { serve } from './serve.js';

/** Each command's help (`sspi-tls COMMAND --help`). */
export const COMMAND_HELP: Readonly<Record<string, string>> = {
  serve: `usage: sspi-tls serve [--host 127.0.0.1] [--port 8443] [--cert FILE --key FILE | --pfx FILE | --save-cert FILE]
                 [--pass pass:TEXT|env:VAR|file:PATH] [--ca FILE] [--crl FILE]
                 [--client-auth none|optional|required] [--alpn h2,http/1.1] [--tls 1.2|1.3]
                 [--groups x25519mlkem768,x25519,p256,p384] [--mode echo|http] [--keylog FILE] [--trace] [--json]
                 [--handshake-timeout 120] [--idle-timeout 0]
                 [--workers N|auto] [--ticket-secret-file FILE [--ticket-period S]] [--session-store redis://HOST:PORT]
                 [--single-use-tickets] [--session-timeout S] [--dtls [--mtu BYTES]]
  A TLS server on our engine. --mode echo sends each connection's bytes back; --mode http answers every request
  with a small page, over HTTP/2 when the client offers h2, else HTTP/1.1 or 1.0. Without --cert/--key or --pfx it
  makes a throwaway self-signed certificate for localhost; --save-cert FILE writes it, for 'connect --ca FILE'.
  --pass unlocks a --pfx file or an encrypted --key; --crl checks client certificates against CRLs.
  --handshake-timeout SECONDS drops a connection whose handshake is not done by then (default 120, as node:tls);
  --idle-timeout SECONDS closes an established connection idle that long (default 0: never, as node:tls).
  --workers N|auto runs N processes sharing the port and the ticket keys (default auto: one per CPU; --workers 1
  keeps one process, so its log, --trace and --keylog come from one place, in order); --ticket-secret-file
  derives rotating ticket keys from a secret several servers share; --session-store redis://… shares TLS 1.2
  sessions and single-use tickets through Redis (docs/design/shared-sessions.md).
  --dtls serves DTLS over UDP instead (echo only; DTLS 1.3 and 1.2, --tls 1.2|1.3 pins one; --mtu sets the
  path MTU, default 1400).
  Runs until SIGINT/SIGTERM, then closes every connection with close_notify.`,
  connect: `usage: sspi-tls connect HOST:PORT [--servername NAME] [--ca FILE] [--crl FILE] [--insecure] [--alpn LIST]
                 [--cert FILE --key FILE | --pfx FILE] [--pass SPEC] [--tls 1.2|1.3] [--groups LIST] [--timeout 5s]
                 [--showcerts] [--keylog FILE] [--trace] [--json] [--dtls [--mtu BYTES]]
  Handshake with our client, print what was negotiated and the server's chain (--showcerts: as PEM too) on
  stderr, then copy stdin to the connection and the connection to stdout. --timeout bounds TCP and the
  handshake together (default 5s). Exit 0 after the server's close_notify; 1 TLS failure (handshake refused,
  certificate rejected); 2 usage or configuration; 3 network (refused, unknown host, TCP timeout).
  --dtls connects over UDP with DTLS 1.3, falling back to 1.2 against a DTLS 1.2 server (--tls 1.2|1.3 pins one;
  stdin's reads go out as datagrams; exit 0 after stdin ends).`,
  pfx: `usage: sspi-tls pfx --cert FILE --key FILE --out FILE --pass pass:TEXT|env:VAR|file:PATH [--name NAME] [--legacy] [--key-pass SPEC]
       sspi-tls pfx --info FILE [--pass SPEC] [--json]
  Make a PKCS#12/PFX file from a chain and key (AES-256 PBES2 with a SHA-256 MAC; --legacy: 3DES with SHA-1, for
  old Windows), or describe one (--info).`,
  demo: `usage: sspi-tls demo
  With a throwaway certificate on 127.0.0.1: an SSPI server loop (AcceptSecurityContext) and the idiomatic
  TlsServer, each serving Node's TLS client, then an HTTPS server fetched by our client and by Node's https.`,
  bench: `usage: sspi-tls bench [--quick] [--only=handshake,resumed,tls12,hybrid,sspi,bulk,memory] [--rounds=N] [--budget=MS] [--out=FILE]
  The benchmark of README.md (from a checkout of sspi-tls: the installed package does not ship it).`,
};

/** The help text. */
export const USAGE = `usage:
${Object.values(COMMAND_HELP)
  .map((h) => '  ' + (h.split('\n')[0] ?? '').replace(/^usage: /, ''))
  .join('\n')}
  sspi-tls COMMAND --help     that command's options
  sspi-tls --version
SSLKEYLOGFILE, when set, receives the NSS key log (as --keylog does).
Exit codes: 0 success; 1 TLS failure; 2 usage or configuration mistake; 3 network failure.`;

/** The package's version (package.json sits three levels above dist/src/cli in the checkout and the package). */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? '0.0.0';
}

/** Run the command line; resolves with the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== undefined && command in COMMAND_HELP && (rest.includes('--help') || rest.includes('-h'))) {
    process.stdout.write((COMMAND_HELP[command] ?? '') + '\n');
    return 0;
  }
  switch (command) {
    case 'serve':
      return serve(rest);
    case 'connect':
      return connectCommand(rest);
    case 'demo':
      return demo(rest);
    case 'pfx':
      return pfxCommand(rest);
    case 'bench':
      return benchCommand(rest);
    case 'help':
    case '--help':
    case '-h':
      if (rest[0] !== undefined && rest[0] in COMMAND_HELP) process.stdout.write((COMMAND_HELP[rest[0]] ?? '') + '\n');
      else process.stdout.write(USAGE + '\n');
      return 0;
    case '--version':
    case '-v':
      process.stdout.write(`sspi-tls ${version()}\n`);
      return 0;
    case undefined:
      throw new UsageError("missing command: serve, connect, pfx, demo or bench (try 'sspi-tls help')");
    default:
      throw new UsageError(`unknown command '${command}': serve, connect, pfx, demo or bench (try 'sspi-tls help')`);
  }
}

function exit(code: number): void {
  // Let stdout/stderr drain (pipes are asynchronous), then leave even if stdin or timers are still open.
  const done = (): void => process.exit(code);
  if (process.stdout.writableLength > 0) process.stdout.once('drain', done);
  else setImmediate(done);
}

main(process.argv.slice(2)).then(exit, (err: unknown) => {
  if (err instanceof UsageError) {
    process.stderr.write(`sspi-tls: ${err.message}\n`);
    exit(2);
    return;
  }
  const e = err as { message?: string };
  process.stderr.write(`sspi-tls: ${e.message ?? String(err)}\n`);
  if (process.env['SSPI_TLS_DEBUG'] !== undefined) process.stderr.write(`${(err as Error).stack ?? ''}\n`);
  exit(1);
});
