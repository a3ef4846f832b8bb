/**
 * `sspi-tls bench [--quick] [--only=LIST] [--rounds=N] [--budget=MS] [--out=FILE]`: runs the benchmark (dist/bench/run.js, the
 * same as `npm run bench`) in a child process, draws a progress bar from its progress lines, and prints its table.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from './args.js';

/** The sections run.js announces, in order (for the bar's denominator). */
const SECTIONS = ['handshake ecdsa', 'resumed', 'handshake rsa', 'hybrid', 'tls12', 'bulk aes-128-gcm', 'bulk chacha20-poly1305', 'sspi handshake', 'small records', 'floods', 'adapter', 'memory'];
const ONLY_NAMES = ['handshake', 'resumed', 'tls12', 'hybrid', 'sspi', 'small', 'flood', 'adapter', 'bulk', 'memory', 'scale'];

/** The bar: `[######......] 4/9 bulk aes-128-gcm, round 3/7`. */
export function progressLine(done: number, total: number, label: string, width = 24): string {
  const filled = Math.round((Math.min(done, total) / total) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.min(done, total)}/${total} ${label}`;
}

/** Run the benchmark; resolves with its exit code. */
export async function benchCommand(args: readonly string[]): Promise<number> {
  for (const a of args) {
    if (a === '--quick') continue;
    const m = /^--(only|rounds|budget|out|scale-key)=(.+)$/.exec(a);
    if (m === null) throw new UsageError(`bench: unknown argument '${a}' (--quick, --only=LIST, --rounds=N, --budget=MS, --out=FILE)`);
    if (m[1] === 'only') {
      for (const n of (m[2] ?? '').split(',')) if (!ONLY_NAMES.includes(n)) throw new UsageError(`bench: --only takes ${ONLY_NAMES.join(',')}`);
    } else if (m[1] === 'scale-key') {
      for (const k of (m[2] ?? '').split(',')) if (!['rsa8192', 'rsa4096', 'rsa3072', 'rsa2048', 'ecdsa'].includes(k)) throw new UsageError('bench: --scale-key takes a list of rsa8192, rsa4096, rsa3072, rsa2048, ecdsa');
    } else if (m[1] !== 'out' && !/^\d+$/.test(m[2] ?? '')) {
      throw new UsageError(`bench: --${m[1]} takes a whole number`);
    }
  }
  const runner = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'run.js');
  if (!existsSync(runner)) throw new UsageError(`bench: ${runner} not found (run 'npm run build' in a checkout of sspi-tls)`);
  const child = spawn(process.execPath, [runner, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const tty = process.stderr.isTTY === true;
  let section = '';
  let done = 0;
  let buf = '';
  const draw = (label: string): void => {
    const line = progressLine(done, SECTIONS.length, label);
    process.stderr.write(tty ? `\r\x1b[2K${line}` : `${line}\n`);
  };
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const round = /^\s+round (.+)$/.exec(line);
      if (round !== null) {
        if (tty) draw(`${section}, round ${round[1] ?? ''}`);
      } else if (SECTIONS.includes(line.trim())) {
        if (section !== '') done++;
        section = line.trim();
        draw(section);
      } else if (line.startsWith('wrote ')) {
        done = SECTIONS.length;
        draw('done');
        if (tty) process.stderr.write('\n');
        process.stderr.write(`${line}\n`);
      } else if (line.trim() !== '') {
        if (tty) process.stderr.write('\n');
        process.stderr.write(`${line}\n`);
      }
    }
  });
  child.stdout.pipe(process.stdout, { end: false });
  return new Promise((resolve) => {
    child.on('close', (code) => resolve(code ?? 1));
  });
}
