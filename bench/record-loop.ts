/**
 * One fixed workload per process, for instruction counts under callgrind (bench/instr.ts runs it):
 *
 *   node dist/bench/record-loop.js <workload> <n> [<prepared>]
 *
 * Every workload prepares the same things whatever `n` is (certificates, connections, floods), warms up, then does
 * `n` operations. Running it at n and 2n under callgrind and subtracting gives the instructions of n steady-state
 * operations, without start-up, set-up or JIT warm-up: on a loaded machine these counts repeat to a fraction of a
 * percent where wall-clock time varies 2–10×.
 *
 * Workloads (an operation is one record received, except `small-*`: one record written and received):
 *   small-ours-<bytes>   idiomatic API, client write → takeOutput → server receive ('data')
 *   small-floor-<bytes>  bare node:crypto seal + open of the same record (bench/small.ts rawSmall)
 *   small-node-<bytes>   Node's tls pair over memory, one write per record
 *   flood-ours-<kind>    our TlsConnection server receiving a flood (kind: empty | keyupdate | keyupdate-requested), per record
 *   flood-floor-<kind>   bare node:crypto calls opening the same flood
 *   flood-node-<kind>    Node's TLSSocket server receiving the same flood
 *   msg-engine-<bytes>   engine sealRecordParts into a send buffer + process one record (the SSPI row's reference)
 *   msg-sspi-<bytes>     SSPI EncryptMessage + DecryptMessage of the same record in place
 *   crypto-open          only a createDecipheriv + setAAD + setAuthTag + update + final per record (1-byte record)
 *   adapter-pair         one TlsDuplex pair over a memory Duplex pair, shared TlsServer / TlsClient (bench/adapter.ts)
 *   conn-pair            the same with key/cert and ca options per connection (through the default adapter's prepared
 *                        configurations, as the bench's per-connection row)
 *   api-pair             the same handshake (same TlsServer / TlsClient) through the idiomatic API, no streams
 *   node-pair            one Node's tls pair over the same memory Duplex pair, shared SecureContexts
 * (an operation of the *-pair workloads is one full TLS 1.3 handshake with its two tickets, after PAIR_WARM ones)
 *   hs-<what>-<kind>     one full TLS 1.3 handshake or its crypto floor (bench/handshake-loop.ts; an operation is one
 *                        handshake)
 *   hs-api               one full TLS 1.3 handshake pair through the idiomatic API (bench/ours.ts handshake), per pair
 *   hs-sspi              the same pair through the InitializeSecurityContext / AcceptSecurityContext loops (bench/sspi.ts)
 *   hs-engine            the same pair on bare engines (start / process), the floor under both
 *   hs-stage             the engines SSPI drives (src/sspi/engine-port.ts: the server from its hello stage, records run
 *                        with stopAfterHandshake, the client does not take the tickets, as ISC returns SEC_E_OK at
 *                        its Finished), with hs-api's configurations: hs-sspi minus the SSPI functions
 *   hs-hybrid            hs-api's pair with the X25519MLKEM768 group and the WebAssembly ML-KEM (issue 18 item 1)
 *   hs-x25519            hs-api's pair (x25519 only), checked to negotiate x25519: what hs-hybrid is compared with
 *   hs-server-hybrid     hs-server-ecdsa with X25519MLKEM768 and the WebAssembly ML-KEM (bench/handshake-loop.ts)
 */
import { CipherSuite } from '../src/index.js';
import { oursEngine } from './bulk.js';
import { makeCerts } from './certs.js';
import { loadSspi, sspiBulk, sspiHandshake } from './sspi.js';
import { handshake, makeHybridPair, makePair, type OursPair } from './ours.js';
import { createClientEngine, TlsEngine } from '../src/engine/connection.js';
import { STANDARD_DEPENDENCIES } from '../src/engine/standard.js';
import { newClientEngine, newServerEngine } from '../src/sspi/engine-port.js';
import { nodeContexts } from './node-tls.js';
import { adapterPair, apiPair, sharedFor } from './adapter.js';
import { destroyNode, nodeHandshake } from './node-tls.js';
import { handshakeOp, hybridServerOp } from './handshake-loop.js';
import { FLOOD_RECORDS, floodOpsFloor, floodOpsNode, floodOpsOurs, nodeSmallOps, oursSmall, rawOpenOnly, rawSmall } from './small.js';

