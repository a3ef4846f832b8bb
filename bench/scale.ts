/**
 * Scale-out bench (issue 19): full TLS 1.3 handshakes per second against `sspi-tls serve --workers 1` and
 * `--workers 2` in the same run, and resumed handshakes across the 2 workers.
 *
 *   node dist/bench/scale.js [--seconds 5] [--clients 4] [--rounds 3] [--key rsa4096|rsa3072|rsa2048|ecdsa]
 *   npm run bench -- --only=scale            (the same, as rows of the bench table)
 *
 * The machine has 2 cores and the load generator must run on them too, so the measurement is built to make the
 * server the bottleneck: the server's key is RSA-4096 (by default), whose signature costs the server ~4.5 ms per
 * full handshake while the client's verification costs ~0.07 ms; the clients are `openssl s_time -new` processes
 * (C, one connection at a time each, several in parallel so every worker always has a handshake waiting).
 *
 * Besides handshakes/s, every measurement reads CPU time: the server's processes (`/proc/PID/stat` of the primary
 * and every worker), the clients' (the shell's `times` after s_time) and the whole machine's (`/proc/stat`), so the
 * report says how many cores the server actually got, how many the clients took and how many went to other work on
 * the machine. The two servers run side by side and the rounds alternate between them, so drift in the machine's
 * other load falls on both.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createServer as createNetServer } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { summarize, type Summary } from './stats.js';
import type { Row } from './table.js';

export type ScaleKey = 'rsa8192' | 'rsa4096' | 'rsa3072' | 'rsa2048' | 'ecdsa';

export interface ScaleOptions {
  /** Seconds per measurement (each s_time's `-time`). */
  readonly seconds: number;
  /** Parallel s_time processes. */
  readonly clients: number;
  /** Rounds; each measures 1 worker and 2 workers once. */
  readonly rounds: number;
  readonly key: ScaleKey;
  /** node:cluster's scheduling for --workers 2: 'rr' (node's default: the primary accepts and hands out) or 'none'. */
  readonly sched: 'rr' | 'none';
  readonly log?: (line: string) => void;
}

/** One measurement: a server with `workers` workers under `clients` s_time processes for a fixed time. */
export interface ScaleMeasurement {
  readonly workers: number;
  readonly mode: 'full' | 'resumed';
  readonly handshakes: number;
  readonly wallSeconds: number;
  readonly perSecond: number;
  /** CPU seconds per wall second (cores busy) of the server's processes, of the s_time clients, of the machine. */
  readonly serverCores: number;
  /** Of serverCores: the cluster primary's share (0 with 1 worker: no primary). */
  readonly primaryCores: number;
  readonly clientCores: number;
  readonly machineCores: number;
  /** (clientCores: the s_time processes' CPU less their start-up, see sTimeStartupCpu.) */
  /** machineCores − serverCores − clientCores: other processes on the machine during the measurement. */
  readonly otherCores: number;
  /** Server CPU milliseconds per handshake. */
  readonly serverMsPerHandshake: number;
}

export interface ScaleResult {
  readonly rounds: readonly { readonly one: ScaleMeasurement; readonly two: ScaleMeasurement }[];
  readonly resumed: ScaleMeasurement | undefined;
  readonly options: ScaleOptions;
  readonly cores: number;
  /** CPU seconds of one s_time's start (subtracted from the clients' CPU). */
  readonly sTimeStartupCpu: number;
}

const CLI = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'src', 'cli', 'main.js');
const CLK_TCK = 100;

/** utime + stime of a process, in seconds (0 once it is gone). */
function processCpu(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of proc(5); the slice starts at field 3.
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  } catch {
    return 0;
  }
}

/** Busy and total CPU seconds of the whole machine (all cores) from /proc/stat. */
function machineCpu(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'latin1').split('\n')[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return { busy: (total - idle) / CLK_TCK, total: total / CLK_TCK };
}

function run(cmd: string, args: readonly string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString('latin1')));
    p.stderr.on('data', (d: Buffer) => (out += d.toString('latin1')));
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('error', reject);
    p.on('close', () => {
      clearTimeout(t);
      resolve(out);
    });
  });
}

