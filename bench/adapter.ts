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
import { CountingProvider } from './counting-provider.js';
import type { RecordedHandshake } from './crypto-floor.js';
import { memPair } from './node-tls.js';
import { handshake } from './ours.js';

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

/**
 * One TlsServer and one TlsClient built from the same options the per-connection row passes (`providers`: their
 * crypto providers, for recording the crypto floor; default node:crypto's).
 */
export function sharedFor(cert: BenchCert, providers?: { readonly server: CountingProvider; readonly client: CountingProvider }): Shared {
  const c = toClientOptions(clientOpts(cert), routedHooks);
  const s = toServerOptions(serverOpts(cert), routedHooks);
  const client = new TlsClient(providers === undefined ? c : { ...c, provider: providers.client });
  // Full handshakes on both rows: a TlsClient resumes its own tickets by default, which the per-connection row
  // (node:tls semantics: only the `session` passed is resumed) never does.
  client.resume = false;
  return { server: new TlsServer(providers === undefined ? s : { ...s, provider: providers.server }), client };
}

/**
 * The node:crypto calls of one steady-state adapter pair (shared TlsServer / TlsClient, after `warm` pairs that
 * fill the caches), recorded through counting providers, for bench/crypto-floor.ts's replay: the adapter pair's
 * own crypto floor (the handshake's calls, as the idiomatic API's, plus the close_notify each side seals when the
 * bench destroys it), so that pair time ÷ floor is the adapter's whole JS overhead.
 */
export async function recordAdapterPair(cert: BenchCert, warm = 2): Promise<RecordedHandshake> {
  const sp = new CountingProvider();
  const cp = new CountingProvider();
  const shared = sharedFor(cert, { server: sp, client: cp });
  for (let i = 0; i < warm; i++) await adapterPair(cert, shared);
  sp.reset();
  cp.reset();
  sp.trace = [];
  cp.trace = [];
  await adapterPair(cert, shared);
  // The destroyed pair's last bytes (close_notify) are sealed within destroy(); let the stream ticks run out.
  await new Promise((r) => setImmediate(r));
  const out = { server: sp.trace, client: cp.trace, serverCounts: sp.reset(), clientCounts: cp.reset() };
  sp.trace = null;
  cp.trace = null;
  return out;
}

/**
 * One adapter pair; `shared` gives the TlsServer / TlsClient to reuse, else each side prepares its options. Over
 * the same memory Duplex pair as Node's tls row (bench/node-tls.ts memPair), so both stacks pay the same transport;
 * `transport: 'duplexPair'` runs it over src/node/pair.ts's backpressured pair instead.
 */
export async function adapterPair(cert: BenchCert, shared?: Shared, transport: 'memPair' | 'duplexPair' = 'memPair'): Promise<void> {
  const [a, b] = transport === 'memPair' ? memPair() : duplexPair();
  const server = new TlsDuplex(a, shared ? { isServer: true, ...serverOpts(cert), server: shared.server } : { isServer: true, ...serverOpts(cert) }) as Socketish;
  const client = new TlsDuplex(b, shared ? { ...clientOpts(cert), client: shared.client } : clientOpts(cert)) as Socketish;
  await waitPair(server, client, 2);
  server.destroy();
  client.destroy();
}

/** The same handshake through the idiomatic API (the shared TlsServer / TlsClient, no streams), tickets included. */
export function apiPair(shared: Shared): void {
  handshake(shared);
}

export interface LemonModule {
  TLSSocket: new (t: Duplex | null, o: Record<string, unknown>) => Duplex & { setSocket(d: Duplex): void };
  createSecureContext: (o: Record<string, unknown>) => unknown;
}

export async function loadLemon(): Promise<LemonModule | string> {
  try {
    const spec = 'lemon-tls';
    const m = (await import(spec)) as Partial<LemonModule> & { default?: Partial<LemonModule> };
    const T = m.TLSSocket ?? m.default?.TLSSocket;
    const C = m.createSecureContext ?? m.default?.createSecureContext;
    return typeof T === 'function' && typeof C === 'function' ? { TLSSocket: T, createSecureContext: C } : 'lemon-tls has no TLSSocket / createSecureContext export';
  } catch (e) {
    return `lemon-tls not installed (${(e as Error).message.slice(0, 80)})`;
  }
}

/** lemon-tls's server credentials, prepared once (as its own `createServer` does: one context for every socket). */
export function lemonContext(mod: LemonModule, cert: BenchCert): unknown {
  return mod.createSecureContext({ key: cert.key, cert: cert.cert });
}

/**
 * One lemon-tls pair (TLS 1.3) over the same memory Duplex pair. As its own `createServer` does, the server socket
 * gets its credentials through `SNICallback` from one shared context: a bare `TLSSocket` given `key` / `cert`
 * directly (0.7.0) stops after EncryptedExtensions and never sends its Certificate. lemon-tls's server socket emits
 * 'secureConnect' (not node:tls's 'secure'), and its server sends one ticket (ours and Node's send two); the client
 * gets its options per connection (lemon-tls has no client context). Done at both 'secureConnect's and the ticket.
 */
export async function lemonPair(mod: LemonModule, cert: BenchCert, ctx: unknown): Promise<void> {
  const [a, b] = memPair();
  const server = new mod.TLSSocket(a, { isServer: true, SNICallback: (_n: string, cb: (e: null, c: unknown) => void) => cb(null, ctx), minVersion: 'TLSv1.3' }) as Socketish;
  const client = new mod.TLSSocket(b, { isServer: false, servername: 'localhost', ca: cert.ca, minVersion: 'TLSv1.3' }) as Socketish;
  await new Promise<void>((resolve, reject) => {
    let pending = 3;
    const done = (): void => {
      if (--pending === 0) resolve();
    };
    server.once('secureConnect', done);
    client.once('secureConnect', done);
    client.once('session', done);
    server.on('error', (e) => reject(e as Error));
    client.on('error', (e) => reject(e as Error));
  });
  server.destroy();
  client.destroy();
}
