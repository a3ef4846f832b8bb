/**
 * `sspi-tls connect HOST:PORT`: handshake with our client, print the negotiated parameters and the peer's chain
 * (on stderr, so that stdout carries only the connection's bytes), then pipe stdin to the connection and the
 * connection to stdout. End of stdin half-closes (close_notify); the peer's close_notify ends the program (exit 0).
 */
import type { TraceEvent } from '../api/types.js';
import { connect as tlsConnect } from '../node/connect.js';
import type { NodeClientOptions } from '../node/options.js';
import type { TlsDuplex } from '../node/duplex.js';
import { alpnList, ecdhCurveOf, flag, groupList, hostPort, parseArgs, str, tlsVersion, UsageError, type OptionSpec } from './args.js';
import { readCertificates, readCredentials, readCrls } from './creds.js';
import { cliCredentials } from './pfx.js';
import { kv, printChain, Printer, summary } from './output.js';
import { keyLogWriter } from './serve.js';

/** connect's options. */
export const CONNECT_SPEC: Readonly<Record<string, OptionSpec>> = {
  servername: { type: 'string' },
  ca: { type: 'string' },
  crl: { type: 'string' },
  insecure: { type: 'boolean' },
  alpn: { type: 'string' },
  groups: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  pfx: { type: 'string' },
  pass: { type: 'string' },
  tls: { type: 'string', choices: ['1.2', '1.3'] },
  keylog: { type: 'string' },
  trace: { type: 'boolean' },
  json: { type: 'boolean' },
};

/** Run `connect`; resolves with the exit code. */
export async function connectCommand(argv: readonly string[]): Promise<number> {
  const a = parseArgs('connect', argv, CONNECT_SPEC, 1);
  const target = a.positionals[0];
  if (target === undefined) throw new UsageError('connect: expected HOST:PORT');
  const { host, port } = hostPort('connect', target);
  const certFile = str(a, 'cert');
  const keyFile = str(a, 'key');
  if ((certFile === undefined) !== (keyFile === undefined)) throw new UsageError('connect: --cert and --key go together');
  const p = new Printer(process.stderr, flag(a, 'json'));
  const options: { -readonly [K in keyof NodeClientOptions]: NodeClientOptions[K] } = { host, port };
  const servername = str(a, 'servername');
  if (servername !== undefined) options.servername = servername;
  const caFile = str(a, 'ca');
  if (caFile !== undefined) options.ca = readCertificates('--ca', caFile);
  const crlFile = str(a, 'crl');
  if (crlFile !== undefined) options.crl = readCrls('--crl', crlFile);
  if (flag(a, 'insecure')) options.rejectUnauthorized = false;
  const alpn = str(a, 'alpn');
  if (alpn !== undefined) options.ALPNProtocols = alpnList('connect', alpn);
  const groups = str(a, 'groups');
  if (groups !== undefined) options.ecdhCurve = ecdhCurveOf(groupList('connect', groups));
  const fromPfxOrPass = cliCredentials('connect', a);
  if (fromPfxOrPass !== undefined) {
    options.cert = fromPfxOrPass.cert;
    options.key = fromPfxOrPass.key;
  } else if (certFile !== undefined && keyFile !== undefined) {
    const c = readCredentials(certFile, keyFile);
    options.cert = c.cert;
    options.key = c.key;
  }
  const version = str(a, 'tls');
  if (version !== undefined) {
    options.minVersion = tlsVersion(version);
    options.maxVersion = tlsVersion(version);
  }
  if (flag(a, 'trace')) options.trace = (e: TraceEvent): void => p.trace(e, 'client');
  const keylogFile = str(a, 'keylog') ?? process.env['SSLKEYLOGFILE'];
  const writeKeyLog = keylogFile !== undefined && keylogFile !== '' ? keyLogWriter(keylogFile) : undefined;

  let socket: TlsDuplex;
  try {
    socket = tlsConnect(options);
  } catch (err) {
    throw new UsageError(`connect: ${(err as Error).message}`);
  }
  if (writeKeyLog !== undefined) socket.on('keylog', writeKeyLog);
  return await new Promise<number>((resolve) => {
    let secure = false;
    socket.once('secureConnect', () => {
      secure = true;
      const info = socket.info;
      if (info !== undefined) {
        const s = summary(info);
        p.line(`connected to ${host}:${port} ${kv(s)}`, { event: 'connected', host, port, ...s });
        printChain(p, info.peerCertificates);
      }
      process.stdin.pipe(socket);
      socket.pipe(process.stdout);
    });
    socket.on('error', (err: Error & { code?: string }) => {
      const what = secure ? 'connection failed' : 'handshake failed';
      const msg =
        err.code === 'ECONNREFUSED' ? `connection refused by ${host}:${port}` : err.code === 'ENOTFOUND' ? `unknown host '${host}'` : err.message;
      p.line(`connect: ${what}: ${msg}`, { event: 'error', error: msg, secure });
      process.stdin.unpipe(socket);
      process.stdin.pause();
      resolve(1);
    });
    socket.on('end', () => {
      process.stdin.unpipe(socket);
      process.stdin.pause();
      p.line('closed by peer (close_notify)', { event: 'closed' });
      if (process.stdout.writableLength === 0) resolve(0);
      else process.stdout.once('drain', () => resolve(0));
    });
  });
}
