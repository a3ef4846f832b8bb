/**
 * `sspi-tls serve --dtls` and `sspi-tls connect --dtls`: DTLS 1.3 and 1.2 over UDP (src/node/dtls.ts). serve echoes each
 * datagram's data back to its sender; connect sends stdin (each read as records of at most the path MTU) and prints
 * what arrives. DTLS does not retransmit application data: over a lossy path, what UDP loses is lost.
 */
import { connectDtls, createDtlsServer, type DtlsConnectOptions, type DtlsServerOptions, type DtlsSocket } from '../node/dtls.js';
import { dtlsVersions } from '../dtls/negotiate.js';
import { UsageError } from './args.js';
import { kv, quote, summary, type Printer } from './output.js';

/** `--mtu BYTES` → the path MTU (200..65507). */
export function mtuOption(command: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 200 || n > 65507) throw new UsageError(`${command}: --mtu takes a datagram size in bytes (200..65507), not '${text}'`);
  return n;
}

/** Run a DTLS echo server until SIGINT/SIGTERM. */
export async function serveDtls(options: DtlsServerOptions, host: string, port: number, p: Printer): Promise<number> {
  let server;
  try {
    server = createDtlsServer(options);
  } catch (err) {
    throw new UsageError(`serve: ${(err as Error).message}`);
  }
  const s = server;
  let nextId = 1;
  s.on('secureConnection', (sock: DtlsSocket) => {
    const id = nextId++;
    const peer = `${sock.remoteAddress}:${sock.remotePort}`;
    const info = sock.info;
    if (info !== undefined) {
      const sm = summary(info);
      const rec = { conn: id, peer, version: sock.getProtocol(), suite: sm['suite'] ?? null, group: sm['group'] ?? null, sni: sm['sni'] ?? null };
      p.line(kv(rec), { event: 'connection', ...rec });
    }
    sock.on('data', (d: Buffer) => sock.write(d));
    sock.on('error', (err: Error) => p.line(`conn=${id} peer=${peer} error=${quote(err.message)}`, { event: 'error', conn: id, peer, error: err.message }));
    sock.on('close', () => p.line(`conn=${id} closed`, { event: 'close', conn: id }));
  });
  s.on('tlsClientError', (err: Error, r: { address: string; port: number }) => {
    const peer = `${r.address}:${r.port}`;
    p.line(`peer=${peer} handshake-failed=${quote(err.message)}`, { event: 'handshake-failed', peer, error: err.message });
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      if (err.code === 'EADDRINUSE') reject(new UsageError(`serve: UDP port ${port} on ${host} is already in use`));
      else if (err.code === 'EACCES') reject(new UsageError(`serve: not allowed to listen on ${host}:${port}`));
      else if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND' || err.code === 'EINVAL') reject(new UsageError(`serve: cannot listen on '${host}': no such local address`));
      else reject(err);
    };
    s.once('error', onError);
    s.listen(port, host, () => {
      s.off('error', onError);
      resolve();
    });
  });
  const stopped = new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      p.line(`${signal}: shutting down (${s.connections} open association(s))`, { event: 'shutdown', signal, open: s.connections });
      s.close(() => resolve());
    };
    const onInt = (): void => stop('SIGINT');
    const onTerm = (): void => stop('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  });
  const actual = s.address().port;
  p.line(`listening on ${host}:${actual} udp mode=echo protocol=${s.protocols.join(',')}`, { event: 'listening', host, port: actual, mode: 'echo', transport: 'udp' });
  await stopped;
  p.line('stopped', { event: 'stopped' });
  return 0;
}

/** Connect over DTLS, copy stdin to the association and the association to stdout. Exit codes as `connect`. */
export function connectDtlsCommand(options: DtlsConnectOptions, host: string, port: number, limitMs: number, p: Printer): Promise<number> {
  let socket: DtlsSocket;
  try {
    socket = connectDtls(options);
  } catch (err) {
    throw new UsageError(`connect: ${(err as Error).message}`);
  }
  p.line(`connecting to ${host}:${port} over UDP (${describeVersions(options)}) ...`, { event: 'connecting', host, port, timeoutMs: limitMs, transport: 'udp' });
  return new Promise<number>((resolve) => {
    let secure = false;
    let done = false;
    const finish = (code: number): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      process.stdin.pause();
      resolve(code);
    };
    const timer = setTimeout(() => {
      p.line(`connect: tls: DTLS handshake with ${host}:${port} timed out after ${limitMs} ms`, { event: 'error', class: 'tls', error: 'timeout', secure });
      socket.destroy();
      finish(1);
    }, limitMs);
    socket.once('secureConnect', () => {
      secure = true;
      clearTimeout(timer);
      const info = socket.info;
      if (info !== undefined) {
        const s = { ...summary(info), version: socket.getProtocol() ?? '' };
        p.line(`connected to ${host}:${port} ${kv(s)}`, { event: 'connected', host, port, ...s });
      }
      process.stdin.on('data', (d: Buffer) => socket.write(d));
      process.stdin.once('end', () => {
        // Let the last datagrams and the answers to them arrive before closing.
        setTimeout(() => {
          socket.end();
          finish(0);
        }, 500);
      });
      process.stdin.resume();
    });
    socket.on('data', (d: Buffer) => process.stdout.write(d));
    socket.on('error', (err: Error & { code?: string }) => {
      if (!secure && err.code === 'ECONNREFUSED') {
        p.line(`connect: network: connection refused by ${host}:${port}`, { event: 'error', class: 'network', error: 'refused', code: err.code, secure });
        finish(3);
        return;
      }
      p.line(`connect: tls: ${secure ? 'association failed' : 'handshake failed'}: ${err.message}`, { event: 'error', class: 'tls', error: err.message, code: err.code ?? null, secure });
      finish(1);
    });
    socket.on('close', () => {
      if (secure && !done) {
        p.line('closed by peer (close_notify)', { event: 'closed' });
        finish(0);
      }
    });
  });
}

/** "DTLS 1.3, falling back to 1.2" / "DTLS 1.2" / "DTLS 1.3", from the options' version range. */
function describeVersions(o: DtlsConnectOptions): string {
  const v = dtlsVersions(o);
  return v.v13 && v.v12 ? 'DTLS 1.3, falling back to 1.2' : v.v13 ? 'DTLS 1.3' : 'DTLS 1.2';
}
