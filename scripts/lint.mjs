#!/usr/bin/env node
// Layering and style lint for src/ (DESIGN.md C.1, C.11); the rules are in scripts/lint-core.mjs.
// Prints `file:line: message` per violation and exits 1 if there are any. `--graph` also prints the import graph's
// size, its upward arrows and its cycles (type imports included).
import { fileURLToPath } from 'node:url';
import { graphSummary, lintTree, readSources } from './lint-core.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const violations = lintTree(root);
if (process.argv.includes('--graph')) {
  // The proof asked for in issue 13: every import arrow (type imports included), how many run upward, how many cycles.
  const g = graphSummary(readSources(root));
  console.log(
    `import graph: ${g.files} files, ${g.fileArrows} file arrows (${g.typeOnlyArrows} type-only), ` +
      `${g.folderArrows} folder arrows, ${g.upward.length} upward${g.upward.length > 0 ? ` (${g.upward.join(', ')})` : ''}, ${g.cycles} cycles`,
  );
}
for (const v of violations) console.log(`${v.file}:${v.line}: ${v.message}`);
if (violations.length > 0) {
  console.error(`lint: ${violations.length} violation(s)`);
  process.exit(1);
}
console.log('lint: ok');
