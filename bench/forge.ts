/**
 * node-forge's TLS (optional: `npm install --no-save node-forge`). Forge implements TLS 1.0/1.1 only, with
 * TLS_RSA_WITH_AES_128/256_CBC_SHA (RSA key transport): its best is TLS 1.1 with an RSA-2048 certificate, which
 * is what we run, forge client to forge server over memory, synchronously, verifying the chain.
 */
import type { BenchCert } from './certs.js';

/** The parts of node-forge we use. */
export interface Forge {
  pki: {
    certificateFromPem(pem: string): unknown;
    privateKeyFromPem(pem: string): unknown;
    createCaStore(certs: unknown[]): unknown;
  };
  tls: {
    createConnection(o: Record<string, unknown>): ForgeConn;
    CipherSuites: Record<string, unknown>;
  };
}
interface ForgeConn {
  handshake(): void;
  process(data: string): number;
  tlsData: { getBytes(): string; length(): number };
  isConnected: boolean;
  close(): void;
}

export async function loadForge(): Promise<Forge | undefined> {
  try {
    const spec = 'node-forge';
    const m = (await import(spec)) as { default?: Forge } & Forge;
    return m.default ?? m;
  } catch {
    return undefined;
  }
}

const prepared = new WeakMap<BenchCert, { cert: unknown; key: unknown; pem: string; keyPem: string; ca: unknown }>();

/** One forge-to-forge handshake in memory (RSA key transport, TLS 1.1, AES-128-CBC-SHA). */
export function forgeHandshake(forge: Forge, cert: BenchCert): void {
  let p = prepared.get(cert);
  if (p === undefined) {
    p = { cert: forge.pki.certificateFromPem(cert.cert), key: forge.pki.privateKeyFromPem(cert.key), pem: cert.cert, keyPem: cert.key, ca: forge.pki.createCaStore([cert.ca]) };
    prepared.set(cert, p);
  }
  const pp = p;
  const suites = [forge.tls.CipherSuites.TLS_RSA_WITH_AES_128_CBC_SHA];
  let toServer = '';
  let toClient = '';
  let err: unknown;
  let connected = 0;
  const server = forge.tls.createConnection({
    server: true,
    sessionCache: {},
    cipherSuites: suites,
    verifyClient: false,
    getCertificate: () => pp.pem,
    getPrivateKey: () => pp.keyPem,
    connected: () => connected++,
    tlsDataReady: (c: ForgeConn) => {
      toClient += c.tlsData.getBytes();
    },
    dataReady: () => {},
    closed: () => {},
    error: (_c: unknown, e: unknown) => {
      err = e;
    },
  });
  const client = forge.tls.createConnection({
    server: false,
    caStore: pp.ca,
    sessionCache: {},
    cipherSuites: suites,
    virtualHost: 'localhost',
    verify: (_c: unknown, verified: unknown) => verified,
    connected: () => connected++,
    tlsDataReady: (c: ForgeConn) => {
      toServer += c.tlsData.getBytes();
    },
    dataReady: () => {},
    closed: () => {},
    error: (_c: unknown, e: unknown) => {
      err = e;
    },
  });
  client.handshake();
  for (let i = 0; i < 10 && connected < 2 && err === undefined; i++) {
    if (toServer.length > 0) {
      const d = toServer;
      toServer = '';
      server.process(d);
    }
    if (toClient.length > 0) {
      const d = toClient;
      toClient = '';
      client.process(d);
    }
  }
  if (err !== undefined) throw new Error(`forge: ${JSON.stringify(err)}`);
  if (connected < 2) throw new Error('forge: handshake did not complete');
}
