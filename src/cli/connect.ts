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
import { connectDtlsCommand, mtuOption } from './dtls.js';
import { cliCredentials } from './pfx.js';
import { kv, printChain, printChainPem, Printer, summary } from './output.js';
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
  timeout: { type: 'string' },
  showcerts: { type: 'boolean' },
  dtls: { type: 'boolean' },
  mtu: { type: 'string' },
};

/** Exit codes of `connect` (one per class of failure; usage and configuration mistakes exit 2 from main). */
export const EXIT = { ok: 0, tls: 1, usage: 2, network: 3 } as const;

/** Milliseconds `connect` waits for TCP and the handshake together, unless --timeout says otherwise. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;

/** `--timeout 10s`, `--timeout 2500ms`, `--timeout 3` (seconds) → milliseconds. */
export function timeoutMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(text);
  if (m === null || Number(m[1]) <= 0) throw new UsageError(`connect: --timeout takes a positive duration (5, 5s, 2500ms), got '${text}'`);
  return m[2] === 'ms' ? Math.round(Number(m[1])) : Math.round(Number(m[1]) * 1000);
}

/** Network errors by errno code: what to say. */
function networkReason(code: string | undefined, host: string, port: number): string | undefined {
  switch (code) {
    case 'ECONNREFUSED':
      return `connection refused by ${host}:${port}`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `unknown host '${host}'`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `no route to ${host}`;
    case 'ECONNRESET':
    case 'EPIPE':
      return undefined; // the TLS layer reports these with context
    default:
      return code !== undefined && /^E[A-Z]+$/.test(code) && code !== 'ETIMEDOUT' ? `${code.toLowerCase()} (${host}:${port})` : undefined;
  }
}

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
  const limitMs = str(a, 'timeout') !== undefined ? timeoutMs(str(a, 'timeout') ?? '') : DEFAULT_CONNECT_TIMEOUT_MS;
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

  if (flag(a, 'dtls')) {
    // DTLS 1.3 with fallback to 1.2, or the one --tls names.
    const mtu = mtuOption('connect', str(a, 'mtu'));
    return connectDtlsCommand({ ...options, ...(mtu !== undefined ? { mtu } : {}) }, host, port, limitMs, p);
  }
  if (str(a, 'mtu') !== undefined) throw new UsageError('connect: --mtu goes with --dtls');
  let socket: TlsDuplex;
  try {
    socket = tlsConnect(options);
  } catch (err) {
    throw new UsageError(`connect: ${(err as Error).message}`);
  }
  if (writeKeyLog !== undefined) socket.on('keylog', writeKeyLog);
  p.line(`connecting to ${host}:${port} ...`, { event: 'connecting', host, port, timeoutMs: limitMs });
  return await new Promise<number>((resolve) => {
    let secure = false;
    let tcp = false;
    socket.once('connect', () => (tcp = true));
    const timer = setTimeout(() => {
      const stage = tcp ? 'tls: handshake' : 'network: TCP connection';
      p.line(`connect: ${stage} to ${host}:${port} timed out after ${limitMs} ms`, { event: 'error', class: tcp ? 'tls' : 'network', error: 'timeout', secure });
      socket.destroy();
      finish(tcp ? EXIT.tls : EXIT.network);
    }, limitMs);
    const finish = (code: number): void => {
      clearTimeout(timer);
      process.stdin.unpipe(socket);
      process.stdin.pause();
      resolve(code);
    };
    socket.once('secureConnect', () => {
      secure = true;
      clearTimeout(timer);
      const info = socket.info;
      if (info !== undefined) {
        const s = summary(info);
        p.line(`connected to ${host}:${port} ${kv(s)}`, { event: 'connected', host, port, ...s });
        printChain(p, info.peerCertificates);
        if (flag(a, 'showcerts')) printChainPem(p, info.peerCertificates);
      }
      process.stdin.pipe(socket);
      socket.pipe(process.stdout);
    });
    socket.on('error', (err: Error & { code?: string; detail?: string }) => {
      const net = tcp ? undefined : networkReason(err.code, host, port);
      if (net !== undefined) {
        p.line(`connect: network: ${net}`, { event: 'error', class: 'network', error: net, code: err.code ?? null, secure });
        finish(EXIT.network);
        return;
      }
      const what = secure ? 'connection failed' : 'handshake failed';
      // The adapter gives a certificate error node:tls's sentence, ours in `detail`: print both.
      const message = err.detail !== undefined ? `${err.message}: ${err.detail}` : err.message;
      p.line(`connect: tls: ${what}: ${message}`, { event: 'error', class: 'tls', error: message, code: err.code ?? null, secure });
      finish(EXIT.tls);
    });
    socket.on('end', () => {
      process.stdin.unpipe(socket);
      process.stdin.pause();
      clearTimeout(timer);
      p.line('closed by peer (close_notify)', { event: 'closed' });
      if (process.stdout.writableLength === 0) resolve(0);
      else process.stdout.once('drain', () => resolve(0));
    });
  });
}