const [workload = '', nArg = '0', preparedArg] = process.argv.slice(2);
const n = Number(nArg);
/** Floods prepared (connections + sealed bytes), the same in both runs of a pair whatever `n` is. */
const prepared = Number(preparedArg ?? nArg);
/** Warm-up operations before the counted ones: V8's JIT settles after a few thousand records. */
const WARM = 4000;
/** Warm-up floods (of FLOOD_RECORDS records each). */
const WARM_FLOODS = 8;
/**
 * Warm-up handshakes of the *-pair workloads: after 100, TurboFan still compiled ~25 % of a pair's instructions, and
 * after 400 at V8's default budget a third; 1,000 with bench/instr.ts's interrupt budget (as the hs-* workloads).
 */
const PAIR_WARM = 1000;
/** Warm-up handshakes before the counted ones (with bench/instr.ts's interrupt budget, JIT compilation is over by then). */
const HS_WARM = 1200;
/** Warm-up handshakes (each is ~40 records' worth of JIT-visible work). */
const WARM_HANDSHAKES = 300;

/**
 * A full handshake pair on bare engines (`start` / `process`, no API or SSPI layer): the client also takes the
 * server's tickets, as the idiomatic API's client does.
 */
function enginePair(p: OursPair): () => void {
  const clientConfig = { ...p.client.config, serverName: 'localhost' };
  return () => {
    const c = createClientEngine(clientConfig, STANDARD_DEPENDENCIES);
    const s = new TlsEngine(p.server.config, STANDARD_DEPENDENCIES);
    let toServer = c.start();
    for (let i = 0; i < 8 && toServer.length > 0; i++) {
      const toClient = s.process(toServer).output;
      toServer = toClient.length > 0 ? c.process(toClient).output : new Uint8Array(0);
    }
    if (!c.isEstablished || !s.isEstablished) throw new Error('engine handshake did not complete');
  };
}

/** hs-sspi's engine work without the SSPI functions: ClientHello → server flight → client Finished → tickets (not taken). */
function stagePair(p: OursPair): () => void {
  const clientConfig = { ...p.client.config, serverName: 'localhost' };
  const opts = { stopAfterHandshake: true };
  return () => {
    const c = newClientEngine(clientConfig);
    const s = newServerEngine(() => p.server.config);
    const flight = s.process(c.start(), opts).output;
    s.process(c.process(flight, opts).output, opts);
    if (!c.isEstablished || !s.isEstablished) throw new Error('stage handshake did not complete');
  };
}

