/**
 * Instructions per record under callgrind: the repeatable measure for small records and floods on a loaded
 * machine (wall-clock there varies 2–10× between runs; instruction counts repeat to well under 1 %).
 *
 *   npm run build && node dist/bench/instr.js [--n=2000] [--hs-n=200] [--only=small-ours-1,flood-node-empty,hs-api,…]
 *
 * Each workload of bench/record-loop.ts runs twice under `valgrind --tool=callgrind` (n and 2n operations, the
 * same preparation in both); (Ir(2n) − Ir(n)) / n is the instructions of one steady-state operation, all of the
 * process included (V8, node:crypto, OpenSSL, GC). Needs valgrind; about 10–30 s per run.
 *
 * The hs-* workloads (bench/handshake-loop.ts) count one full TLS 1.3 handshake and its crypto floor instead
 * (`--only=hs-pair-ecdsa,hs-floor-ecdsa,…`, `--hs-n=100`); they share one set of certificates across runs.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeCerts } from './certs.js';

const args = process.argv.slice(2);
const argVal = (k: string): string | undefined => args.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3);
const N = Number(argVal('n') ?? 2000);
/** Records per flood run: floods are received whole, and Node's tls costs so little per record that fewer would drown in the noise of the rest. */
const FLOOD_N = Number(argVal('flood-n') ?? 8 * N);
/** Handshakes per *-pair run (a pair costs ~10^7 instructions, so a few hundred repeat to well under 1 %). */
const PAIR_N = Number(argVal('pair-n') ?? 100);
const here = dirname(fileURLToPath(import.meta.url));

/** Handshake workloads (bench/handshake-loop.ts): instructions per handshake, HS_N and 2·HS_N of them. */
const HS = ['hs-pair-ecdsa', 'hs-floor-ecdsa', 'hs-server-ecdsa', 'hs-sfloor-ecdsa', 'hs-pair-rsa', 'hs-floor-rsa', 'hs-server-rsa', 'hs-sfloor-rsa'];
const HS_N = Number(argVal('hs-n') ?? 100);
const ALL = [
  'crypto-open',
  'small-ours-1', 'small-floor-1', 'small-node-1',
  'small-ours-100', 'small-floor-100', 'small-node-100',
  'flood-ours-empty', 'flood-floor-empty', 'flood-node-empty',
  'flood-ours-keyupdate', 'flood-floor-keyupdate', 'flood-node-keyupdate',
  'flood-ours-keyupdate-requested', 'flood-floor-keyupdate-requested', 'flood-node-keyupdate-requested',
  'msg-engine-16384', 'msg-sspi-16384', 'msg-engine-100', 'msg-sspi-100',
  'adapter-pair', 'api-pair', 'node-pair',
  ...HS,
  'hs-engine', 'hs-stage', 'hs-api', 'hs-sspi', 'hs-hybrid', 'hs-x25519', 'hs-server-hybrid',
];
const only = argVal('only')?.split(',') ?? ALL;
/**
 * V8 without background threads (compilation, GC marking and sweeping run on the main thread, at deterministic
 * points) and with a fixed GC schedule: otherwise when a background job lands moves the count by several %.
 */
const NODE_FLAGS = (argVal('node-flags') ?? '--single-threaded,--predictable-gc-schedule').split(',').filter((f) => f !== '');

/**
 * Handshake workloads: functions called once per handshake reach TurboFan only after a few thousand handshakes at
 * V8's default budget, so a short warm-up counts their compilation (measured: 0.6M of a server handshake's 3.3M
 * instructions 500 handshakes in). A smaller interrupt budget tiers them up within the warm-up (--trace-opt: no
 * compilation after ~1,000 handshakes); the steady-state code is the same. The *-pair workloads (adapter, API and
 * Node's pairs) get it too: at the default budget a third of their count 400 pairs in was still TurboFan.
 */
const HS_NODE_FLAGS = (argVal('hs-node-flags') ?? '--interrupt-budget=8192').split(',').filter((f) => f !== '');

/** One set of certificates for every handshake run (the n and 2n runs must sign with the same keys). */
let hsCerts: string | undefined;
function certsFile(): string {
  if (hsCerts === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'sspi-tls-instr-certs-'));
    hsCerts = join(dir, 'certs.json');
    writeFileSync(hsCerts, JSON.stringify(makeCerts()));
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return hsCerts;
}

/**
 * `--split`: also count, per run, the instructions spent in V8's compilers and in its garbage collector (self cost of
 * the native functions by name, from callgrind_annotate), and report per operation what is left without them. JIT
 * compilation and GC land in a given n-operation window unevenly (a tier-up or a major GC more or less), which at
 * n = 100 handshakes moves the total by several %; the rest repeats much more closely.
 */
