/**
 * `sspi-tls serve`: a TLS server on our engine. `--mode echo` echoes each connection's bytes back; `--mode http`
 * answers every request with 200 and a small HTML page: over HTTP/2 when the client's ALPN asks for h2 (node:http2
 * over our TlsDuplex), else HTTP/1.1 or 1.0 (node:http: keep-alive honoured for HTTP/1.1, HTTP/1.0 gets its reply
 * then a clean close with close_notify). One line per
 * connection; runs until SIGINT/SIGTERM, then shuts down cleanly (close_notify on every open connection).
 */
import { appendFileSync, openSync, closeSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { TraceEvent } from '../api/types.js';
import { getDefaultProvider, NodeCryptoProvider } from '../crypto/node-provider.js';
import { loadMlKem768Wasm } from '../crypto/mlkem-wasm.js';
import { Http2SecureServer, type Http2RequestListener } from '../node/http2.js';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import { Server } from '../node/server.js';
import type { TlsDuplex } from '../node/duplex.js';
import type { NodeServerOptions } from '../node/options.js';
import { certificateNames } from '../node/peer-certificate.js';
import { alpnList, ecdhCurveOf, flag, groupList, parseArgs, port, str, tlsVersion, UsageError, type OptionSpec } from './args.js';
import { readCertificates, readCredentials, readCrls } from './creds.js';
import { cliCredentials } from './pfx.js';
import { kv, Printer, quote, summary } from './output.js';
import { makeSelfSigned } from './selfsigned.js';
import { LfTolerantSocket } from './http-line-endings.js';
import { mtuOption, serveDtls } from './dtls.js';
import { isServeWorker, messageFromPrimary, runPrimary, SCALE_SPEC, scaleSetup, workerCount, type PrimaryMessage, type SelfSignedStrings } from './scale.js';

/** serve's options. */
export const SERVE_SPEC: Readonly<Record<string, OptionSpec>> = {
  host: { type: 'string' },
  port: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  pfx: { type: 'string' },
  pass: { type: 'string' },
  ca: { type: 'string' },
  crl: { type: 'string' },
  'client-auth': { type: 'string', choices: ['none', 'optional', 'required'] },
  alpn: { type: 'string' },
  groups: { type: 'string' },
  tls: { type: 'string', choices: ['1.2', '1.3'] },
  mode: { type: 'string', choices: ['echo', 'http'] },
  keylog: { type: 'string' },
  trace: { type: 'boolean' },
  json: { type: 'boolean' },
  'save-cert': { type: 'string' },
  'idle-timeout': { type: 'string' },
  'handshake-timeout': { type: 'string' },
  dtls: { type: 'boolean' },
  mtu: { type: 'string' },
  ...SCALE_SPEC,
};

/** A duration option in seconds ('30', '2.5', '0' for none); a UsageError otherwise. */
function seconds(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value.replace(/s$/, ''));
  if (!Number.isFinite(n) || n < 0 || value.trim() === '') throw new UsageError(`serve: --${name} must be a number of seconds (0: none), not '${value}'`);
  return n;
}

/** Open (create/append) a key-log file, or throw a UsageError; returns a line writer. */
export function keyLogWriter(file: string): (line: Buffer) => void {
  try {
    closeSync(openSync(file, 'a', 0o600));
  } catch (err) {
    throw new UsageError(`cannot write key log '${file}': ${(err as { code?: string }).code ?? (err as Error).message}`);
  }
  return (line) => appendFileSync(file, line);
}

/** The HTML page of --mode http. */
export function page(socket: TlsDuplex | undefined, req: IncomingMessage | Http2ServerRequest, bodyBytes: number, bodySha256: string): string {
  const i = socket?.info;
  const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return [
    '<!doctype html>',
    '<html><head><meta charset="utf-8"><title>sspi-tls</title></head><body>',
    '<h1>Hello from sspi-tls</h1>',
    `<p id="tls">${esc(`${i?.version ?? '?'} ${i?.cipherName ?? '?'} ${i?.groupName ?? '-'} alpn=${i?.alpnProtocol ?? '-'}`)}</p>`,
    `<p id="request">${esc(`${req.method ?? '?'} ${req.url ?? '?'} HTTP/${req.httpVersion}`)}</p>`,
    `<p id="body">received ${bodyBytes} bytes sha256=${bodySha256}</p>`,
    '</body></html>',
    '',
  ].join('\n');
}