async function main(): Promise<void> {
  const m = /^(small|flood)-(ours|floor|node)-([\w-]+)$/.exec(workload);
  if (workload === 'crypto-open') {
    const op = rawOpenOnly();
    for (let i = 0; i < WARM + n; i++) op();
    return;
  }
  const pairOf = /^(adapter|conn|api|node)-pair$/.exec(workload);
  if (pairOf !== null) {
    const cert = makeCerts().ecdsa;
    const shared = sharedFor(cert);
    const ctx = nodeContexts(cert);
    const op = pairOf[1] === 'adapter' ? () => adapterPair(cert, shared) : pairOf[1] === 'conn' ? () => adapterPair(cert) : pairOf[1] === 'api' ? async () => apiPair(shared) : async () => destroyNode(await nodeHandshake(ctx, 2));
    for (let i = 0; i < PAIR_WARM + n; i++) await op();
    return;
  }
  if (workload === 'hs-server-hybrid') {
    const op = await hybridServerOp();
    for (let i = 0; i < HS_WARM + n; i++) op();
    return;
  }
  const hs = /^hs-(pair|floor|server|sfloor)-(ecdsa|rsa)$/.exec(workload);
  if (hs !== null) {
    const op = handshakeOp(hs[1] as string, hs[2] as 'ecdsa' | 'rsa');
    for (let i = 0; i < HS_WARM + n; i++) op();
    return;
  }
  const hsPath = /^hs-(api|sspi|engine|stage|hybrid|x25519)$/.exec(workload);
  if (hsPath !== null) {
    // The same certificate and configuration in all three: ECDSA P-256, x25519, two tickets, no resumption.
    const cert = makeCerts().ecdsa;
    let op: (() => void) | undefined;
    if (hsPath[1] === 'api') {
      const pair = makePair(cert);
      op = () => void handshake(pair);
    } else if (hsPath[1] === 'hybrid' || hsPath[1] === 'x25519') {
      const pair = hsPath[1] === 'hybrid' ? await makeHybridPair(cert) : makePair(cert);
      const group = hsPath[1] === 'hybrid' ? 'X25519MLKEM768' : 'x25519';
      op = () => {
        if (handshake(pair).c.info?.groupName !== group) throw new Error(`${workload}: not ${group}`);
      };
    } else if (hsPath[1] === 'engine') {
      op = enginePair(makePair(cert));
    } else if (hsPath[1] === 'stage') {
      op = stagePair(makePair(cert));
    } else {
      const S = await loadSspi();
      if (S === undefined) throw new Error('src/sspi not available');
      op = sspiHandshake(S, cert);
    }
    if (op === undefined) throw new Error(`${workload}: not available`);
    for (let i = 0; i < WARM_HANDSHAKES + n; i++) op();
    return;
  }
  const msg = /^msg-(engine|sspi)-(\d+)$/.exec(workload);
  if (msg !== null) {
    const size = Number(msg[2]);
    const certs = makeCerts();
    let op: (() => number) | undefined;
    if (msg[1] === 'engine') op = oursEngine(makePair(certs.ecdsa, { suite: CipherSuite.TLS_AES_128_GCM_SHA256 }), size);
    else {
      const S = await loadSspi();
      if (S === undefined) throw new Error('src/sspi not available');
      op = sspiBulk(S, certs.ecdsa, 'aes-128-gcm', size);
    }
    if (op === undefined) throw new Error(`${workload}: not available`);
    for (let i = 0; i < WARM + n; i++) op();
    return;
  }
  if (m === null) throw new Error(`unknown workload ${workload}`);
  const [, what, who, arg] = m as unknown as [string, string, string, string];
  const certs = makeCerts();
  const pair = makePair(certs.ecdsa);
  const ctx = nodeContexts(certs.ecdsa);
  if (what === 'small') {
    const size = Number(arg);
    if (who === 'node') {
      await nodeSmallOps(ctx, size, WARM, n);
      return;
    }
    const op = who === 'ours' ? oursSmall(pair, size) : rawSmall(size);
    for (let i = 0; i < WARM + n; i++) op();
    return;
  }
  if (arg !== 'empty' && arg !== 'keyupdate' && arg !== 'keyupdate-requested') throw new Error(`flood kind ${arg}`);
  // Whole floods: n records rounded up to floods, received from `prepared` ones made in advance.
  const floods = Math.ceil(n / FLOOD_RECORDS);
  const ready = Math.max(floods, Math.ceil(prepared / FLOOD_RECORDS));
  const warm = WARM_FLOODS;
  if (who === 'ours') floodOpsOurs(pair, arg, warm, floods, ready);
  else if (who === 'floor') floodOpsFloor(pair, arg, warm, floods, ready);
  else await floodOpsNode(ctx, pair, arg, warm, floods, ready);
}

await main();
