/**
 * `sspi-tls demo`: no arguments, no files, nothing but Node. With a throwaway certificate, on 127.0.0.1:
 *  1. an SSPI server (the AcceptSecurityContext loop a Windows program writes) serving Node's own TLS client,
 *     every SSPI call printed with its status;
 *  2. the idiomatic API (TlsServer fed by a socket) serving Node's TLS client, with the handshake trace;
 *  3. an HTTPS server (node:http over our TLS), one page fetched with our client (https.get with our Agent) and one
 *     with Node's own https client, printing the handshake traces and what each side negotiated.
 * Exit 0 when every client got its answer; then it prints where to go next.
 */
import { get as httpsGet, type RequestOptions } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TraceEvent } from '../api/types.js';
import { Agent, HttpsServer } from '../node/https.js';
import type { TlsDuplex } from '../node/duplex.js';
import { parseArgs } from './args.js';
import { apiServerDemo, sspiServerDemo } from './demo-servers.js';
import { kv, Printer, summary } from './output.js';
import { makeSelfSigned } from './selfsigned.js';
import { keyLogWriter } from './serve.js';

function fetchPage(options: RequestOptions, timeoutMs: number): Promise<{ status: number; body: string; res: IncomingMessage }> {
  return new Promise((resolve, reject) => {
    const req = httpsGet(options, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8'), res }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

/** Run the demo; resolves with the exit code. */
export async function demo(argv: readonly string[]): Promise<number> {
  parseArgs('demo', argv, {}, 0);
  const p = new Printer(process.stdout, false);
  const ss = await makeSelfSigned();
  const keylogFile = process.env['SSLKEYLOGFILE'];
  const writeKeyLog = keylogFile !== undefined && keylogFile !== '' ? keyLogWriter(keylogFile) : undefined;
  p.line(p.paint(1, '== sspi-tls demo'), {});
  p.line(`server certificate: throwaway self-signed for localhost, SHA-256 ${ss.fingerprint256}`, {});

  p.line('', {});
  p.line(p.paint(1, "== 1. An SSPI server (the Schannel AcceptSecurityContext loop) serving Node's TLS client"), {});
  const sspiOk = await sspiServerDemo(p, ss);
  p.line('', {});
  p.line(p.paint(1, "== 2. The idiomatic API (TlsServer: receive() in, takeOutput() out) serving Node's TLS client"), {});
  const apiOk = await apiServerDemo(p, ss);

  const serverTrace: TraceEvent[] = [];
  const server = new HttpsServer(
    { key: ss.keyPem, cert: ss.certPem, trace: (e: TraceEvent): void => void serverTrace.push(e) },
    (req, res) => {
      const s = req.socket as unknown as TlsDuplex;
      const body = `<!doctype html><title>sspi-tls demo</title><h1>Hello over ${s.info?.version ?? '?'}</h1>\n`;
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    },
  );
  if (writeKeyLog !== undefined) server.on('keylog', (line: Buffer) => writeKeyLog(line));
  const serverInfos: TlsDuplex[] = [];
  server.on('secureConnection', (s: TlsDuplex) => serverInfos.push(s));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  p.line('', {});
  p.line(p.paint(1, '== 3. HTTPS: node:http over the sspi-tls adapter'), {});
  p.line(`server: https://127.0.0.1:${port}/ (node:http over sspi-tls)`, {});
  let ok = sspiOk && apiOk;
  try {
    // 1. Our client: node:https with our Agent.
    p.line('', {});
    p.line(p.paint(1, '== 3a. GET with the sspi-tls client (https.get + sspi-tls Agent)'), {});
    const clientTrace: TraceEvent[] = [];
    const agent = new Agent({ ca: ss.certPem, servername: 'localhost', trace: (e: TraceEvent): void => void clientTrace.push(e) });
    const ours = await fetchPage({ host: '127.0.0.1', port, path: '/', agent, servername: 'localhost' }, 10_000);
    const ourSocket = ours.res.socket as unknown as TlsDuplex;
    p.line('client trace:', {});
    for (const e of clientTrace) p.trace(e, 'client');
    p.line(`status ${ours.status}, ${ours.body.length} bytes: ${ours.body.split('\n')[0] ?? ''}`, {});
    if (ourSocket.info !== undefined) p.line(`client negotiated: ${kv(summary(ourSocket.info))}`, {});
    agent.destroy();
    ok &&= ours.status === 200;

    // 2. Node's own https client (OpenSSL) against our server.
    p.line('', {});
    p.line(p.paint(1, "== 3b. GET with Node's own https client (OpenSSL)"), {});
    serverTrace.length = 0;
    const theirs = await fetchPage({ host: '127.0.0.1', port, path: '/', ca: ss.certPem, servername: 'localhost', agent: false }, 10_000);
    p.line('server trace:', {});
    for (const e of serverTrace) p.trace(e, 'server');
    const nodeSocket = theirs.res.socket as unknown as import('node:tls').TLSSocket;
    p.line(`status ${theirs.status}, ${theirs.body.length} bytes: ${theirs.body.split('\n')[0] ?? ''}`, {});
    p.line(
      `node:https negotiated: version=${nodeSocket.getProtocol() ?? '-'} suite=${nodeSocket.getCipher().standardName} group=${(nodeSocket.getEphemeralKeyInfo() as { name?: string } | null)?.name ?? '-'} authorized=${nodeSocket.authorized ? 'yes' : 'no'}`,
      {},
    );
    const last = serverInfos[serverInfos.length - 1];
    if (last?.info !== undefined) p.line(`server negotiated:     ${kv(summary(last.info))}`, {});
    ok &&= theirs.status === 200 && nodeSocket.authorized;
  } finally {
    server.http.closeAllConnections();
    await new Promise<void>((resolve) => server.shutdown(2000, () => resolve()));
  }
  p.line('', {});
  p.line(ok ? 'demo: every client got its answer (SSPI server, TlsServer, HTTPS with both clients)' : 'demo: FAILED', {});
  if (ok) {
    p.line('', {});
    p.line('Next:', {});
    p.line('  npx sspi-tls serve --port 8443 --mode http    a server you can point curl or a browser at (--help for options)', {});
    p.line('  npx sspi-tls connect HOST:PORT --trace         our client against any TLS server, with this trace', {});
    p.line('  examples/sspi-server.ts, examples/sspi-client.ts  the complete Schannel loops (node dist/examples/…)', {});
    p.line('  README.md (API examples), docs/design/sspi-decisions.md, docs/conformance.md', {});
  }
  return ok ? 0 : 1;
}
