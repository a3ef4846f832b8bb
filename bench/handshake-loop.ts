/**
 * Handshake workloads for instruction counts (bench/record-loop.ts runs them, bench/instr.ts counts them): issue 18
 * item 5, our full TLS 1.3 handshake ÷ the node:crypto calls it makes, in instructions instead of wall-clock time.
 *
 *   hs-pair-<kind>    one full pair through the idiomatic API over memory (bench/ours.ts handshake)
 *   hs-floor-<kind>   the recorded node:crypto calls of both sides replayed bare (bench/crypto-floor.ts)
 *   hs-server-<kind>  our server alone: accept, the client's recorded ClientHello, the client's recorded Finished
 *   hs-sfloor-<kind>  the server's recorded node:crypto calls replayed bare
 *
 * kind: ecdsa (P-256) | rsa (2048, rsa_pss_rsae_sha256). x25519, AES-128-GCM, 2 tickets, as in `npm run bench`.
 *
 * The server-only loop needs a server whose flight is the same every time, so that one recorded client flight
 * finishes every handshake: its provider draws its random bytes from node:crypto as usual (same cost, same 4 KiB
 * pool) but hands out fixed bytes, and its signing key signs every time (same cost) but returns the first signature it made for
 * the same input (ECDSA and PSS signatures are randomised; the first one is valid for the same transcript). Both
 * only make the server's cost a little higher (a wrapper call per random draw and per signature).
 *
 * Certificates: from the JSON file named by SSPI_TLS_BENCH_CERTS when set (bench/instr.ts makes them once, so the
 * runs at n and 2n use the same keys), else made fresh.
 */
import { readFileSync } from 'node:fs';
import { NodeCryptoProvider } from '../src/index.js';
import { pooledRandom } from '../src/crypto/node-provider.js';
import type { SigningKey } from '../src/crypto/provider.js';
import { makeCerts, type BenchCert, type KeyKind } from './certs.js';
import { prepareReplay, recordHandshake } from './crypto-floor.js';
import { handshake, makePair } from './ours.js';

/** A provider whose server flight repeats: fixed random bytes (still drawn), the first signature per input. */
class RepeatableProvider extends NodeCryptoProvider {
  constructor() {
    // Drawn as the provider's own pool draws them (crypto/node-provider.ts pooledRandom), then overwritten.
    const draw = pooledRandom();
    super({ randomBytes: (n) => draw(n).fill(0x5a) });
  }
  override loadSigningKey(key: string | Uint8Array): SigningKey {
    const k = super.loadSigningKey(key);
    const first = new Map<string, Uint8Array>();
    return {
      algorithm: k.algorithm,
      bits: k.bits,
      spki: k.spki,
      sign: (scheme, data) => {
        const sig = k.sign(scheme, data);
        const id = `${scheme}:${Buffer.from(data).toString('hex')}`;
        const seen = first.get(id);
        if (seen !== undefined) return seen;
        first.set(id, sig);
        return sig;
      },
    };
  }
}

export function benchCerts(): Record<KeyKind, BenchCert> {
  const file = process.env['SSPI_TLS_BENCH_CERTS'];
  if (file !== undefined && file !== '') return JSON.parse(readFileSync(file, 'utf8')) as Record<KeyKind, BenchCert>;
  return makeCerts();
}

/** One operation of workload `what` for `kind` (one handshake, or one replay of its node:crypto calls). */
export function handshakeOp(what: string, kind: KeyKind): () => void {
  const cert = benchCerts()[kind];
  switch (what) {
    case 'pair': {
      const pair = makePair(cert);
      return () => {
        handshake(pair);
      };
    }
    case 'floor':
    case 'sfloor': {
      const rec = recordHandshake(cert);
      const srv = prepareReplay(rec.server, cert);
      if (what === 'sfloor') return srv;
      const cli = prepareReplay(rec.client, cert);
      return () => {
        srv();
        cli();
      };
    }
    case 'server': {
      const { server } = makePair(cert, { provider: new RepeatableProvider() });
      const { client } = makePair(cert);
      // Record the client's two flights against the repeatable server.
      const c = client.connect();
      const s = server.accept();
      const hello = c.takeOutput();
      s.receive(hello);
      c.receive(s.takeOutput());
      const finished = c.takeOutput();
      s.receive(finished);
      s.takeOutput();
      if (!s.isHandshakeComplete || !c.isHandshakeComplete) throw new Error('hs-server: recording did not complete');
      return () => {
        const t = server.accept();
        t.receive(hello);
        t.takeOutput();
        t.receive(finished);
        t.takeOutput();
        if (!t.isHandshakeComplete) throw new Error('hs-server: handshake did not complete');
      };
    }
    default:
      throw new Error(`unknown handshake workload ${what}`);
  }
}
