/**
 * Profiling loops for `node --cpu-prof`, and a reader for the resulting profile:
 *
 *   npm run build && node --cpu-prof --cpu-prof-dir=/tmp/prof dist/bench/profile.js handshake [seconds]
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof dist/bench/profile.js bulk [seconds]
 *   node dist/bench/profile.js analyze /tmp/prof/<file>.cpuprofile [top]
 *
 * `analyze` prints self time per function (ours: files under dist/src; node:crypto and the rest grouped by name).
 */
import { readFileSync } from 'node:fs';
import { makeCerts } from './certs.js';
import { handshake, makePair } from './ours.js';
import { oursApi } from './bulk.js';

interface CpuNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}
interface CpuProfile {
  nodes: CpuNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

function analyze(file: string, top: number): void {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const id = p.samples[i] as number;
    self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const agg = new Map<string, { us: number; ours: boolean }>();
  for (const [id, us] of self) {
    const n = byId.get(id) as CpuNode;
    const f = n.callFrame;
    const m = /\/dist\/(src\/.*)\.js$/.exec(f.url);
    const ours = m !== null;
    const name = ours ? `${f.functionName || '(anonymous)'} ${m?.[1]}.ts (js:${f.lineNumber + 1})` : `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(node:)?/, '')}`;
    const e = agg.get(name) ?? { us: 0, ours };
    e.us += us;
    agg.set(name, e);
  }
  const rows = [...agg.entries()].sort((a, b) => b[1].us - a[1].us);
  const oursTotal = rows.filter((r) => r[1].ours).reduce((a, r) => a + r[1].us, 0);
  process.stdout.write(`total ${(total / 1e3).toFixed(0)} ms sampled; our code (dist/src) self time ${(100 * oursTotal / total).toFixed(1)}%\n`);
  process.stdout.write(`\nTop ${top} self-time functions of ours:\n`);
  for (const [name, e] of rows.filter((r) => r[1].ours).slice(0, top)) process.stdout.write(`  ${(100 * e.us / total).toFixed(2).padStart(6)}%  ${name}\n`);
  process.stdout.write(`\nTop ${top} overall:\n`);
  for (const [name, e] of rows.slice(0, top)) process.stdout.write(`  ${(100 * e.us / total).toFixed(2).padStart(6)}%  ${name}\n`);
}

const [mode = 'handshake', arg1, arg2] = process.argv.slice(2);
if (mode === 'analyze') {
  if (arg1 === undefined) throw new Error('analyze <file.cpuprofile> [top]');
  analyze(arg1, Number(arg2 ?? 10));
} else {
  const seconds = Number(arg1 ?? 10);
  const certs = makeCerts();
  const until = Date.now() + seconds * 1000;
  let n = 0;
  if (mode === 'handshake') {
    const pair = makePair(process.env.CERT === 'rsa' ? certs.rsa : certs.ecdsa);
    while (Date.now() < until) {
      handshake(pair);
      n++;
    }
    process.stderr.write(`${n} handshakes in ${seconds} s\n`);
  } else if (mode === 'bulk') {
    const step = oursApi(makePair(certs.ecdsa)).step;
    while (Date.now() < until) n += step();
    process.stderr.write(`${(n / 1e6 / seconds).toFixed(0)} MB/s\n`);
  } else throw new Error(`unknown mode ${mode}`);
}
