#!/usr/bin/env node
// Layering and style lint for src/ (DESIGN.md C.1, C.11); the rules are in scripts/lint-core.mjs.
// Prints `file:line: message` per violation and exits 1 if there are any.
import { fileURLToPath } from 'node:url';
import { lintTree } from './lint-core.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const violations = lintTree(root);
for (const v of violations) console.log(`${v.file}:${v.line}: ${v.message}`);
if (violations.length > 0) {
  console.error(`lint: ${violations.length} violation(s)`);
  process.exit(1);
}
console.log('lint: ok');
