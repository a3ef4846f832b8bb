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
 * Allocation (issue 18, round 3): `node dist/bench/handshake-loop.js alloc <what> <kind> [n] [top]` runs 1,500
 * warm-up operations, then n (default 2,000) under V8's sampling heap profiler with objects collected by minor
 * and major GCs included, and prints the bytes allocated per operation, in total and by allocating function.
 *
 * Certificates: from the JSON file named by SSPI_TLS_BENCH_CERTS when set (bench/instr.ts makes them once, so the
 * runs at n and 2n use the same keys), else made fresh.
 */
import { readFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { fileURLToPath } from 'node:url';
import { NamedGroup, NodeCryptoProvider, type TlsClient } from '../src/index.js';
import type { Kem } from '../src/crypto/hybrid.js';
import { loadMlKem768Wasm } from '../src/crypto/mlkem-wasm.js';
import { pooledRandom } from '../src/crypto/node-provider.js';
import type { SigningKey } from '../src/crypto/provider.js';
import { makeCerts, type BenchCert, type KeyKind } from './certs.js';
import { prepareReplay, recordHandshake } from './crypto-floor.js';
import { handshake, makeHybridPair, makePair } from './ours.js';

/**
 * A provider whose server flight repeats: fixed random bytes (still drawn), the first signature per input, and with
 * `mlkem` (a backend that draws its own randomness) the first encapsulation per encapsulation key.
 */
class RepeatableProvider extends NodeCryptoProvider {
  constructor(mlkem?: Kem) {
    // Drawn as the provider's own pool draws them (crypto/node-provider.ts pooledRandom), then overwritten.
    const draw = pooledRandom();
    super({ randomBytes: (n) => draw(n).fill(0x5a), ...(mlkem !== undefined ? { mlkem: repeatableKem(mlkem) } : {}) });
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

/**
 * An ML-KEM whose encapsulation repeats: every call encapsulates (same cost), and the result of the first call for
 * an encapsulation key is what every later call for that key returns (a server replaying one recorded ClientHello
 * then sends the same flight every time, so one recorded client Finished completes every handshake).
 */
function repeatableKem(k: Kem): Kem {
  const first = new Map<string, { cipherText: Uint8Array; sharedSecret: Uint8Array }>();
  const remember = (publicKey: Uint8Array, cipherText: Uint8Array, sharedSecret: Uint8Array): { cipherText: Uint8Array; sharedSecret: Uint8Array } => {
    const id = Buffer.from(publicKey.subarray(0, 64)).toString('hex');
    const seen = first.get(id);
    if (seen !== undefined) return seen;
    const r = { cipherText: cipherText.slice(), sharedSecret: sharedSecret.slice() };
    first.set(id, r);
    return r;
  };
  return {
    publicKeyLen: k.publicKeyLen,
    cipherTextLen: k.cipherTextLen,
    usesCallerRandomness: k.usesCallerRandomness,
    keygen: (seed) => k.keygen(seed),
    decapsulate: (ct, sk) => k.decapsulate(ct, sk),
    checkPublicKey: (pk) => k.checkPublicKey(pk),
    encapsulate: (pk, msg) => {
      const r = k.encapsulate(pk, msg);
      const kept = remember(pk, r.cipherText, r.sharedSecret);
      return { cipherText: kept.cipherText.slice(), sharedSecret: kept.sharedSecret.slice() };
    },
    encapsulateInto: (pk, msg, out) => {
      const ss = k.encapsulateInto !== undefined ? k.encapsulateInto(pk, msg, out) : k.encapsulate(pk, msg).sharedSecret;
      const kept = remember(pk, out.subarray(0, k.cipherTextLen), ss);
      out.set(kept.cipherText);
      return kept.sharedSecret.slice();
    },
  };
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
    case 'server':
      return serverOp(cert, new RepeatableProvider(), makePair(cert).client);
    default:
      throw new Error(`unknown handshake workload ${what}`);
  }
}

/**
 * Our server alone, replaying one recorded ClientHello and the client's recorded Finished against a server whose
 * flight repeats (RepeatableProvider). `client` records them once.
 */
function serverOp(cert: BenchCert, provider: RepeatableProvider, client: TlsClient, groups?: readonly number[]): () => void {
  const { server } = makePair(cert, { provider, ...(groups !== undefined ? { groups } : {}) });
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

/**
 * hs-server-hybrid: our server alone with X25519MLKEM768 and the WebAssembly ML-KEM (ECDSA P-256), as hs-server-ecdsa
 * is with x25519: issue 18 item 1's server side in instructions.
 */
export async function hybridServerOp(): Promise<() => void> {
  const cert = benchCerts().ecdsa;
  const { client } = await makeHybridPair(cert);
  return serverOp(cert, new RepeatableProvider(await loadMlKem768Wasm()), client, [NamedGroup.X25519MLKEM768]);
}

interface SampleNode {
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly selfSize: number;
  readonly children: readonly SampleNode[];
}

/** Bytes allocated per operation of `op` (every object, collected or not), in total and by function. */
export async function allocationPerOp(op: () => void, n: number, warmUp = 1500): Promise<{ total: number; byFunction: Map<string, number> }> {
  for (let i = 0; i < warmUp; i++) op();
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object): Promise<unknown> =>
    new Promise((resolve, reject) => session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))));
  await post('HeapProfiler.enable');
  await post('HeapProfiler.startSampling', { samplingInterval: 128, includeObjectsCollectedByMinorGC: true, includeObjectsCollectedByMajorGC: true });
  for (let i = 0; i < n; i++) op();
  const { profile } = (await post('HeapProfiler.stopSampling')) as { profile: { head: SampleNode } };
  session.disconnect();
  const byFunction = new Map<string, number>();
  let total = 0;
  const walk = (node: SampleNode): void => {
    const f = node.callFrame;
    if (node.selfSize > 0) {
      const name = `${f.functionName === '' ? '(anonymous)' : f.functionName} ${f.url.replace(/^.*\/dist\//, '')}:${f.lineNumber + 1}`;
      total += node.selfSize;
      byFunction.set(name, (byFunction.get(name) ?? 0) + node.selfSize);
    }
    for (const c of node.children) walk(c);
  };
  walk(profile.head);
  for (const [k, v] of byFunction) byFunction.set(k, v / n);
  return { total: total / n, byFunction };
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1] && process.argv[2] === 'alloc') {
  const [, , , what = 'server', kind = 'ecdsa', nArg = '2000', topArg = '30'] = process.argv;
  const { total, byFunction } = await allocationPerOp(handshakeOp(what, kind as KeyKind), Number(nArg));
  console.log(`hs-${what}-${kind}: ${Math.round(total)} bytes allocated per operation (n = ${nArg})`);
  for (const [k, v] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, Number(topArg))) console.log(`${String(Math.round(v)).padStart(8)}  ${k}`);
}
