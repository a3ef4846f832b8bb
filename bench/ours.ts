/**
 * Our side of the benchmarks: handshakes and bulk transfer through the idiomatic API (TlsConnection
 * receive/takeOutput over memory, no sockets), with the time spent in each side measured separately.
 */
import { TlsClient, TlsServer, type TlsConnection, type CryptoProvider, CipherSuite, NamedGroup, NodeCryptoProvider } from '../src/index.js';
import { loadMlKem768Wasm } from '../src/crypto/mlkem-wasm.js';
import type { BenchCert } from './certs.js';

export interface OursPair {
  readonly server: TlsServer;
  readonly client: TlsClient;
}

export interface PairOptions {
  readonly provider?: CryptoProvider;
  readonly version?: 'TLSv1.2' | 'TLSv1.3';
  readonly suite?: number;
  /** Tickets per handshake (server); default 2, like Node's tls. */
  readonly ticketCount?: number;
  readonly resume?: boolean;
  /** Key exchange groups of both sides (default x25519 only). */
  readonly groups?: readonly number[];
}

export function suiteName(id: number): string {
  for (const [k, v] of Object.entries(CipherSuite)) if (v === id) return k;
  return `0x${id.toString(16)}`;
}

/** A server and a client for `cert`, x25519 only unless `o.groups` says otherwise. */
export function makePair(cert: BenchCert, o: PairOptions = {}): OursPair {
  const common = {
    groups: o.groups ?? [NamedGroup.x25519],
    ...(o.provider !== undefined ? { provider: o.provider } : {}),
    ...(o.version !== undefined ? { minVersion: o.version, maxVersion: o.version } : {}),
    ...(o.suite !== undefined ? { cipherSuites: [o.suite] } : {}),
  };
  const server = new TlsServer({ ...common, certificates: [{ cert: cert.cert, key: cert.key }], ticketCount: o.ticketCount ?? 2 });
  // TLS 1.2 (RFC 8422 §5.1): an ECDSA P-256 certificate needs P-256 among the client's groups; x25519 stays first, as
  // Node's client does in its row.
  const clientGroups = o.version === 'TLSv1.2' ? { groups: [NamedGroup.x25519, NamedGroup.secp256r1] } : {};
  const client = new TlsClient({ ...common, ...clientGroups, ca: cert.ca, servername: 'localhost' });
  client.resume = o.resume ?? false;
  return { server, client };
}

/** A pair with the X25519MLKEM768 group only and the WebAssembly ML-KEM (what `sspi-tls serve` uses). */
export async function makeHybridPair(cert: BenchCert): Promise<OursPair> {
  return makePair(cert, { groups: [NamedGroup.X25519MLKEM768], provider: new NodeCryptoProvider({ mlkem: await loadMlKem768Wasm() }) });
}

/** Time (ns) spent in each side's calls. */
export interface SideTimes {
  server: bigint;
  client: bigint;
}

const now = process.hrtime.bigint;

/**
 * One full handshake over memory: ClientHello → server flight → client Finished → server tickets → client. Returns
 * the established pair. When `t` is given, adds each side's time to it.
 */
export function handshake(p: OursPair, t?: SideTimes): { c: TlsConnection; s: TlsConnection } {
  let t0 = now();
  const c = p.client.connect();
  let t1 = now();
  const s = p.server.accept();
  let t2 = now();
  let toServer = c.takeOutput();
  let t3 = now();
  if (t !== undefined) {
    t.client += t1 - t0 + (t3 - t2);
    t.server += t2 - t1;
  }
  for (let i = 0; i < 8 && (toServer.length > 0 || !c.isHandshakeComplete || !s.isHandshakeComplete); i++) {
    t0 = now();
    if (toServer.length > 0) s.receive(toServer);
    const toClient = s.takeOutput();
    t1 = now();
    if (toClient.length > 0) c.receive(toClient);
    toServer = c.takeOutput();
    t2 = now();
    if (t !== undefined) {
      t.server += t1 - t0;
      t.client += t2 - t1;
    }
    if (toClient.length === 0 && toServer.length === 0) break;
  }
  if (!c.isHandshakeComplete || !s.isHandshakeComplete) throw new Error('handshake did not complete');
  return { c, s };
}
