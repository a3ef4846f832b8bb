/**
 * Scale-out bench (issue 19): full TLS 1.3 handshakes per second against `sspi-tls serve --workers 1` and
 * `--workers 2`, driven by parallel `openssl s_time -new` clients (C, much cheaper per handshake than our server),
 * and TLS 1.2 resumed handshakes per second (`s_time -reuse`: tickets under the workers' shared keys) with 2
 * workers. Prints one markdown row per measurement and the 2 ÷ 1 ratio.
 *
 *   node dist/bench/scale.js [--seconds 8] [--clients 2]
 *
 * The clients run on the same machine as the server: on a 2-core machine they take CPU from the workers, so the
 * ratio is a lower bound of what two cores give the server alone, and with other load on the machine it is
 * indicative only.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '8' }, clients: { type: 'string', default: '2' } } });
const seconds = Number(values.seconds);
const clients = Number(values.clients);
const CLI = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'src', 'cli', 'main.js');

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

/** Start serve with `workers`, wait (bounded) until every worker listens; returns its port and a stopper. */
function startServe(workers: number): Promise<{ port: number; stop: () => Promise<void> }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--workers', String(workers)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`serve --workers ${workers} did not start: ${out}`));
    }, 20_000);
    const exited = new Promise<void>((r) => p.on('close', () => r()));
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString('latin1');
      const ports = [...out.matchAll(/listening on [^\s]+:(\d+)/g)];
      if (ports.length === workers) {
        clearTimeout(timer);
        resolve({
          port: Number(ports[0]?.[1]),
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
 * Connections per wall-clock second over `clients` parallel s_time runs: their connection counts summed, divided by
 * the time from starting them to the last one finishing (s_time's own "connections/user sec" counts only its CPU).
 */
async function rate(port: number, args: readonly string[]): Promise<number> {
  const start = performance.now();
  const outs = await Promise.all(
    Array.from({ length: clients }, () => run('openssl', ['s_time', '-connect', `127.0.0.1:${port}`, '-time', String(seconds), ...args], (seconds + 20) * 1000)),
  );
  const wall = (performance.now() - start) / 1000;
  let total = 0;
  for (const o of outs) {
    const m = /(\d+) connections in [\d.]+ real seconds/.exec(o);
    if (m === null) throw new Error(`s_time output not understood: ${o.slice(-400)}`);
    total += Number(m[1]);
  }
  return total / wall;
}

const results: Record<string, number> = {};
for (const workers of [1, 2]) {
  const s = await startServe(workers);
  try {
    results[`full${workers}`] = await rate(s.port, ['-new', '-tls1_3']);
    if (workers === 2) results['resumed2'] = await rate(s.port, ['-reuse', '-tls1_2']);
  } finally {
    await s.stop();
  }
}
const f1 = results['full1'] ?? 0;
const f2 = results['full2'] ?? 0;
console.log('| measurement | result |');
console.log('| --- | --- |');
console.log(`| full TLS 1.3 handshakes/s, 1 worker (${clients} s_time clients, ${seconds} s) | ${f1.toFixed(0)}/s |`);
console.log(`| full TLS 1.3 handshakes/s, 2 workers | ${f2.toFixed(0)}/s |`);
console.log(`| 2 workers ÷ 1 worker | ${(f2 / f1).toFixed(2)}× |`);
console.log(`| resumed TLS 1.2 handshakes/s across 2 workers (s_time -reuse, shared ticket keys) | ${(results['resumed2'] ?? 0).toFixed(0)}/s |`);
