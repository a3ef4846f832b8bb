/**
 * Golden transcripts: our client against our server, each with a seeded provider and a fixed clock, with fixed
 * Ed25519 identities (test/helpers/fixed-identity.ts; Ed25519 signatures are deterministic), so every byte of
 * every flight is the same on every run. Each scenario pins the flights' directions and lengths and a SHA-256 over
 * all of them: a refactor that changes anything on the wire fails here, loudly, with the new listing printed.
 * (Issue 13: written before src/engine/connection.ts was split, to keep the split byte-for-byte.)
 *
 * Re-pin deliberately only: `GOLDEN_PRINT=1 node scripts/run-tests.mjs golden` prints the listings.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { TlsClient, TlsServer, type TlsConnection } from '../../src/api/connection.js';
import type { ClientOptions, ServerOptions } from '../../src/vocabulary/options.js';
import { CipherSuite, NamedGroup } from '../../src/wire/registry.js';
import { DeterministicProvider } from '../helpers/deterministic-provider.js';
import { fixedIdentities } from '../helpers/fixed-identity.js';

const NOW = Date.UTC(2026, 0, 1);
const ids = fixedIdentities();
const serverCert = { cert: [ids.server.certDer], key: ids.server.keyDer };
const clientCert = { cert: [ids.client.certDer], key: ids.client.keyDer };

interface Flight {
  readonly from: 'c' | 's';
  readonly bytes: Uint8Array;
}

/** Move flights until both sides are quiet; record each. */
function run(c: TlsConnection, s: TlsConnection, flights: Flight[]): void {
  for (let i = 0; i < 20; i++) {
    const a = c.takeOutput();
    if (a.length > 0) {
      flights.push({ from: 'c', bytes: a });
      s.receive(a);
    }
    const b = s.takeOutput();
    if (b.length > 0) {
      flights.push({ from: 's', bytes: b });
      c.receive(b);
    }
    if (a.length === 0 && b.length === 0) return;
  }
  assert.fail('no quiet point after 20 rounds');
}

/** A handshake, one message each way, and close_notify both ways. */
function session(c: TlsConnection, s: TlsConnection, flights: Flight[]): void {
  run(c, s, flights);
  assert.equal(c.isHandshakeComplete && s.isHandshakeComplete, true, 'handshake complete');
  c.write(new TextEncoder().encode('ping'));
  run(c, s, flights);
  s.write(new TextEncoder().encode('pong'));
  run(c, s, flights);
  c.close();
  run(c, s, flights);
  s.close();
  run(c, s, flights);
}

function listing(flights: readonly Flight[]): { lines: string[]; digest: string } {
  const h = createHash('sha256');
  const lines = flights.map((f) => {
    h.update(f.from).update(String(f.bytes.length)).update(f.bytes);
    return `${f.from === 'c' ? 'c>s' : 's>c'} ${f.bytes.length}`;
  });
  return { lines, digest: h.digest('hex') };
}

function pair(seed: string, server: Partial<ServerOptions>, client: ClientOptions): { tlsServer: TlsServer; tlsClient: TlsClient } {
  const tlsServer = new TlsServer({
    certificates: [serverCert],
    provider: new DeterministicProvider({ seed: `${seed}/server`, now: NOW }),
    groups: [NamedGroup.x25519, NamedGroup.secp256r1],
    ...server,
  });
  const tlsClient = new TlsClient({
    servername: 'golden.test',
    ca: [ids.root.certDer],
    provider: new DeterministicProvider({ seed: `${seed}/client`, now: NOW }),
    groups: [NamedGroup.x25519, NamedGroup.secp256r1],
    ...client,
  });
  return { tlsServer, tlsClient };
}

interface Golden {
  readonly lines: readonly string[];
  readonly digest: string;
}