/** A throwaway certificate and key of the given kind (openssl CLI), in `dir`. */
function makeCredentials(dir: string, key: ScaleKey): { cert: string; key: string } {
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  const newkey = key === 'ecdsa' ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'] : ['-newkey', `rsa:${key.slice(3)}`];
  execFileSync('openssl', ['req', '-x509', ...newkey, '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost'], { stdio: 'ignore' });
  return { cert: certFile, key: keyFile };
}

interface RunningServe {
  readonly port: number;
  /** The primary (with --workers 2) and every worker. */
  readonly pids: readonly number[];
  readonly proc: ChildProcess;
  stop(): Promise<void>;
}

/** Start serve with `workers` (always given explicitly), wait (bounded) until every worker listens. */
function startServe(workers: number, creds: { cert: string; key: string }, sched: 'rr' | 'none'): Promise<RunningServe> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, NODE_CLUSTER_SCHED_POLICY: sched };
    const p = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--workers', String(workers), '--cert', creds.cert, '--key', creds.key], { stdio: ['ignore', 'pipe', 'inherit'], env });
    let out = '';
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`serve --workers ${workers} did not start: ${out}`));
    }, 30_000);
    const exited = new Promise<void>((r) => p.on('close', () => r()));
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString('latin1');
      const listening = [...out.matchAll(/listening on [^\s]+:(\d+)[^\n]*?(?: worker=(\d+))?\n/g)];
      if (listening.length === workers) {
        clearTimeout(timer);
        const workerPids = listening.map((m) => Number(m[2] ?? p.pid));
        resolve({
          port: Number(listening[0]?.[1]),
          pids: [...new Set([p.pid as number, ...workerPids])],
          proc: p,
          stop: async () => {
            p.kill('SIGTERM');
            await exited;
          },
        });
      }
    });
  });
}

/**
 * `clients` parallel s_time runs of `seconds`, each in a shell that prints its children's CPU time (`times`), with
 * the server's and the machine's CPU read around them.
 */
async function measure(serve: RunningServe, workers: number, mode: 'full' | 'resumed', o: ScaleOptions & { startupCpu: number }): Promise<ScaleMeasurement> {
  const sTimeArgs = mode === 'full' ? '-new -tls1_3' : '-reuse -tls1_2';
  const script = `openssl s_time -connect 127.0.0.1:${serve.port} -time ${o.seconds} ${sTimeArgs}; times`;
  const server0 = serve.pids.reduce((a, pid) => a + processCpu(pid), 0);
  const primary0 = workers > 1 ? processCpu(serve.pids[0] as number) : 0;
  const machine0 = machineCpu();
  const start = performance.now();
  const outs = await Promise.all(Array.from({ length: o.clients }, () => run('/bin/sh', ['-c', script], (o.seconds + 30) * 1000)));
  const wall = (performance.now() - start) / 1000;
  const server1 = serve.pids.reduce((a, pid) => a + processCpu(pid), 0);
  const primary1 = workers > 1 ? processCpu(serve.pids[0] as number) : 0;
  const machine1 = machineCpu();
  let handshakes = 0;
  let clientCpu = 0;
  for (const out of outs) {
    const m = /(\d+) connections in [\d.]+ real seconds/.exec(out);
    if (m === null) throw new Error(`s_time output not understood: ${out.slice(-400)}`);
    handshakes += Number(m[1]);
    // `times`: the shell's own user/sys, then its children's (s_time) user/sys, as 0m1.234s.
    const t = [...out.matchAll(/(\d+)m([\d.]+)s/g)].map((x) => Number(x[1]) * 60 + Number(x[2]));
    clientCpu += Math.max(0, t.reduce((a, b) => a + b, 0) - o.startupCpu);
  }
  const serverCores = (server1 - server0) / wall;
  const clientCores = clientCpu / wall;
  const machineCores = (machine1.busy - machine0.busy) / wall;
  return {
    workers,
    mode,
    handshakes,
    wallSeconds: wall,
    perSecond: handshakes / wall,
    serverCores,
    primaryCores: (primary1 - primary0) / wall,
    clientCores,
    machineCores,
    otherCores: Math.max(0, machineCores - serverCores - clientCores),
    serverMsPerHandshake: handshakes === 0 ? NaN : ((server1 - server0) * 1000) / handshakes,
  };
}

/**
 * CPU seconds an s_time process spends before its first connection (loading OpenSSL's configuration and
 * providers, making its context): run against a closed port, so it stops right after. Subtracted from the clients'
 * CPU so the per-handshake figure is the handshakes' own.
 */