const SPLIT = args.includes('--split');
const COMPILE = /v8::internal::(compiler::|maglev::|baseline::|interpreter::|Parser|Scanner|Compiler|Bytecode|AstNode|Zone)|v8::internal::wasm::/;
const GC = /v8::internal::(Heap::|MarkCompact|Scavenge|Sweeper|GlobalHandles|ConcurrentMarking|IncrementalMarking|ArrayBufferSweeper|Evacuat|Marking|MemoryAllocator|PagedSpace|NewSpace|SemiSpace|LargeObjectSpace|MemoryChunk|RememberedSet|SlotSet|TypedSlot|MinorMC|Young|Full|Mark|WeakObjects|EphemeronHashTable::)/;
interface Split { total: number; compile: number; gc: number }
const splits = new Map<string, Split>();

function splitOf(file: string, total: number): Split {
  const r = spawnSync('callgrind_annotate', ['--threshold=100', file], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  let compile = 0;
  let gc = 0;
  for (const line of r.stdout.split('\n')) {
    const m = /^\s*([\d,]+) \([^)]*\)\s+(.*)$/.exec(line);
    if (m === null || line.includes('PROGRAM TOTALS')) continue;
    const v = Number((m[1] as string).replace(/,/g, ''));
    const name = m[2] as string;
    if (COMPILE.test(name)) compile += v;
    else if (GC.test(name)) gc += v;
  }
  return { total, compile, gc };
}

