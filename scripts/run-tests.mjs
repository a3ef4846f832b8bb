#!/usr/bin/env node
// Runs the compiled tests (dist/test/**/*.test.js) with node's test runner, from an explicit, sorted file list:
// Node 20 treats `--test` arguments as paths and later versions as globs, so we never pass a pattern.
//
//   node scripts/run-tests.mjs                 every test file
//   node scripts/run-tests.mjs interop unit    only files whose path contains "interop" or "unit"
//
// Concurrency is bounded (2 files at a time): CI machines have 2 cores and interop tests spawn real peers.
// The spec reporter prints the closing summary (tests / pass / fail / duration_ms) that CI reads.
import { spawn } from 'node:child_process';
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const testRoot = join(root, 'dist', 'test');

/** @param {string} dir @returns {string[]} */
function walk(dir) {
  /** @type {string[]} */
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

if (!existsSync(testRoot)) {
  console.error(`run-tests: ${relative(root, testRoot)} does not exist; run \`npm run build\` first`);
  process.exit(1);
}

const filters = process.argv.slice(2);
const files = walk(testRoot)
  .map((p) => relative(root, p).split(sep).join('/'))
  .filter((p) => filters.length === 0 || filters.some((f) => p.includes(f)))
  .sort();

if (files.length === 0) {
  console.error(`run-tests: no test files${filters.length ? ` matching ${filters.join(', ')}` : ''}`);
  process.exit(1);
}

const concurrency = process.env.TEST_CONCURRENCY ?? '2';
// Every test is bounded: a hung peer or wait fails that test (after 180 s) instead of stalling CI.
const args = ['--test', '--test-reporter=spec', `--test-concurrency=${concurrency}`, '--test-timeout=180000', ...files];
console.log(`run-tests: ${files.length} file(s), concurrency ${concurrency}`);
const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit' });
for (const sig of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
  process.on(sig, () => child.kill(sig));
}
child.on('exit', (code, signal) => {
  if (signal) {
    console.error(`run-tests: test runner killed by ${signal}`);
    process.exit(1);
  }
  process.exit(code ?? 1);
});
