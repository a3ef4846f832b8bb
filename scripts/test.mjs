#!/usr/bin/env node
// `npm test`: what a fresh machine needs to go from `npm ci` to a green run, one step at a time, saying what it does.
//
//   1. peers   the real TLS peers of scripts/peers.json: installed with apt when missing (root or passwordless sudo),
//              or one message with the exact install command and exit 1 before anything else runs
//   2. build   tsc: src, tests, bench and examples into dist/
//   3. lint    tsc --noEmit and scripts/lint.mjs (layering, crypto only in the provider, ...)
//   4. tests   node's test runner, one group (a folder of test/) at a time, fast groups first
//
// It ends with one line `tests: N passed, N failed[, N skipped]` over every group, and exits non-zero on any failure.
// `SKIP_PEERS=1` skips step 1 (for a machine where the peers are known to be present).
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const started = Date.now();
const secs = (t0) => `${((Date.now() - t0) / 1000).toFixed(0)} s`;

/** @param {string} title @param {string} cmd @param {string[]} args */
function step(title, cmd, args) {
  console.log(`\n== ${title}`);
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`npm test: ${title} failed (exit ${r.status ?? r.signal}); stopping`);
    process.exit(1);
  }
  console.log(`   ${title}: done in ${secs(t0)}`);
}

/** @param {string} dir @returns {string[]} */
function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

// Groups run in this order; any other folder of test/ runs after these, alphabetically, and before the slow tail.
const FIRST = ['unit', 'vectors', 'properties'];
const LAST = ['interop', 'browser'];

/** @returns {Array<{ name: string, files: string[] }>} */
function groups() {
  const testRoot = join(root, 'dist', 'test');
  const byGroup = new Map();
  for (const abs of walk(testRoot)) {
    const rel = relative(root, abs).split(sep).join('/');
    const name = relative(testRoot, abs).split(sep)[0] ?? '';
    if (name.endsWith('.test.js')) continue; // a test file directly in test/: its own group below
    if (!byGroup.has(name)) byGroup.set(name, []);
    byGroup.get(name).push(rel);
  }
  const rank = (n) => (FIRST.includes(n) ? FIRST.indexOf(n) : LAST.includes(n) ? 1000 + LAST.indexOf(n) : 100);
  return [...byGroup.entries()]
    .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))
    .map(([name, files]) => ({ name, files: files.sort() }));
}

/** Run one group; resolves with its counts read from the spec reporter's closing lines. */
function runGroup(group, index, total) {
  return new Promise((resolve) => {
    console.log(`\n== tests ${index}/${total}: ${group.name} (${group.files.length} file${group.files.length === 1 ? '' : 's'})`);
    const t0 = Date.now();
    const concurrency = process.env.TEST_CONCURRENCY ?? '2';
    const args = ['--test', '--test-reporter=spec', `--test-concurrency=${concurrency}`, '--test-timeout=180000', ...group.files];
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    const counts = { pass: 0, fail: 0, skipped: 0, todo: 0, cancelled: 0 };
    let carry = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      carry += chunk.toString('utf8');
      const lines = carry.split('\n');
      carry = lines.pop() ?? '';
      for (const line of lines) {
        const m = /^\u2139 (pass|fail|skipped|todo|cancelled) (\d+)\s*$/.exec(line.replace(/\x1b\[[0-9;]*m/g, ''));
        if (m) counts[m[1]] = Number(m[2]);
      }
    });
    const stop = (sig) => child.kill(sig);
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    child.on('exit', (code, signal) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      if ((code !== 0 || signal) && counts.fail === 0 && counts.cancelled === 0) counts.fail = 1; // a crash counts
      console.log(`   ${group.name}: ${counts.pass} passed, ${counts.fail + counts.cancelled} failed in ${secs(t0)}`);
      resolve({ ...counts, ok: code === 0 && !signal });
    });
  });
}

if (process.env.SKIP_PEERS !== '1') step('peers (scripts/peers.json)', process.execPath, [join(root, 'scripts', 'ensure-peers.mjs')]);
step('build (tsc)', process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json']);
step('lint', process.execPath, [join(root, 'scripts', 'lint.mjs')]);

const all = groups();
const total = { pass: 0, fail: 0, skipped: 0 };
let ok = true;
for (const [i, g] of all.entries()) {
  const r = await runGroup(g, i + 1, all.length);
  total.pass += r.pass;
  total.fail += r.fail + r.cancelled;
  total.skipped += r.skipped + r.todo;
  ok &&= r.ok;
}
console.log(`\nnpm test: ${all.length} groups in ${secs(started)}`);
console.log(`tests: ${total.pass} passed, ${total.fail} failed${total.skipped > 0 ? `, ${total.skipped} skipped` : ''}`);
process.exit(ok && total.fail === 0 ? 0 : 1);
