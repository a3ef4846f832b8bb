#!/usr/bin/env node
// The markdown tables of docs/conformance.md's "Node's own tls/https tests" section, from a run's JSON:
//
//   NODE_TESTS_DIR=… npm run node-compat -- --json /tmp/nc.json && node scripts/node-compat/tables.mjs /tmp/nc.json
//
// Prints the counts, the deliberate differences grouped by reason, the explained failures (`open`) and every other
// failure with its first line. Reads only the JSON it is given.
import { readFileSync } from 'node:fs';

const file = process.argv[2];
if (file === undefined) {
  console.error('usage: node scripts/node-compat/tables.mjs RESULTS.json');
  process.exit(2);
}
/** @type {{ node: string, results: { name: string, verdict: string, reason?: string, known?: boolean }[] }} */
const run = JSON.parse(readFileSync(file, 'utf8'));
const count = (v) => run.results.filter((r) => r.verdict === v).length;
const exercised = run.results.filter((r) => ['pass', 'fail', 'deliberate'].includes(r.verdict));
const cell = (s) => s.replace(/\|/g, '\\|').replace(/\s+/g, ' ').trim();
/** The reason a verdict carries, without the test's own error text after ' — '. */
const why = (r) => {
  const text = r.reason ?? '';
  if (!text.startsWith('(known: ')) return text.split(' — ')[0] ?? '';
  return (text.slice('(known: '.length).split(') — ')[0] ?? '');
};

const out = [];
out.push(`| | ${run.node} |`, '|---|---|');
out.push(`| test files | ${run.results.length} |`);
out.push(`| exercise the adapter (and pass on stock Node) | ${exercised.length} |`);
out.push(`| pass | **${count('pass')}** |`);
out.push(`| deliberate differences | ${count('deliberate')} |`);
const fails = run.results.filter((r) => r.verdict === 'fail');
out.push(`| failures | **${fails.length}** (of which ${fails.filter((r) => r.known === true).length} explained under \`open\`) |`);
out.push(`| never call the adapter / skip themselves / fail on stock Node too | ${count('not-exercised')} / ${count('skipped')} / ${count('fails-on-stock-node')} |`);

const grouped = (rows) => {
  const by = new Map();
  for (const r of rows) by.set(why(r), [...(by.get(why(r)) ?? []), r.name.replace(/\.js$/, '')]);
  return [...by.entries()].sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]));
};
out.push('', '### Deliberate differences', '', '| tests | why |', '|---|---|');
for (const [reason, names] of grouped(run.results.filter((r) => r.verdict === 'deliberate'))) out.push(`| ${names.length}: ${names.join(', ')} | ${cell(reason)} |`);
out.push('', '### Explained failures (`open`)', '');
const explained = grouped(fails.filter((r) => r.known === true));
if (explained.length === 0) out.push('None.');
else out.push('| tests | why |', '|---|---|');
for (const [reason, names] of explained) out.push(`| ${names.length}: ${names.join(', ')} | ${cell(reason)} |`);
const unexplained = fails.filter((r) => r.known !== true);
out.push('', '### Other failures', '');
if (unexplained.length === 0) out.push('None.');
else {
  out.push('| test | first line of its failure |', '|---|---|');
  for (const r of unexplained) out.push(`| ${r.name} | ${cell((r.reason ?? '').split('\n')[0] ?? '')} |`);
}
const stock = run.results.filter((r) => r.verdict === 'fails-on-stock-node');
if (stock.length > 0) out.push('', `Failing on stock Node too (so saying nothing about the adapter): ${stock.map((r) => r.name).join(', ')}.`);
console.log(out.join('\n'));
