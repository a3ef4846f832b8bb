#!/usr/bin/env node
/**
 * `sspi-tls`: serve, connect, demo, bench. Usage mistakes, unreadable files, a key that does not match its certificate
 * and a busy port print one line and exit 2; a failed connection exits 1; never a stack trace.
 */
import { UsageError } from './args.js';
import { benchCommand } from './bench.js';
import { connectCommand } from './connect.js';
import { demo } from './demo.js';
import { pfxCommand } from './pfx.js';
import { serve } from './serve.js';

/** The help text. */
export const USAGE = `usage:
  sspi-tls serve [--host 127.0.0.1] [--port 8443] [--cert FILE --key FILE] [--ca FILE] [--crl FILE]
                 [--client-auth none|optional|required] [--alpn h2,http/1.1] [--tls 1.2|1.3]
                 [--groups x25519mlkem768,x25519,p256,p384] [--mode echo|http] [--keylog FILE] [--trace] [--json]
                 [--workers N|auto] [--ticket-secret-file FILE [--ticket-period S]] [--session-store redis://HOST:PORT]
                 [--single-use-tickets] [--session-timeout S]
  sspi-tls connect HOST:PORT [--servername NAME] [--ca FILE] [--crl FILE] [--insecure] [--alpn LIST]
                 [--cert FILE --key FILE] [--tls 1.2|1.3] [--groups LIST] [--keylog FILE] [--trace] [--json]
  sspi-tls pfx --cert FILE --key FILE --out FILE --pass pass:TEXT|env:VAR|file:PATH [--name NAME] [--legacy] [--key-pass SPEC]
  sspi-tls pfx --info FILE [--pass SPEC] [--json]
  (serve and connect also take --pfx FILE [--pass SPEC] instead of --cert/--key, and --pass for an encrypted --key)
  sspi-tls demo
  sspi-tls bench [--quick] [--only=handshake,resumed,tls12,hybrid,sspi,bulk,memory] [--rounds=N] [--budget=MS] [--out=FILE]
SSLKEYLOGFILE, when set, receives the NSS key log (as --keylog does).`;

/** Run the command line; resolves with the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
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
      process.stdout.write(USAGE + '\n');
      return 0;
    case undefined:
      throw new UsageError("missing command: serve, connect, demo or bench (try 'sspi-tls help')");
    default:
      throw new UsageError(`unknown command '${command}': serve, connect, demo or bench (try 'sspi-tls help')`);
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
