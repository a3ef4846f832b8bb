/**
 * scripts/ensure-peers.mjs, the first step of `npm test`: with every peer present it says so; with one missing and
 * no way to install (--check, or a user without root or sudo) it stops at once with one message naming the exact
 * apt-get command, and exit 1. The peer list is swapped for a test list through PEERS_FILE.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { projectRoot } from '../../helpers/peers.js';

const SCRIPT = join(projectRoot, 'scripts', 'ensure-peers.mjs');

function withList(list: object, fn: (file: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'peers-'));
  try {
    chmodSync(dir, 0o755);
    const file = join(dir, 'peers.json');
    writeFileSync(file, JSON.stringify(list));
    chmodSync(file, 0o644);
    fn(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the one peer list names a Debian package for every command the interop tests start', () => {
  const list = JSON.parse(readFileSync(join(projectRoot, 'scripts', 'peers.json'), 'utf8')) as { peers: Record<string, string> };
  for (const cmd of ['openssl', 'gnutls-cli', 'gnutls-serv', 'curl', 'java', 'chromium', 'tshark']) {
    assert.equal(typeof list.peers[cmd], 'string', `${cmd} is in scripts/peers.json`);
  }
});

test('all present: exit 0 and one line saying so', () => {
  withList({ peers: { node: 'nodejs' } }, (file) => {
    const r = spawnSync(process.execPath, [SCRIPT, '--check'], { encoding: 'utf8', env: { ...process.env, PEERS_FILE: file } });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^peers: all present \(1 Debian packages/);
  });
});

test('missing and --check: exit 1 with the exact install command, before anything else', () => {
  withList({ peers: { node: 'nodejs', 'sspi-tls-no-such-peer': 'no-such-package' }, files: { '/no/such/file': 'other-package' } }, (file) => {
    const r = spawnSync(process.execPath, [SCRIPT, '--check'], { encoding: 'utf8', env: { ...process.env, PEERS_FILE: file } });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /2 Debian package\(s\) the interop tests need are missing: no-such-package, other-package/);
    assert.match(r.stderr, /^ {2}sudo apt-get update && sudo apt-get install -y --no-install-recommends no-such-package other-package$/m);
  });
});

test('missing, run by a user who cannot install (no root, no sudo): the same single message, exit 1', (t) => {
  const runuser = spawnSync('sh', ['-c', 'command -v runuser'], { encoding: 'utf8' }).stdout.trim();
  if (process.getuid?.() !== 0 || runuser === '') {
    t.skip('needs root and runuser (util-linux) to run the script as the unprivileged user `nobody`');
    return;
  }
  withList({ peers: { 'sspi-tls-no-such-peer': 'no-such-package' } }, (file) => {
    const r = spawnSync(runuser, ['-u', 'nobody', '--', process.execPath, SCRIPT], {
      encoding: 'utf8',
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', PEERS_FILE: file },
      cwd: '/',
    });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /This user cannot install them \(not root, no passwordless sudo, or no apt-get\)/);
    assert.match(r.stderr, /sudo apt-get install -y --no-install-recommends no-such-package/);
    assert.doesNotMatch(r.stdout, /installing/);
  });
});
