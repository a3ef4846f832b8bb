/**
 * Instructions per record under callgrind: the repeatable measure for small records and floods on a loaded
 * machine (wall-clock there varies 2–10× between runs; instruction counts repeat to well under 1 %).
 *
 *   npm run build && node dist/bench/instr.js [--n=2000] [--hs-n=200] [--only=small-ours-1,flood-node-empty,hs-api,…]
 *
 * Each workload of bench/record-loop.ts runs twice under `valgrind --tool=callgrind` (n and 2n operations, the
 * same preparation in both); (Ir(2n) − Ir(n)) / n is the instructions of one steady-state operation, all of the
 * process included (V8, node:crypto, OpenSSL, GC). Needs valgrind; about 10–30 s per run.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const argVal = (k: string): string | undefined => args.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3);
const N = Number(argVal('n') ?? 2000);
/** Records per flood run: floods are received whole, and Node's tls costs so little per record that fewer would drown in the noise of the rest. */
const FLOOD_N = Number(argVal('flood-n') ?? 8 * N);
/** Handshake pairs per run (each is ~100× a record's instructions). */
const HS_N = Number(argVal('hs-n') ?? 200);
const here = dirname(fileURLToPath(import.meta.url));

const ALL = [
  'crypto-open',
  'small-ours-1', 'small-floor-1', 'small-node-1',
  'small-ours-100', 'small-floor-100', 'small-node-100',
  'flood-ours-empty', 'flood-floor-empty', 'flood-node-empty',
  'flood-ours-keyupdate', 'flood-floor-keyupdate', 'flood-node-keyupdate',
  'msg-engine-16384', 'msg-sspi-16384', 'msg-engine-100', 'msg-sspi-100',
  'hs-engine', 'hs-stage', 'hs-api', 'hs-sspi',
];
const only = argVal('only')?.split(',') ?? ALL;
/**
 * V8 without background threads (compilation, GC marking and sweeping run on the main thread, at deterministic
 * points) and with a fixed GC schedule: otherwise when a background job lands moves the count by several %.
 */
const NODE_FLAGS = (argVal('node-flags') ?? '--single-threaded,--predictable-gc-schedule').split(',').filter((f) => f !== '');

function instructions(workload: string, n: number, prepared: number): number {
  const dir = mkdtempSync(join(tmpdir(), 'sspi-tls-instr-'));
  try {
    const r = spawnSync('valgrind', [
      '--tool=callgrind', '--smc-check=all-non-file', `--callgrind-out-file=${join(dir, 'out')}`,
      process.execPath, ...NODE_FLAGS, join(here, 'record-loop.js'), workload, String(n), String(prepared),
    ], { encoding: 'utf8' });
    const m = /Collected : (\d+)/.exec(r.stderr);
    if (r.status !== 0 || m === null) throw new Error(`${workload}: valgrind failed\n${r.stderr.slice(-2000)}`);
    return Number(m[1]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const perOp = new Map<string, number>();
for (const w of only) {
  // Floods are received whole (FLOOD_RECORDS records each); n and 2n are rounded up to floods by the loop, so
  // divide by the records actually received.
  const n = w.startsWith('flood-') ? FLOOD_N : w.startsWith('hs-') ? HS_N : N;
  const a = instructions(w, n, 2 * n);
  const b = instructions(w, 2 * n, 2 * n);
  const records = w.startsWith('flood-') ? floodRecords(2 * n) - floodRecords(n) : n;
  const v = (b - a) / records;
  perOp.set(w, v);
  process.stderr.write(`${w}: ${Math.round(v)} instructions per ${w.startsWith('hs-') ? 'handshake pair' : 'record'}\n`);
}

function floodRecords(n: number): number {
  const FLOOD_RECORDS = 32 * 17;
  return Math.ceil(n / FLOOD_RECORDS) * FLOOD_RECORDS;
}

const fmt = (x: number | undefined): string => (x === undefined ? '–' : Math.round(x).toLocaleString('en-US'));
const ratio = (a: number | undefined, b: number | undefined): string => (a === undefined || b === undefined ? '–' : `${(a / b).toFixed(2)}×`);
process.stdout.write(`| workload (instructions per record, n=${N}, floods ${FLOOD_N}) | ours | node:crypto floor | Node's tls | ours ÷ Node's | ours ÷ floor | floor ÷ Node's |\n|---|---|---|---|---|---|---|\n`);
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
if (perOp.has('crypto-open')) process.stdout.write(`\ncreateDecipheriv + setAAD + setAuthTag + update + final alone: ${fmt(perOp.get('crypto-open'))} instructions per record\n`);