async function sTimeStartupCpu(): Promise<number> {
  const closed = await new Promise<number>((resolve, reject) => {
    const srv = createNetServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => resolve(typeof a === 'object' && a !== null ? a.port : 1));
    });
  });
  const samples: number[] = [];
  for (let i = 0; i < 3; i++) {
    const out = await run('/bin/sh', ['-c', `openssl s_time -connect 127.0.0.1:${closed} -new -time 1; times`], 30_000);
    const t = [...out.matchAll(/(\d+)m([\d.]+)s/g)].map((x) => Number(x[1]) * 60 + Number(x[2]));
    samples.push(t.reduce((x, y) => x + y, 0));
  }
  return summarize(samples).median;
}

/** Run the scale bench: both servers started once, rounds alternating which goes first. */
export async function scaleBench(o: ScaleOptions): Promise<ScaleResult> {
  const log = o.log ?? ((): void => {});
  const dir = mkdtempSync(join(tmpdir(), 'sspi-tls-scale-'));
  const started: RunningServe[] = [];
  try {
    const creds = makeCredentials(dir, o.key);
    const startupCpu = await sTimeStartupCpu();
    const opts: ScaleOptions & { startupCpu: number } = { ...o, startupCpu };
    const one = await startServe(1, creds, o.sched);
    started.push(one);
    const two = await startServe(2, creds, o.sched);
    started.push(two);
    // Warm-up (JIT, the primary's accept path), not counted.
    const warm = { ...opts, seconds: 1 };
    await measure(one, 1, 'full', warm);
    await measure(two, 2, 'full', warm);
    const rounds: { one: ScaleMeasurement; two: ScaleMeasurement }[] = [];
    for (let r = 0; r < o.rounds; r++) {
      log(`  round ${r + 1}/${o.rounds}`);
      if (r % 2 === 0) {
        const a = await measure(one, 1, 'full', opts);
        const b = await measure(two, 2, 'full', opts);
        rounds.push({ one: a, two: b });
      } else {
        const b = await measure(two, 2, 'full', opts);
        const a = await measure(one, 1, 'full', opts);
        rounds.push({ one: a, two: b });
      }
    }
    const resumed = await measure(two, 2, 'resumed', opts);
    return { rounds, resumed, options: o, cores: machineCores(), sTimeStartupCpu: startupCpu };
  } finally {
    await Promise.all(started.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}

function machineCores(): number {
  return (readFileSync('/proc/stat', 'latin1').match(/^cpu\d+ /gm) ?? []).length;
}

const S = (xs: readonly number[]): Summary => summarize(xs);

/** The bench table's rows (medians over rounds, with min and max). */
export function scaleRows(r: ScaleResult): Row[] {
  const sec = `scale (${r.options.key} server key, ${r.options.clients} s_time -new clients, ${r.options.seconds} s × ${r.options.rounds} rounds, ${r.cores} cores)`;
  const one = r.rounds.map((x) => x.one);
  const two = r.rounds.map((x) => x.two);
  const rows: Row[] = [
    { section: sec, metric: 'full TLS 1.3 handshakes/s, serve --workers 1', value: S(one.map((m) => m.perSecond)), unit: '/s' },
    { section: sec, metric: 'full TLS 1.3 handshakes/s, serve --workers 2', value: S(two.map((m) => m.perSecond)), unit: '/s' },
  ];
  const ratio = S(r.rounds.map((x) => x.two.perSecond / x.one.perSecond));
  rows.push({ section: sec, metric: '2 workers ÷ 1 worker (per round)', value: ratio, unit: '×', digits: 2, target: '≥ 1.8×', met: ratio.n === 0 ? undefined : ratio.median >= 1.8 });
  rows.push({ section: sec, metric: 'server cores used, 1 worker', value: S(one.map((m) => m.serverCores)), unit: ' cores', digits: 2 });
  rows.push({ section: sec, metric: 'server cores used, 2 workers (primary + workers)', value: S(two.map((m) => m.serverCores)), unit: ' cores', digits: 2 });
  rows.push({ section: sec, metric: 's_time clients cores, 2 workers', value: S(two.map((m) => m.clientCores)), unit: ' cores', digits: 2 });
  rows.push({ section: sec, metric: 'other processes on the machine, 2 workers', value: S(two.map((m) => m.otherCores)), unit: ' cores', digits: 2 });
  rows.push({ section: sec, metric: 'server CPU per full handshake, 1 worker', value: S(one.map((m) => m.serverMsPerHandshake)), unit: ' ms', digits: 2 });
  rows.push({ section: sec, metric: 'server CPU per full handshake, 2 workers', value: S(two.map((m) => m.serverMsPerHandshake)), unit: ' ms', digits: 2 });
  // What the CPU costs allow on this machine if nothing else ran on it: per round, with S1/S2 the server's CPU per
  // handshake with 1/2 workers and C the clients', two cores give at most 2000/(S2 + C) handshakes/s with the
  // clients on them (2000/S2 with the clients elsewhere) against 1000/S1 for one worker.
  const clientMs = (m: ScaleMeasurement): number => (m.clientCores * m.wallSeconds * 1000) / m.handshakes;
  rows.push({ section: sec, metric: 'client CPU per full handshake (s_time), 2 workers', value: S(two.map(clientMs)), unit: ' ms', digits: 2 });
  rows.push({ section: sec, metric: 'CPU-bound ceiling of 2 ÷ 1 on 2 otherwise idle cores, clients on them: 2·S1 ÷ (S2 + C)', value: S(r.rounds.map((x) => (2 * x.one.serverMsPerHandshake) / (x.two.serverMsPerHandshake + clientMs(x.two)))), unit: '×', digits: 2 });
  rows.push({ section: sec, metric: 'CPU-bound ceiling of 2 ÷ 1, clients on another machine: 2·S1 ÷ S2', value: S(r.rounds.map((x) => (2 * x.one.serverMsPerHandshake) / x.two.serverMsPerHandshake)), unit: '×', digits: 2 });
  if (r.resumed !== undefined) {
    rows.push({ section: sec, metric: 'resumed TLS 1.2 handshakes/s across 2 workers (s_time -reuse, shared ticket keys)', value: S([r.resumed.perSecond]), unit: '/s' });
  }
  return rows;
}

function f(x: number, d = 0): string {
  return x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
}

/** One markdown line per measurement (docs/performance.md's table). */
export function scaleDetail(r: ScaleResult): string {
  const lines = ['| round | workers | handshakes/s | server cores (primary) | client cores | other cores | machine busy | server ms/handshake |', '|---|---|---|---|---|---|---|---|'];
  const line = (round: string, m: ScaleMeasurement): string =>
    `| ${round} | ${m.workers}${m.mode === 'resumed' ? ' (resumed 1.2)' : ''} | ${f(m.perSecond)} | ${f(m.serverCores, 2)}${m.workers > 1 ? ` (${f(m.primaryCores, 2)})` : ''} | ${f(m.clientCores, 2)} | ${f(m.otherCores, 2)} | ${f(m.machineCores, 2)} of ${r.cores} | ${f(m.serverMsPerHandshake, 2)} |`;
  r.rounds.forEach((x, i) => {
    lines.push(line(String(i + 1), x.one), line(String(i + 1), x.two));
  });
  if (r.resumed !== undefined) lines.push(line('-', r.resumed));
  const ratios = r.rounds.map((x) => (x.two.perSecond / x.one.perSecond).toFixed(2));
  lines.push('', `2 workers ÷ 1 worker per round: ${ratios.join(', ')}; s_time start-up ${f(r.sTimeStartupCpu * 1000, 0)} ms CPU each (not counted)`);
  return lines.join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '5' },
      clients: { type: 'string', default: '4' },
      rounds: { type: 'string', default: '3' },
      key: { type: 'string', default: 'rsa4096' },
      sched: { type: 'string', default: 'rr' },
    },
  });
  const key = values.key as ScaleKey;
  if (!['rsa8192', 'rsa4096', 'rsa3072', 'rsa2048', 'ecdsa'].includes(key)) throw new Error('--key: rsa8192, rsa4096, rsa3072, rsa2048 or ecdsa');
  const result = await scaleBench({ seconds: Number(values.seconds), clients: Number(values.clients), rounds: Number(values.rounds), key, sched: values.sched === 'none' ? 'none' : 'rr', log: (l) => process.stderr.write(l + '\n') });
  console.log(scaleDetail(result));
  for (const row of scaleRows(result)) console.log(`| ${row.metric} | ${row.value === null ? 'n/a' : f(row.value.median, row.digits ?? 0)} ${row.unit.trim()} |`);
}