const SCENARIOS: Record<string, { readonly make: () => Flight[]; readonly golden: Golden }> = {
  'TLS 1.3 full handshake, x25519, AES-128-GCM, ALPN, data and close': {
    make() {
      const { tlsServer, tlsClient } = pair('full13', { ALPNProtocols: ['h2', 'http/1.1'] }, { ALPNProtocols: ['http/1.1'], cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256] });
      const f: Flight[] = [];
      session(tlsClient.connect(), tlsServer.accept(), f);
      return f;
    },
    golden: {
      lines: ['c>s 246', 's>c 633', 'c>s 64', 's>c 308', 'c>s 26', 's>c 26', 'c>s 24', 's>c 24'],
      digest: 'e1f5948785d1aecebe5fb186e844ce84af5f9416bd7707adc3117edee0c4b8d3',
    },
  },
  'TLS 1.3 HelloRetryRequest (client shares P-256, server takes x25519 only), ChaCha20-Poly1305': {
    make() {
      const { tlsServer, tlsClient } = pair(
        'hrr13',
        { groups: [NamedGroup.x25519] },
        { keyShareGroups: [NamedGroup.secp256r1], cipherSuites: [CipherSuite.TLS_CHACHA20_POLY1305_SHA256] },
      );
      const f: Flight[] = [];
      session(tlsClient.connect(), tlsServer.accept(), f);
      return f;
    },
    golden: {
      lines: ['c>s 264', 's>c 137', 'c>s 275', 's>c 612', 'c>s 58', 's>c 292', 'c>s 26', 's>c 26', 'c>s 24', 's>c 24'],
      digest: '45655aebd5636d6fca416befabf1ab8539d413e6b4b691ca9b6369bb744b7531',
    },
  },
  'TLS 1.3 resumption with a ticket (psk_dhe_ke), AES-256-GCM': {
    make() {
      const { tlsServer, tlsClient } = pair('resume13', {}, { cipherSuites: [CipherSuite.TLS_AES_256_GCM_SHA384] });
      const f: Flight[] = [];
      session(tlsClient.connect(), tlsServer.accept(), f);
      const second = tlsClient.connect();
      const s2 = tlsServer.accept();
      session(second, s2, f);
      assert.equal(second.engine.info?.resumed, true);
      return f;
    },
    golden: {
      lines: ['c>s 231', 's>c 634', 'c>s 80', 's>c 324', 'c>s 26', 's>c 26', 'c>s 24', 's>c 24', 'c>s 427', 's>c 219', 'c>s 80', 's>c 324', 'c>s 26', 's>c 26', 'c>s 24', 's>c 24'],
      digest: '2a30394727aa7d3e95118bf64b36214c895b7ae955ff37c6af2ff1c21a4415f0',
    },
  },
  'TLS 1.3 mutual authentication (Ed25519 client certificate)': {
    make() {
      const { tlsServer, tlsClient } = pair('mutual13', { requestCert: true, ca: [ids.root.certDer] }, { clientCertificate: clientCert });
      const f: Flight[] = [];
      const s = tlsServer.accept();
      session(tlsClient.connect(), s, f);
      assert.equal(s.engine.info?.peerCertificates.length, 1);
      return f;
    },
    golden: {
      lines: ['c>s 251', 's>c 681', 'c>s 459', 's>c 918', 'c>s 26', 's>c 26', 'c>s 24', 's>c 24'],
      digest: 'e0275545fafa1ef418201f32cd9c12b4571b3208072827d5d82e4eea91e87e3c',
    },
  },
  'TLS 1.2 ECDHE (x25519) with an Ed25519 certificate, AES-128-GCM, session ticket': {
    make() {
      const { tlsServer, tlsClient } = pair('full12', {}, { maxVersion: 'TLSv1.2' });
      const f: Flight[] = [];
      const c = tlsClient.connect();
      session(c, tlsServer.accept(), f);
      assert.equal(c.engine.info?.version, 'TLSv1.2');
      return f;
    },
    golden: {
      lines: ['c>s 152', 's>c 558', 'c>s 93', 's>c 199', 'c>s 33', 's>c 33', 'c>s 31', 's>c 31'],
      digest: '4444234a2ba108fa366669f0fdab12ef72dfbb337aea4464513e10381981e677',
    },
  },
};

for (const [name, sc] of Object.entries(SCENARIOS)) {
  test(`golden transcript: ${name}`, () => {
    const first = listing(sc.make());
    const again = listing(sc.make());
    assert.deepEqual(again, first, 'the same scenario twice gives the same bytes (determinism)');
    if (process.env['GOLDEN_PRINT'] === '1') console.log(JSON.stringify({ name, ...first }));
    assert.deepEqual({ lines: first.lines, digest: first.digest }, sc.golden, `the wire changed for '${name}': ${JSON.stringify(first)}`);
  });
}
