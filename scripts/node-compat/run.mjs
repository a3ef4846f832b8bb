#!/usr/bin/env node
// Node's own tls/https tests against sspi-tls's node adapter.
//
//   NODE_TESTS_DIR=/path/to/node-tests npm run node-compat [-- substring…] [-- --json out.json]
//
// NODE_TESTS_DIR holds Node's `test/` folder (test/parallel, test/common, test/fixtures) of a Node 20 release:
// a nodejs/node checkout, or denoland/node_test at its vendor_20.11.1 commit. It must not sit under a
// package.json with "type": "module" (the tests are CommonJS). This script fetches nothing.
//
// Each test/parallel/test-tls-*.js and test-https-*.js runs with preload.mjs, which substitutes the adapter for
// tls.connect, tls.createServer and https.createServer. A test counts when it called one of them; it passes when it
// exits 0. A test that fails with the adapter is run again on stock Node: if it fails there too, it says nothing
// about the adapter and is listed apart. Failures the adapter means to keep are listed in known-differences.json.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = join(here, '..', '..');
const PER_TEST_MS = Number(process.env['NODE_COMPAT_TIMEOUT_MS'] ?? 60_000);
const CONCURRENCY = Number(process.env['NODE_COMPAT_JOBS'] ?? 2);

const testsDir = process.env['NODE_TESTS_DIR'];
if (testsDir === undefined || !existsSync(join(testsDir, 'test', 'parallel'))) {
  console.error('node-compat: set NODE_TESTS_DIR to a folder holding Node 20\'s test/ (test/parallel, test/common, test/fixtures)');
  process.exit(2);
}
if (!existsSync(join(root, 'dist', 'src', 'node', 'index.js'))) {
  console.error('node-compat: dist/ is missing; run `npm run build` first');
  process.exit(2);
}

const argv = process.argv.slice(2);
const jsonAt = argv.indexOf('--json');
const jsonOut = jsonAt >= 0 ? argv[jsonAt + 1] : undefined;
const filters = argv.filter((a, i) => jsonAt < 0 || (i !== jsonAt && i !== jsonAt + 1));

/** @type {{ tests: Record<string, string>, patterns: [string, string][], open?: { tests?: Record<string, string>, patterns?: [string, string][] } }} */
const known = JSON.parse(readFileSync(join(here, 'known-differences.json'), 'utf8'));
/** Why a failure that is not deliberate is known (still a failure), or undefined. */
function explained(name, reason) {
  const byName = known.open?.tests?.[name];
  if (byName !== undefined) return byName;
  return known.open?.patterns?.find(([re]) => new RegExp(re).test(reason))?.[1];
}
/** Why a failure is deliberate, or undefined. */
function deliberate(name, reason) {
  const byName = known.tests[name];
  if (byName !== undefined) return byName;
  return known.patterns.find(([re]) => new RegExp(re).test(reason))?.[1];
}

const parallel = join(testsDir, 'test', 'parallel');
const files = readdirSync(parallel)
  .filter((f) => /^test-(tls|https)-.*\.js$/.test(f))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();

/** Node's `// Flags:` line (test/common reads the same). */
function flagsOf(file) {
  const head = readFileSync(file, 'utf8').slice(0, 1500);
  const m = /\/\/ Flags:\s+(--.*)/.exec(head);
  return m === null ? [] : m[1].trim().split(/\s+/);
}

/**
 * Run one test file; resolves with its exit status, output, and the adapter functions it called.
 * @param {string} name @param {boolean} withAdapter
 * @returns {Promise<{ status: number | null, signal: string | null, timedOut: boolean, output: string, used: string[] }>}
 */