function instructions(workload: string, n: number, prepared: number): number {
  const dir = mkdtempSync(join(tmpdir(), 'sspi-tls-instr-'));
  try {
    const env = workload.startsWith('hs-') ? { ...process.env, SSPI_TLS_BENCH_CERTS: certsFile() } : process.env;
    const r = spawnSync('valgrind', [
      '--tool=callgrind', '--smc-check=all-non-file', `--callgrind-out-file=${join(dir, 'out')}`,
      process.execPath, ...NODE_FLAGS, ...(workload.startsWith('hs-') || workload.endsWith('-pair') ? HS_NODE_FLAGS : []), join(here, 'record-loop.js'), workload, String(n), String(prepared),
    ], { encoding: 'utf8', env });
    const m = /Collected : (\d+)/.exec(r.stderr);
    if (r.status !== 0 || m === null) throw new Error(`${workload}: valgrind failed\n${r.stderr.slice(-2000)}`);
    const total = Number(m[1]);
    if (SPLIT) splits.set(`${workload}:${n}`, splitOf(join(dir, 'out'), total));
    return total;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const perOp = new Map<string, number>();
for (const w of only) {
  // Floods are received whole (FLOOD_RECORDS records each); n and 2n are rounded up to floods by the loop, so
  // divide by the records actually received.
  const n = w.startsWith('flood-') ? FLOOD_N : w.startsWith('hs-') ? HS_N : w.endsWith('-pair') ? PAIR_N : N;
  const a = instructions(w, n, 2 * n);
  const b = instructions(w, 2 * n, 2 * n);
  const records = w.startsWith('flood-') ? floodRecords(2 * n) - floodRecords(n) : n;
  const v = (b - a) / records;
  perOp.set(w, v);
  process.stderr.write(`${w}: ${Math.round(v)} instructions per ${w.startsWith('hs-') ? 'handshake' : w.endsWith('-pair') ? 'pair' : 'record'}\n`);
  const sa = splits.get(`${w}:${n}`);
  const sb = splits.get(`${w}:${2 * n}`);
  if (sa !== undefined && sb !== undefined) {
    const c = (sb.compile - sa.compile) / records;
    const g = (sb.gc - sa.gc) / records;
    perOp.set(`${w}:rest`, v - c - g);
    process.stderr.write(`${w}: of which JIT compilation ${Math.round(c)}, GC ${Math.round(g)}, the rest ${Math.round(v - c - g)}\n`);
  }
}

function floodRecords(n: number): number {
  const FLOOD_RECORDS = 32 * 17;
  return Math.ceil(n / FLOOD_RECORDS) * FLOOD_RECORDS;
}

const fmt = (x: number | undefined): string => (x === undefined ? '–' : Math.round(x).toLocaleString('en-US'));
const ratio = (a: number | undefined, b: number | undefined): string => (a === undefined || b === undefined ? '–' : `${(a / b).toFixed(2)}×`);
if (only.some((w) => w.startsWith('small-') || w.startsWith('flood-'))) {
  process.stdout.write(`| workload (instructions per record, n=${N}, floods ${FLOOD_N}) | ours | node:crypto floor | Node's tls | ours ÷ Node's | ours ÷ floor | floor ÷ Node's |\n|---|---|---|---|---|---|---|\n`);
}
for (const [label, key] of [['1-byte records', 'small-%-1'], ['100-byte records', 'small-%-100'], ['zero-length flood', 'flood-%-empty'], ['KeyUpdate flood', 'flood-%-keyupdate']] as const) {
  const o = perOp.get(key.replace('%', 'ours'));
  const f = perOp.get(key.replace('%', 'floor'));
  const nd = perOp.get(key.replace('%', 'node'));
  if (o === undefined && f === undefined && nd === undefined) continue;
  process.stdout.write(`| ${label} | ${fmt(o)} | ${fmt(f)} | ${fmt(nd)} | ${ratio(o, nd)} | ${ratio(o, f)} | ${ratio(f, nd)} |\n`);
}
for (const size of [16384, 100]) {
  const e = perOp.get(`msg-engine-${size}`);
  const sp = perOp.get(`msg-sspi-${size}`);
  if (e !== undefined && sp !== undefined) process.stdout.write(`\n${size}-byte records, SSPI EncryptMessage + DecryptMessage ÷ engine sealRecordParts + process: ${fmt(sp)} ÷ ${fmt(e)} instructions = ${((sp / e - 1) * 100).toFixed(1)} % over the engine\n`);
}
{
  const ad = perOp.get('adapter-pair');
  const api = perOp.get('api-pair');
  const nd = perOp.get('node-pair');
  if (ad !== undefined || api !== undefined || nd !== undefined) {
    process.stdout.write(`\n| instructions per pair (TLS 1.3 handshake + 2 tickets, n=${PAIR_N}) | TlsDuplex pair (shared) | idiomatic API pair | Node's tls pair | adapter ÷ API | adapter ÷ Node's | Node's ÷ adapter |\n|---|---|---|---|---|---|---|\n`);
    process.stdout.write(`| memory Duplex pair, ECDSA P-256, x25519 | ${fmt(ad)} | ${fmt(api)} | ${fmt(nd)} | ${ratio(ad, api)} | ${ratio(ad, nd)} | ${ratio(nd, ad)} |\n`);
  }
}
{
  const api = perOp.get('hs-api');
  const sspi = perOp.get('hs-sspi');
  const eng = perOp.get('hs-engine');
  const stage = perOp.get('hs-stage');
  if (stage !== undefined) process.stdout.write(`\nSSPI's engine path without the SSPI functions (hs-stage): ${fmt(stage)} instructions; SSPI functions and descriptors on top: ${fmt(sspi !== undefined ? sspi - stage : undefined)}\n`);
  if (api !== undefined || sspi !== undefined || eng !== undefined) {
    process.stdout.write(`\n| full TLS 1.3 handshake pair (instructions, n=${HS_N}) | engine | idiomatic API | SSPI ISC/ASC | SSPI ÷ API | API ÷ engine | SSPI ÷ engine |\n|---|---|---|---|---|---|---|\n`);
    process.stdout.write(`| ECDSA P-256, x25519 | ${fmt(eng)} | ${fmt(api)} | ${fmt(sspi)} | ${ratio(sspi, api)} | ${ratio(api, eng)} | ${ratio(sspi, eng)} |\n`);
  }
}
{
  const hy = perOp.get('hs-hybrid');
  const x = perOp.get('hs-x25519');
  if (hy !== undefined || x !== undefined) {
    process.stdout.write(`\n| full TLS 1.3 handshake pair, ECDSA P-256 (instructions, n=${HS_N}) | X25519MLKEM768 (WebAssembly ML-KEM) | x25519 | hybrid ÷ x25519 (target ≤ 1.5×) |\n|---|---|---|---|\n`);
    process.stdout.write(`| idiomatic API pair | ${fmt(hy)} | ${fmt(x)} | ${ratio(hy, x)} |\n`);
  }
  const hys = perOp.get('hs-server-hybrid');
  const xs = perOp.get('hs-server-ecdsa');
  if (hys !== undefined) {
    process.stdout.write(`\n| our server alone, ECDSA P-256 (instructions, n=${HS_N}) | X25519MLKEM768 (WebAssembly ML-KEM) | x25519 (hs-server-ecdsa) | hybrid ÷ x25519 (target ≤ 1.3×) |\n|---|---|---|---|\n`);
    process.stdout.write(`| server handshake | ${fmt(hys)} | ${fmt(xs)} | ${ratio(hys, xs)} |\n`);
  }
}
if (perOp.has('crypto-open')) process.stdout.write(`\ncreateDecipheriv + setAAD + setAuthTag + update + final alone: ${fmt(perOp.get('crypto-open'))} instructions per record\n`);
if (HS.some((w) => perOp.has(w))) {
  process.stdout.write(`\n| TLS 1.3 full handshake (instructions per handshake, n=${HS_N}) | ours | node:crypto floor | ours ÷ floor |\n|---|---|---|---|\n`);
  for (const kind of ['ecdsa', 'rsa']) {
    const label = kind === 'ecdsa' ? 'ECDSA P-256' : 'RSA-2048';
    for (const [side, o, f] of [['pair', 'pair', 'floor'], ['server', 'server', 'sfloor']] as const) {
      const a = perOp.get(`hs-${o}-${kind}`);
      const b = perOp.get(`hs-${f}-${kind}`);
      if (a === undefined && b === undefined) continue;
      process.stdout.write(`| ${label}, ${side} | ${fmt(a)} | ${fmt(b)} | ${ratio(a, b)} |\n`);
      const ar = perOp.get(`hs-${o}-${kind}:rest`);
      const br = perOp.get(`hs-${f}-${kind}:rest`);
      if (ar !== undefined || br !== undefined) process.stdout.write(`| ${label}, ${side}, without JIT compilation and GC | ${fmt(ar)} | ${fmt(br)} | ${ratio(ar, br)} |\n`);
    }
  }
}
