/** The README's interop table is generated from the matrix the interop tests run: it cannot drift. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { interopTable } from '../interop/matrix.js';
import { projectRoot } from '../helpers/peers.js';

test('README interop table equals interopTable() of test/interop/matrix.ts', () => {
  const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
  const m = /<!-- INTEROP:BEGIN -->\n([\s\S]*?)\n<!-- INTEROP:END -->/.exec(readme);
  assert.ok(m, 'README.md lacks the INTEROP:BEGIN/END markers');
  assert.equal(m[1], interopTable(), 'regenerate the README table: node -e "import(\'./dist/test/interop/matrix.js\').then(m=>console.log(m.interopTable()))"');
});

test('every TypeScript example in the README type-checks against the built package', async () => {
  const ts = (await import('typescript')).default;
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] as string);
  assert.ok(blocks.length >= 4, 'README has its API examples');
  // The examples use the package's subpaths; point them at the built declarations of this checkout.
  const dist = join(projectRoot, 'dist', 'src');
  const dir = mkdtempSync(join(projectRoot, 'dist', 'readme-'));
  try {
    const prelude = 'declare const certPem: string, keyPem: string, caPem: string, chainPem: string, rootsPem: string;\ndeclare function send(b: Uint8Array): void;\n';
    const files = blocks.map((b, i) => {
      const f = join(dir, `example${i}.ts`);
      const src = b
        .replace(/from 'sspi-tls\/(sspi|node|x509|session)'/g, (_m, sub: string) => `from '${join(dist, sub, 'index.js')}'`)
        .replace(/from 'sspi-tls'/g, `from '${join(dist, 'index.js')}'`);
      writeFileSync(f, `${prelude}${src}\nexport {};\n`);
      return f;
    });
    const program = ts.createProgram(files, {
      strict: true,
      noUncheckedIndexedAccess: true,
      exactOptionalPropertyTypes: true,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      types: ['node'],
      typeRoots: [join(projectRoot, 'node_modules', '@types')],
      skipLibCheck: true,
      noEmit: true,
    });
    const diags = ts.getPreEmitDiagnostics(program).map((d) => `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    assert.deepEqual(diags, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