function runOne(name, withAdapter) {
  const file = join(parallel, name);
  const work = mkdtempSync(join(tmpdir(), 'node-compat-'));
  const markFile = join(work, 'used');
  const args = [...flagsOf(file)];
  args.push('--import', pathToFileURL(join(here, withAdapter ? 'preload.mjs' : 'stock-preload.mjs')).href);
  args.push(file);
  const env = { ...process.env, NODE_TESTS_DIR: testsDir, NODE_COMPAT_MARK: markFile, NODE_TEST_DIR: work, NODE_SKIP_FLAG_CHECK: '1' };
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: testsDir, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    const keep = (/** @type {Buffer} */ b) => {
      if (output.length < 64 * 1024) output += b.toString();
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-(child.pid ?? 0), 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, PER_TEST_MS);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      const used = existsSync(markFile) ? [...new Set(readFileSync(markFile, 'utf8').split('\n').filter(Boolean))] : [];
      rmSync(work, { recursive: true, force: true });
      resolve({ status, signal, timedOut, output, used });
    });
  });
}

/** The line of a failed test's output that says why. */
function reasonOf(output, timedOut) {
  if (timedOut) return `timed out after ${PER_TEST_MS} ms`;
  const lines = output.split('\n').map((l) => l.trim()).filter(Boolean);
  const pick =
    lines.find((l) => /^(AssertionError|TypeError|Error|RangeError|ReferenceError)\b|^\w*Error \[/.test(l)) ??
    lines.find((l) => /code: '|Mismatched|mustCall|not a function|is not/.test(l)) ??
    lines[0] ??
    '(no output)';
  const code = /code: '([A-Z0-9_]+)'/.exec(output)?.[1];
  return (pick.length > 200 ? pick.slice(0, 200) + '…' : pick) + (code !== undefined && !pick.includes(code) ? ` [code ${code}]` : '');
}

/** @type {{ name: string, verdict: string, used: string[], reason?: string, known?: boolean }[]} */
const results = [];
let next = 0;
async function worker() {
  while (next < files.length) {
    const name = files[next++];
    const r = await runOne(name, true);
    const skipped = /^1\.\.0 # Skipped/m.test(r.output);
    if (r.used.length === 0 || skipped) {
      results.push({ name, verdict: skipped ? 'skipped' : 'not-exercised', used: r.used });
    } else if (r.status === 0 && !r.timedOut) {
      results.push({ name, verdict: 'pass', used: r.used });
    } else {
      const stock = await runOne(name, false);
      const reason = reasonOf(r.output, r.timedOut);
      const why = deliberate(name, `${reason}\n${r.output.slice(0, 2000)}`);
      if (stock.status !== 0) results.push({ name, verdict: 'fails-on-stock-node', used: r.used, reason: reasonOf(stock.output, stock.timedOut) });
      else if (why !== undefined) results.push({ name, verdict: 'deliberate', used: r.used, reason: `${why} — ${reason}` });
      else {
        const known = explained(name, `${reason}\n${r.output.slice(0, 2000)}`);
        results.push({ name, verdict: 'fail', used: r.used, reason: known === undefined ? reason : `(known: ${known}) — ${reason}`, known: known !== undefined });
      }
    }
    process.stderr.write(`${results.length}/${files.length} ${name}: ${results[results.length - 1]?.verdict}\n`);
  }
}
await Promise.all(Array.from({ length: Math.max(1, CONCURRENCY) }, () => worker()));
results.sort((a, b) => a.name.localeCompare(b.name));

const count = (v) => results.filter((r) => r.verdict === v).length;
const exercised = results.filter((r) => ['pass', 'fail', 'deliberate'].includes(r.verdict)).length;
console.log(`node-compat: ${files.length} test files; ${exercised} exercise the adapter: ${count('pass')} pass, ${count('fail')} fail, ${count('deliberate')} deliberate differences`);
console.log(`  of the failures, ${results.filter((r) => r.verdict === 'fail' && r.known === true).length} are known and explained (known-differences.json "open")`);
console.log(`  (${count('not-exercised')} never call the adapter, ${count('skipped')} skip themselves, ${count('fails-on-stock-node')} fail on stock Node too)`);
for (const v of ['fail', 'deliberate', 'fails-on-stock-node']) {
  const list = results.filter((r) => r.verdict === v);
  if (list.length === 0) continue;
  console.log(`\n${v}:`);
  for (const r of list) console.log(`  ${r.name}: ${r.reason ?? ''}`);
}
if (jsonOut !== undefined) writeFileSync(jsonOut, JSON.stringify({ node: process.version, results }, null, 2) + '\n');
process.exit(count('fail') === 0 ? 0 : 1);
