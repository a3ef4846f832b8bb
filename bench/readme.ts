/**
 * Put the benchmark summary into README.md between `<!-- BENCH:BEGIN -->` and `<!-- BENCH:END -->`:
 * `node dist/bench/readme.js [results.json]` after `npm run bench`. The summary is every row that has a target,
 * plus the headline rates, each with the section it belongs to; the full table is `node dist/bench/table.js`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Results, Row } from './table.js';

const HEADLINES = [
  /^sspi-tls pairs\/s/,
  /^Node's tls pairs\/s/,
  /^sspi-tls resumed pairs\/s/,
  /^sspi-tls TLS 1\.2 pairs\/s/,
  /^sspi-tls handshakes\/s with X25519MLKEM768/,
  /^sspi-tls idiomatic API \(write/,
  /^raw node:crypto seal\+open \(/,
  /^Node's tls over a memory Duplex pair/,
  /^SSPI overhead per handshake/,
  /^sspi-tls server time ÷ server crypto floor/,
  /^server-side bound/,
  /^sspi-tls engine \(sealRecordParts/,
  /^fresh-record raw ÷ raw/,
  /^caller-buffer raw ÷ raw/,
  /^engine ÷ caller-buffer raw/,
  /^idiomatic API ÷ fresh-record raw/,
  /^Node's tls ÷ fresh-record raw/,
  // Issue 18 item 6: the adapter against Node's tls, its stream overhead, and the lemon-tls competitor row.
  /^Node's tls, shared SecureContexts/,
  /^TlsDuplex shared ÷ idiomatic API/,
  /^lemon-tls TLSSocket pairs\/s/,
  // Issue 18 item 3: the 2× target's bound (Node's pair ÷ the adapter pair's crypto floor) and the adapter's overhead over that floor.
  /^Node's tls pair time ÷ crypto floor/,
  /^TlsDuplex shared pair time ÷ crypto floor/,
];

/**
 * Rows whose note carries the figures the issue asks for (the hybrid group's pair and server-side ratios to
 * x25519, the adapter rows' ratios to shared and to Node's, the lemon-tls ratio): the summary shows the note after the value, as the full table does.
 */
const WITH_NOTE = [/X25519MLKEM768/, /^TlsDuplex, /, /^lemon-tls TLSSocket pairs\/s/, /^TlsDuplex shared ÷ idiomatic API/, /^Node's tls pair time ÷ crypto floor/, /^TlsDuplex shared pair time ÷ crypto floor/];

function fmt(x: number, digits: number): string {
  return x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function short(section: string): string {
  return section
    .replace(/^Full TLS 1\.3 handshakes, /, 'TLS 1.3 full, ')
    .replace(/^Full TLS 1\.2 handshakes, /, 'TLS 1.2 full, ')
    .replace(/, in memory.*$/, '')
    .replace(/^Bulk throughput, 16 KiB records, /, 'bulk, ')
    .replace(/, one direction, MB\/s of plaintext$/, '')
    .replace(/^Memory per established idle TLS 1\.3 connection.*$/, 'memory per idle connection')
    .replace(/^SSPI loop overhead over the engine.*$/, 'SSPI handshake');
}

/** The compact README table. */
export function renderSummary(r: Results): string {
  const m = r.meta;
  const rows = r.rows.filter((row: Row) => row.target !== undefined || HEADLINES.some((h) => h.test(row.metric)));
  const out = [
    `Measured by \`npm run bench\` on this project's CI machine kind: Node ${m.node}, OpenSSL ${m.openssl}, ${m.cores} × ${m.cpus}, ` +
      `${m.rounds} rounds of ${m.budgetMs} ms per contender after ${((m.warmupMs ?? 100) / 1000).toLocaleString('en-US')} s of warm-up each${(m.slices ?? 1) > 1 ? ` (rounds cut into ${m.slices} alternating slices)` : ''}, load average ${m.loadavg.map((x) => x.toFixed(1)).join(' ')} at the start (${m.date.slice(0, 10)}). ` +
      'Median (min–max) over rounds; every ratio is taken per round between things measured side by side.',
    '',
    '| what | metric | measured | target |',
    '| --- | --- | --- | --- |',
  ];
  for (const row of rows) {
    const d = row.digits ?? 0;
    const measured = row.value === null || row.value.n === 0 ? undefined : `${fmt(row.value.median, d)}${row.unit} (${fmt(row.value.min, d)}–${fmt(row.value.max, d)})`;
    const note = measured !== undefined && row.note !== undefined && WITH_NOTE.some((w) => w.test(row.metric)) ? ` — ${row.note}` : '';
    const v = measured === undefined ? (row.note ?? 'n/a') : `${measured}${note}`;
    const t = row.target === undefined ? '' : `${row.target} ${row.met === true ? '✅ met' : row.met === false ? '❌ not met' : ''}`;
    out.push(`| ${short(row.section)} | ${row.metric} | ${v} | ${t} |`);
  }
  return out.join('\n');
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const file = process.argv[2] ?? join(root, 'bench', 'results.json');
  const summary = renderSummary(JSON.parse(readFileSync(file, 'utf8')) as Results);
  const readmePath = join(root, 'README.md');
  const readme = readFileSync(readmePath, 'utf8');
  const re = /<!-- BENCH:BEGIN -->[\s\S]*?<!-- BENCH:END -->/;
  if (!re.test(readme)) throw new Error('README.md lacks <!-- BENCH:BEGIN --> / <!-- BENCH:END -->');
  writeFileSync(readmePath, readme.replace(re, `<!-- BENCH:BEGIN -->\n${summary}\n<!-- BENCH:END -->`));
  process.stdout.write(summary + '\n');
}
