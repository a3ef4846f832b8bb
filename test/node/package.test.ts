/**
 * The published package: `npm pack` (its prepack builds dist/src) gives a tarball that, unpacked into a fresh
 * project's node_modules, runs the README's samples — the idiomatic API and "Node: HTTPS and streams" — as ESM
 * (`import`) and as CommonJS (`require`, which Node ≥ 20.19 and ≥ 22.12 allow for an ES module without top-level
 * await). The samples are read from README.md itself, so the README cannot drift from what the package offers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { annotate, freePort, projectRoot, spawnPeer } from '../helpers/peers.js';
import { getPki } from '../helpers/pki.js';

/** The first ```ts block after the README heading `heading`. */
function readmeSample(heading: string): string {
  const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
  const at = readme.indexOf(`\n## ${heading}\n`);
  assert.ok(at >= 0, `README has a '## ${heading}' section`);
  const m = /```ts\n([\s\S]*?)```/.exec(readme.slice(at));
  assert.ok(m?.[1] !== undefined, `README's '${heading}' has a ts sample`);
  return m[1];
}

/** ESM imports → CommonJS requires (the only syntax difference in the samples). */
function toCommonJs(src: string): string {
  return src
    .replace(/^import \* as (\w+) from '([^']+)';$/gm, "const $1 = require('$2');")
    .replace(/^import \{([^}]+)\} from '([^']+)';$/gm, "const {$1} = require('$2');");
}

/** Run `file` with node until every pattern showed in its stdout; then stop it. */
async function runUntil(file: string, cwd: string, patterns: readonly RegExp[]): Promise<string> {
  const p = await spawnPeer(process.execPath, [file], { cwd, name: file, stream: 'stdout', timeoutMs: 20_000 });
  try {
    for (const re of patterns) await p.waitFor(re, 20_000, 'stdout');
    return p.stdout();
  } catch (e) {
    throw annotate(e, [p]);
  } finally {
    await p.stop();
  }
}

test('npm pack → a fresh project runs the README samples as ESM and as CommonJS', { timeout: 240_000 }, async () => {
  const work = mkdtempSync(join(tmpdir(), 'sspi-tls-pack-'));
  try {
    // Packed from a staged copy of the sources: prepack's build writes dist/src, and doing that in the checkout would
    // rewrite modules under the test files running beside this one (seen: a half-written dist/src/tls12 module).
    const stage = join(work, 'stage');
    mkdirSync(stage);
    for (const f of ['package.json', 'README.md', 'LICENSE', 'tsconfig.json', 'tsconfig.build.json']) copyFileSync(join(projectRoot, f), join(stage, f));
    cpSync(join(projectRoot, 'src'), join(stage, 'src'), { recursive: true });
    symlinkSync(join(projectRoot, 'node_modules'), join(stage, 'node_modules'), 'dir');
    const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: stage, encoding: 'utf8', timeout: 180_000 })) as {
      filename: string;
      files: { path: string }[];
    }[];
    const info = packed[0];
    assert.ok(info !== undefined);
    const paths = info.files.map((f) => f.path);
    for (const must of ['package.json', 'README.md', 'LICENSE', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/node/index.js', 'dist/src/sspi/index.js', 'dist/src/cli/main.js']) {
      assert.ok(paths.includes(must), `the tarball holds ${must}`);
    }
    assert.ok(!paths.some((p) => p.startsWith('dist/test/') || p.startsWith('src/') || p.startsWith('test/')), 'no tests or sources in the tarball');
    assert.ok(paths.length > 50, `a working package, not ${paths.length} files`);

    // "Install": unpack into node_modules/sspi-tls, with the dependencies this checkout has (no network).
    const app = join(work, 'app');
    const mods = join(app, 'node_modules');
    mkdirSync(join(mods, 'sspi-tls'), { recursive: true });
    execFileSync('tar', ['-xzf', join(work, info.filename), '-C', join(mods, 'sspi-tls'), '--strip-components=1']);
    const deps = Object.keys((JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies);
    for (const d of deps) {
      mkdirSync(join(mods, d, '..'), { recursive: true });
      symlinkSync(join(projectRoot, 'node_modules', d), join(mods, d), 'dir');
    }
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true }));

    const pki = await getPki();
    const pems = [
      `const keyPem = ${JSON.stringify(pki.server.p256.keyPem)};`,
      `const certPem = ${JSON.stringify(pki.server.p256.certPem)};`,
      `const caPem = ${JSON.stringify(pki.ca.certPem)};`,
    ].join('\n');

    // The idiomatic API: an in-memory handshake and an echo.
    const idiomatic = readmeSample('The idiomatic API');
    const idiomaticOut = [/TLSv1\.3 TLS_AES_128_GCM_SHA256 X25519MLKEM768 http\/1\.1/, /^hello$/m];
    // The PEM constants go right after the imports (a const must precede its use).
    const withPems = (src: string): string => {
      const lines = src.split('\n');
      const last = lines.reduce((n, l, i) => (/^(import |const \{.*\} = require|const \w+ = require)/.test(l) ? i : n), -1);
      lines.splice(last + 1, 0, pems);
      return lines.join('\n');
    };
    writeFileSync(join(app, 'idiomatic.mjs'), withPems(idiomatic));
    writeFileSync(join(app, 'idiomatic.cjs'), withPems(toCommonJs(idiomatic)));
    await runUntil('idiomatic.mjs', app, idiomaticOut);
    await runUntil('idiomatic.cjs', app, idiomaticOut);

    // Node: HTTPS and streams, on a free port instead of 8443.
    const port = await freePort();
    const node = readmeSample('Node: HTTPS and streams').replace(/8443/g, String(port));
    assert.ok(node.includes(String(port)), 'the sample names its port');
    const nodeOut = [/^hello$/m, /TLSv1\.3 TLS_AES_\d+_GCM_SHA\d+ http\/1\.1/];
    writeFileSync(join(app, 'node.mjs'), withPems(node));
    writeFileSync(join(app, 'node.cjs'), withPems(toCommonJs(node)));
    await runUntil('node.mjs', app, nodeOut);
    await runUntil('node.cjs', app, nodeOut);

    // The CLI from the installed package.
    const v = execFileSync(process.execPath, [join(mods, 'sspi-tls', 'dist', 'src', 'cli', 'main.js'), '--version'], { encoding: 'utf8' });
    assert.match(v.trim(), /^sspi-tls \d+\.\d+\.\d+/);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
