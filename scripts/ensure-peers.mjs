#!/usr/bin/env node
// Makes sure the real TLS peers the tests use are on this machine, before any test runs.
//
//   node scripts/ensure-peers.mjs            check; install what is missing (root or passwordless sudo, with apt)
//   node scripts/ensure-peers.mjs --check    check only; exit 1 with the install command when something is missing
//   node scripts/ensure-peers.mjs --list     print the Debian packages of the peer list, one line
//
// The list is scripts/peers.json, the one list of peers: `npm test` (scripts/test.mjs) and `.ci/run` both use it.
// Where nothing can be installed (no root, no passwordless sudo, no apt-get), it stops at once with one message
// that gives the exact command to run, instead of letting hundreds of tests fail one by one.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// PEERS_FILE points at another list (the tests of this script use it).
const listFile = process.env.PEERS_FILE ?? fileURLToPath(new URL('./peers.json', import.meta.url));

/** @returns {{ peers: Record<string, string>, files: Record<string, string> }} */
export function readPeerList() {
  const raw = JSON.parse(readFileSync(listFile, 'utf8'));
  return { peers: raw.peers ?? {}, files: raw.files ?? {} };
}

/** @param {string} cmd */
function onPath(cmd) {
  return spawnSync('sh', ['-c', 'command -v "$1" >/dev/null 2>&1', 'sh', cmd]).status === 0;
}

/** The Debian packages whose command or file is missing, sorted, without repeats. */
export function missingPackages() {
  const { peers, files } = readPeerList();
  const missing = new Set();
  for (const [cmd, pkg] of Object.entries(peers)) if (!onPath(cmd)) missing.add(pkg);
  for (const [file, pkg] of Object.entries(files)) if (!existsSync(file)) missing.add(pkg);
  return [...missing].sort();
}

/** All Debian packages of the list, sorted, without repeats. */
export function allPackages() {
  const { peers, files } = readPeerList();
  return [...new Set([...Object.values(peers), ...Object.values(files)])].sort();
}

/** How this process can run apt-get as root: '' (it is root), 'sudo' (passwordless sudo), or null (it cannot). */
function privilege() {
  if (!onPath('apt-get')) return null;
  if (typeof process.getuid === 'function' && process.getuid() === 0) return '';
  if (onPath('sudo') && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0) return 'sudo';
  return null;
}

/** @param {string[]} pkgs */
export function installCommand(pkgs) {
  return `sudo apt-get update && sudo apt-get install -y --no-install-recommends ${pkgs.join(' ')}`;
}

/**
 * Install `pkgs` with apt in one step. Returns true when every peer is then present.
 * @param {string[]} pkgs @param {string} sudo
 */
function install(pkgs, sudo) {
  const pre = sudo === '' ? [] : [sudo];
  const run = (/** @type {string[]} */ argv, /** @type {string | undefined} */ input) => {
    const [cmd, ...args] = [...pre, ...argv];
    const r = spawnSync(/** @type {string} */ (cmd), args, {
      stdio: [input === undefined ? 'ignore' : 'pipe', 'inherit', 'inherit'],
      input,
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    return r.status === 0;
  };
  // tshark asks at install time whether non-root users may capture; answer for it (no).
  if (pkgs.includes('tshark')) run(['debconf-set-selections'], 'wireshark-common wireshark-common/install-setuid boolean false\n');
  if (!run(['apt-get', 'update', '-qq'])) console.error('ensure-peers: apt-get update failed; trying the install anyway');
  if (!run(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...pkgs])) return false;
  return missingPackages().length === 0;
}

/** One line per peer command: the first line of its version output that looks like a version (for CI logs). */
function printVersions() {
  const { peers } = readPeerList();
  const flags = { java: ['-version'], tshark: ['--version'], 'gnutls-cli': ['--version'], 'gnutls-serv': ['--version'], openssl: ['version'] };
  for (const cmd of Object.keys(peers)) {
    const r = spawnSync(cmd, flags[cmd] ?? ['--version'], { encoding: 'utf8', timeout: 10_000 });
    const line = `${r.stdout ?? ''}\n${r.stderr ?? ''}`.split('\n').find((l) => /[0-9]+\.[0-9]+/.test(l)) ?? '?';
    console.log(`  ${cmd.padEnd(12)} ${line.trim()}`);
  }
}

function main() {
  const args = process.argv.slice(2);
  if (args.includes('--list')) {
    console.log(allPackages().join(' '));
    return 0;
  }
  const missing = missingPackages();
  if (missing.length === 0) {
    console.log(`peers: all present (${allPackages().length} Debian packages in scripts/peers.json)`);
    printVersions();
    return 0;
  }
  const sudo = args.includes('--check') ? null : privilege();
  if (sudo === null) {
    console.error(
      [
        `peers: ${missing.length} Debian package(s) the interop tests need are missing: ${missing.join(', ')}.`,
        args.includes('--check')
          ? 'Install them with:'
          : 'This user cannot install them (not root, no passwordless sudo, or no apt-get). Run this once, then `npm test` again:',
        '',
        `  ${installCommand(missing)}`,
        '',
        'Only the unit tests need no peer: `npm run test:unit`.',
      ].join('\n'),
    );
    return 1;
  }
  const who = sudo === '' ? 'as root' : 'with sudo';
  console.log(`peers: installing ${missing.join(' ')} ${who} (apt-get install -y --no-install-recommends): the interop tests run these real TLS peers`);
  const t0 = Date.now();
  if (!install(missing, sudo)) {
    const still = missingPackages();
    console.error(`peers: the install did not complete; still missing: ${still.join(', ')}. Try:\n\n  ${installCommand(still)}\n`);
    return 1;
  }
  console.log(`peers: installed in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  printVersions();
  return 0;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) process.exit(main());
