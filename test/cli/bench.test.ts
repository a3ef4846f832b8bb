/** `sspi-tls bench`: runs the benchmark with a progress display and prints the table; bad arguments exit 2. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../helpers/peers.js';
import { progressLine } from '../../src/cli/bench.js';

const cli = join(projectRoot, 'dist', 'src', 'cli', 'main.js');

test('sspi-tls bench --quick --only=hybrid prints progress and the table, and writes its results', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'sspi-tls-bench-')), 'results.json');
  const r = spawnSync(process.execPath, [cli, 'bench', '--quick', '--only=hybrid', '--rounds=1', '--budget=30', `--out=${out}`], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /\[#*\.*\] \d+\/12 hybrid/);
  assert.match(r.stderr, /\[#{24}\] 12\/12 done/);
  assert.match(r.stdout, /handshakes\/s with X25519MLKEM768 \(WebAssembly ML-KEM\) vs x25519 \| [\d,]+\/s/);
  const results = JSON.parse(readFileSync(out, 'utf8')) as { rows: unknown[] };
  assert.ok(results.rows.length >= 1);
});

test('sspi-tls bench --only=bulk: every bulk path moves the right bytes and the ceiling rows are measured', () => {
  // Each contender checks the plaintext it got back and throws otherwise, so a broken path fails this run.
  const r = spawnSync(process.execPath, [cli, 'bench', '--quick', '--only=bulk', '--rounds=1', '--budget=20', `--out=${join(mkdtempSync(join(tmpdir(), 'sspi-tls-bench-')), 'r.json')}`], { encoding: 'utf8', timeout: 170_000 });
  assert.equal(r.status, 0, r.stderr);
  for (const row of ['engine ÷ caller-buffer raw', 'fresh-record raw ÷ raw seal+open', "Node's tls ÷ fresh-record raw", 'SSPI ÷ raw seal+open', "TlsDuplex ÷ Node's tls"]) {
    const escaped = row.replace(/[+]/g, '\\+');
    assert.match(r.stdout, new RegExp(`\\| ${escaped}[^|]* \\| [\\d.]+× `), row);
  }
});

test('sspi-tls bench --only=scale: serve --workers 1 and 2 under s_time, with the CPU shares and the resumed row', () => {
  // No figure is asserted (the machine is shared); the rows must be there and carry numbers.
  const out = join(mkdtempSync(join(tmpdir(), 'sspi-tls-bench-')), 'r.json');
  const r = spawnSync(process.execPath, [cli, 'bench', '--quick', '--only=scale', '--scale-key=rsa2048', `--out=${out}`], { encoding: 'utf8', timeout: 170_000 });
  assert.equal(r.status, 0, r.stderr);
  for (const row of ['full TLS 1.3 handshakes/s, serve --workers 1', 'full TLS 1.3 handshakes/s, serve --workers 2', 'server cores used, 2 workers', 'other processes on the machine']) {
    assert.match(r.stdout, new RegExp(`\\| ${row}[^|]* \\| [\\d.,]+`), row);
  }
  assert.match(r.stdout, /\| 2 workers ÷ 1 worker \(per round\) \| [\d.]+× /);
  assert.match(r.stdout, /\| resumed TLS 1\.2 handshakes\/s across 2 workers[^|]* \| [1-9][\d,]*\/s/);
  const results = JSON.parse(readFileSync(out, 'utf8')) as { rows: { section: string }[] };
  assert.ok(results.rows.some((x) => x.section.startsWith('scale (rsa2048 server key')));
});

test('sspi-tls bench with a bad argument: one line, exit 2', () => {
  const r = spawnSync(process.execPath, [cli, 'bench', '--only=nope'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 2);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /--only takes/);
});

test('progress bar', () => {
  assert.equal(progressLine(3, 9, 'x', 9), '[###......] 3/9 x');
  assert.equal(progressLine(12, 9, 'y', 3), '[###] 9/9 y');
});
