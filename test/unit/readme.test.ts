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
