/**
 * Issue 18 items 3 and 6: the node:tls-style adapter's handshakes over a memory Duplex pair. Per connection
 * (`new TlsDuplex(end, { isServer: true, key, cert })` and `{ ca, servername }` every time) against shared
 * (one TlsServer / TlsClient passed as `server` / `client`), Node's tls with shared SecureContexts, and lemon-tls's
 * TLSSocket (optional devDependency) with its options per connection. A pair is done when the server is 'secure'
 * and the client has 'secureConnect' (and, for ours and Node's, its two 'session' tickets).
 */
import type { Duplex } from 'node:stream';
import { TlsClient, TlsServer } from '../src/index.js';
import { TlsDuplex, duplexPair } from '../src/node/index.js';
import { toClientOptions, toServerOptions } from '../src/node/options.js';
import { routedHooks } from '../src/node/routed-hooks.js';
import type { BenchCert } from './certs.js';
import { memPair } from './node-tls.js';

type Socketish = Duplex & { once(e: string, f: (...a: unknown[]) => void): unknown; on(e: string, f: (...a: unknown[]) => void): unknown };

function waitPair(server: Socketish, client: Socketish, tickets: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let pending = 2 + tickets;
    const done = (): void => {
      if (--pending === 0) resolve();
    };
    server.once('secure', done);
    client.once('secureConnect', done);
    if (tickets > 0) client.on('session', done);
    server.on('error', (e) => reject(e as Error));
    client.on('error', (e) => reject(e as Error));
  });
}

export interface Shared {
  readonly server: TlsServer;
  readonly client: TlsClient;
}

const serverOpts = (cert: BenchCert) => ({ key: cert.key, cert: cert.cert, ecdhCurve: 'X25519' }) as const;
const clientOpts = (cert: BenchCert) => ({ ca: cert.ca, servername: 'localhost', ecdhCurve: 'X25519' }) as const;

/** One TlsServer and one TlsClient built from the same options the per-connection row passes. */
export function sharedFor(cert: BenchCert): Shared {
  const client = new TlsClient(toClientOptions(clientOpts(cert), routedHooks));
  // Full handshakes on both rows: a TlsClient resumes its own tickets by default, which the per-connection row
  // (node:tls semantics: only the `session` passed is resumed) never does.
  client.resume = false;
  return { server: new TlsServer(toServerOptions(serverOpts(cert), routedHooks)), client };
}

/** One adapter pair; `shared` gives the TlsServer / TlsClient to reuse, else each side prepares its options. */
export async function adapterPair(cert: BenchCert, shared?: Shared): Promise<void> {
  const [a, b] = duplexPair();
  const server = new TlsDuplex(a, shared ? { isServer: true, ...serverOpts(cert), server: shared.server } : { isServer: true, ...serverOpts(cert) }) as Socketish;
  const client = new TlsDuplex(b, shared ? { ...clientOpts(cert), client: shared.client } : clientOpts(cert)) as Socketish;
  await waitPair(server, client, 2);
  server.destroy();
  client.destroy();
}

export interface LemonModule {
  TLSSocket: new (t: Duplex | null, o: Record<string, unknown>) => Duplex & { setSocket(d: Duplex): void };
}

export async function loadLemon(): Promise<LemonModule | string> {
  try {
    const spec = 'lemon-tls';
    const m = (await import(spec)) as Partial<LemonModule> & { default?: Partial<LemonModule> };
    const T = m.TLSSocket ?? m.default?.TLSSocket;
    return typeof T === 'function' ? { TLSSocket: T } : 'lemon-tls has no TLSSocket export';
  } catch (e) {
    return `lemon-tls not installed (${(e as Error).message.slice(0, 80)})`;
  }
}

/** One lemon-tls pair (TLS 1.3, options per connection as its README shows); tickets are not awaited. */
export async function lemonPair(mod: LemonModule, cert: BenchCert): Promise<void> {
  const [a, b] = memPair();
  const server = new mod.TLSSocket(a, { isServer: true, key: cert.key, cert: cert.cert, minVersion: 'TLSv1.3' }) as Socketish;
  // As lemon-tls's own connect() does: the socket first, the transport attached once it is there.
  const c = new mod.TLSSocket(null, { isServer: false, servername: 'localhost', ca: cert.ca, minVersion: 'TLSv1.3' });
  const client = c as Socketish;
  const done = waitPair(server, client, 0);
  c.setSocket(b);
  await done;
  server.destroy();
  client.destroy();
}