/** Listen, with the address errors as one-line usage errors. */
function listenOn(server: NetServer, listenPort: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      if (err.code === 'EADDRINUSE') reject(new UsageError(`serve: port ${listenPort} on ${host} is already in use`));
      else if (err.code === 'EACCES') reject(new UsageError(`serve: not allowed to listen on ${host}:${listenPort}`));
      else if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') reject(new UsageError(`serve: cannot listen on '${host}': no such local address`));
      else reject(err);
    };
    server.once('error', onError);
    server.listen(listenPort, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** The throwaway certificate's line. */
function printCertificate(p: Printer, fingerprint: string, saveCert: string | undefined): void {
  const saved = saveCert !== undefined ? ` (saved to ${saveCert}: use it as --ca)` : '';
  p.line(`certificate: throwaway self-signed for localhost, SHA-256 ${fingerprint}${saved}`, {
    event: 'certificate',
    selfSigned: true,
    fingerprint256: fingerprint,
    savedTo: saveCert ?? null,
  });
}

/** Run `serve`; resolves when the server has shut down after a signal. */
export async function serve(argv: readonly string[]): Promise<number> {
  const a = parseArgs('serve', argv, SERVE_SPEC, 0);
  const host = str(a, 'host') ?? '127.0.0.1';
  const listenPort = port('serve', str(a, 'port') ?? '8443');
  const mode = str(a, 'mode') ?? 'echo';
  const certFile = str(a, 'cert');
  const keyFile = str(a, 'key');
  if ((certFile === undefined) !== (keyFile === undefined)) throw new UsageError('serve: --cert and --key go together');
  const alpn = str(a, 'alpn') !== undefined ? alpnList('serve', str(a, 'alpn') ?? '') : mode === 'http' ? ['h2', 'http/1.1', 'http/1.0'] : undefined;
  if (mode === 'http' && alpn !== undefined && !alpn.some((p) => p === 'h2' || p === 'http/1.1' || p === 'http/1.0')) {
    throw new UsageError("serve: --mode http speaks h2 and HTTP/1.x: --alpn must include 'h2' or 'http/1.1'");
  }
  const h2 = mode === 'http' && alpn?.includes('h2') === true;
  const clientAuth = str(a, 'client-auth') ?? 'none';
  const caFile = str(a, 'ca');
  if (clientAuth !== 'none' && caFile === undefined) throw new UsageError(`serve: --client-auth ${clientAuth} needs --ca FILE`);
  const json = flag(a, 'json');
  const p = new Printer(process.stdout, json);
  // --workers N (default: one per CPU): this process only supervises N workers, each running this command
  // (src/cli/scale.ts). It first builds the whole configuration itself, so a usage error shows once, before any fork.
  const workers = workerCount(a);
  const primary = workers > 1 && !isServeWorker();
  const fromPrimary: PrimaryMessage | undefined = isServeWorker() ? await messageFromPrimary() : undefined;
  const keylogFile = str(a, 'keylog') ?? process.env['SSLKEYLOGFILE'];
  const writeKeyLog = keylogFile !== undefined && keylogFile !== '' ? keyLogWriter(keylogFile) : undefined;

  let creds: { cert: string | Uint8Array[]; key: string | Uint8Array };
  let fingerprint: string | undefined;
  let selfSigned: SelfSignedStrings | undefined;
  const fromPfxOrPass = cliCredentials('serve', a);
  if (fromPfxOrPass !== undefined) creds = fromPfxOrPass;
  else if (certFile !== undefined && keyFile !== undefined) creds = readCredentials(certFile, keyFile);
  else if (fromPrimary?.selfSigned !== undefined) {
    creds = { cert: fromPrimary.selfSigned.certPem, key: fromPrimary.selfSigned.keyPem };
    fingerprint = fromPrimary.selfSigned.fingerprint256;
  } else {
    const ss = await makeSelfSigned();
    creds = { cert: ss.certPem, key: ss.keyPem };
    fingerprint = ss.fingerprint256;
    selfSigned = { certPem: ss.certPem, keyPem: ss.keyPem, fingerprint256: ss.fingerprint256 };
  }
  const saveCert = str(a, 'save-cert');
  // Workers have the primary's certificate, which the primary has saved.
  if (saveCert !== undefined && fromPrimary === undefined) {
    if (certFile !== undefined) throw new UsageError('serve: --save-cert writes the throwaway certificate; with --cert you already have yours');
    try {
      writeFileSync(saveCert, creds.cert as string, { mode: 0o644 });
    } catch (err) {
      throw new UsageError(`serve: cannot write '${saveCert}': ${(err as { code?: string }).code ?? (err as Error).message}`);
    }
  }

  const ids = new WeakMap<TlsDuplex, number>();
  let nextId = 1;
  const idOf = (s: TlsDuplex): number => {
    let id = ids.get(s);
    if (id === undefined) {
      id = nextId++;
      ids.set(s, id);
    }
    return id;
  };
  const version = str(a, 'tls');
  const options: { -readonly [K in keyof NodeServerOptions]: NodeServerOptions[K] } = { key: creds.key, cert: creds.cert, clientAuth: clientAuth as 'none' | 'optional' | 'required' };
  if (alpn !== undefined) options.ALPNProtocols = alpn;
  // X25519MLKEM768 (Chromium's default) with the WebAssembly ML-KEM, about 5x faster than the JavaScript one.
  const wasmKem = await loadMlKem768Wasm().catch(() => undefined);
  options.provider = wasmKem === undefined ? getDefaultProvider() : new NodeCryptoProvider({ mlkem: wasmKem });
  const groups = str(a, 'groups');
  if (groups !== undefined) options.ecdhCurve = ecdhCurveOf(groupList('serve', groups));
  if (version !== undefined) {
    options.minVersion = tlsVersion(version);
    options.maxVersion = tlsVersion(version);
  }
  if (caFile !== undefined) options.ca = readCertificates('--ca', caFile);
  // As node:tls: a handshake must finish within 120 s (handshakeTimeout); an established connection may idle forever
  // unless --idle-timeout is given (server.timeout is 0 in Node).
  const handshakeSeconds = seconds('handshake-timeout', str(a, 'handshake-timeout'), 120);
  const idleSeconds = seconds('idle-timeout', str(a, 'idle-timeout'), 0);
  options.handshakeTimeout = handshakeSeconds * 1000;
  // A fresh ticket on every resumption, as OpenSSL's s_server, where node:tls sends none: a client then never has to
  // present one ticket twice (RFC 8446 C.4: reused tickets make connections linkable).
  options.resumptionTicketCount = 1;
  const crlFile = str(a, 'crl');
  if (crlFile !== undefined) options.crl = readCrls('--crl', crlFile);
  const scale = await scaleSetup(a, options.provider, p, fromPrimary, { connect: !primary });
  if (scale.ticketKeySource !== undefined) options.ticketKeySource = scale.ticketKeySource;
  if (scale.sessionResumer !== undefined) options.sessionResumer = scale.sessionResumer;
  if (scale.singleUseTickets) options.singleUseTickets = true;
  if (scale.sessionTimeout !== undefined) options.sessionTimeout = scale.sessionTimeout;
  if (flag(a, 'trace')) options.trace = (e: TraceEvent, s: TlsDuplex): void => p.trace(e, 'server', idOf(s));

  if (flag(a, 'dtls')) {
    // DTLS over UDP: echo only (HTTP over datagrams is not a thing); DTLS 1.3 and 1.2, or the one --tls names.
    if (mode !== 'echo') throw new UsageError('serve: --dtls serves --mode echo only');
    const mtu = mtuOption('serve', str(a, 'mtu'));
    return serveDtls({ ...options, ...(mtu !== undefined ? { mtu } : {}) }, host, listenPort, p);
  }
  if (str(a, 'mtu') !== undefined) throw new UsageError('serve: --mtu goes with --dtls');
  let server: Server;
  // HTTP/1.x goes to one node:http server through LfTolerantSocket (bare-LF request lines accepted, RFC 9112 §2.2);
  // HTTP/2 goes to node:http2 inside Http2SecureServer.
  const http1 = mode === 'http' ? createHttpServer() : undefined;
  const tlsOfHttp1 = new WeakMap<object, TlsDuplex>();
  const toHttp1 = (s: TlsDuplex): void => {
    const socket = new LfTolerantSocket(s);
    tlsOfHttp1.set(socket, s);
    http1?.emit('connection', socket);
  };
  const onRequest = (req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse): void => {
    const tls = 'stream' in req && server instanceof Http2SecureServer ? server.tlsSocketOf(req) : tlsOfHttp1.get(req.socket);
    const h = getDefaultProvider().createHash('sha256');
    let n = 0;
    req.on('data', (chunk: Buffer) => {
      h.update(chunk);
      n += chunk.length;
    });
    req.on('end', () => {
      const body = page(tls, req, n, Buffer.from(h.peek()).toString('hex'));
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  };
  http1?.on('request', onRequest);
  try {
    if (h2) {
      // ALPN (options.ALPNProtocols) offers h2 and HTTP/1.x; a connection that did not pick h2 is HTTP/1.x.
      server = new Http2SecureServer(options, onRequest as Http2RequestListener);
      server.on('unknownProtocol', toHttp1);
    } else {
      server = new Server(options);
      if (mode === 'http') server.on('secureConnection', toHttp1);
    }
  } catch (err) {
    throw new UsageError(`serve: ${(err as Error).message}`);
  }
  if (primary) {
    await scale.close();
    // The address is checked here, once, rather than by every worker.
    const probe = createNetServer();
    await listenOn(probe, listenPort, host);
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    if (fingerprint !== undefined) printCertificate(p, fingerprint, saveCert);
    return runPrimary(workers, a, getDefaultProvider(), p, selfSigned);
  }
  if (writeKeyLog !== undefined) server.on('keylog', (line: Buffer) => writeKeyLog(line));
  const peerOf = (s: TlsDuplex): string => `${s.remoteAddress ?? '?'}:${s.remotePort ?? '?'}`;
  server.on('secureConnection', (s: TlsDuplex) => {
    const id = idOf(s);
    const info = s.info;
    if (info !== undefined) {
      const sm = summary(info);
      const clientCert = info.peerCertificates[0];
      const rec = {
        conn: id,
        peer: peerOf(s),
        version: sm['version'] ?? null,
        suite: sm['suite'] ?? null,
        group: sm['group'] ?? null,
        alpn: sm['alpn'] ?? null,
        sni: sm['sni'] ?? null,
        'client-cert': clientCert === undefined ? null : certificateNames(clientCert).subject,
        resumed: info.resumed,
        ...(fromPrimary !== undefined ? { worker: process.pid } : {}),
      };
      p.line(kv(rec), { event: 'connection', ...rec });
    }
    s.on('error', (err: Error & { code?: string }) => {
      // Browsers and curl often close TCP without close_notify once a response is complete: that is not a failure
      // of ours, so it gets its own line rather than error=… (the duplex still reports it, as node:tls does).
      if (err.code === 'ECONNRESET' && s.info !== undefined) {
        p.line(`conn=${id} peer=${peerOf(s)} transport closed without close_notify`, { event: 'abrupt-close', conn: id, peer: peerOf(s) });
        return;
      }
      p.line(`conn=${id} peer=${peerOf(s)} error=${quote(err.message)}`, { event: 'error', conn: id, peer: peerOf(s), error: err.message });
    });
    s.on('close', () => p.line(`conn=${id} closed`, { event: 'close', conn: id }));
    if (idleSeconds > 0) {
      s.setTimeout(idleSeconds * 1000, () => {
        p.line(`conn=${id} peer=${peerOf(s)} idle for ${idleSeconds} s: closing`, { event: 'idle-timeout', conn: id, peer: peerOf(s) });
        s.end();
        setTimeout(() => s.destroy(), 1000).unref();
      });
    }
    if (mode === 'echo') s.pipe(s);
  });
  server.on('tlsClientError', (err: Error, s: TlsDuplex) => {
    const id = idOf(s);
    p.line(`conn=${id} peer=${peerOf(s)} handshake-failed=${quote(err.message)}`, { event: 'handshake-failed', conn: id, peer: peerOf(s), error: err.message });
  });

  await listenOn(server, listenPort, host);
  // Signal handlers go in before the listening line: a supervisor may signal as soon as it reads it.
  const stopped = new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      p.line(`${signal}: shutting down (${server.tlsConnections.size} open connection(s))`, { event: 'shutdown', signal, open: server.tlsConnections.size });
      http1?.closeIdleConnections();
      if (server instanceof Http2SecureServer) server.closeSessions();
      server.shutdown(3000, () => resolve());
    };
    const onInt = (): void => stop('SIGINT');
    const onTerm = (): void => stop('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  });
  const addr = server.address();
  const actualPort = typeof addr === 'object' && addr !== null ? addr.port : listenPort;
  p.line(`listening on ${host}:${actualPort} mode=${mode}${alpn !== undefined ? ` alpn=${alpn.join(',')}` : ''}${fromPrimary !== undefined ? ` worker=${process.pid}` : ''}`, {
    event: 'listening',
    host,
    port: actualPort,
    mode,
    alpn: alpn ?? null,
  });
  // With --workers, the primary has said it once for all.
  if (fingerprint !== undefined && fromPrimary === undefined) printCertificate(p, fingerprint, saveCert);

  await stopped;
  await scale.close();
  p.line('stopped', { event: 'stopped' });
  return 0;
}
