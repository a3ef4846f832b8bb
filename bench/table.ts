/**
 * Render bench/results.json as the markdown table for the README: `node dist/bench/table.js [results.json]`.
 * run.ts uses the same renderer for its stdout.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type { Summary } from './stats.js';

/** One figure of the table: a median with min and max over rounds (or null: not measured, with a note). */
export interface Row {
  readonly section: string;
  readonly metric: string;
  readonly value: Summary | null;
  readonly unit: string;
  readonly digits?: number;
  /** The README's target, as text ("≤ 1.3×"), and whether the median meets it. */
  readonly target?: string;
  readonly met?: boolean | undefined;
  readonly note?: string;
}

export interface Results {
  readonly meta: {
    readonly date: string;
    readonly node: string;
    readonly openssl: string;
    readonly cpus: string;
    readonly cores: number;
    readonly loadavg: readonly number[];
    readonly quick: boolean;
    readonly rounds: number;
    readonly budgetMs: number;
    /** Absent in results written before the warm-up was configurable (then 100 ms). */
    readonly warmupMs?: number;
    readonly slices?: number;
  };
  readonly rows: readonly Row[];
  readonly floorOps?: Record<string, unknown>;
}

function fmt(x: number, digits: number): string {
  return x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export function renderTable(r: Results): string {
  const m = r.meta;
  const out: string[] = [];
  out.push(`Node ${m.node}, OpenSSL ${m.openssl}, ${m.cores} × ${m.cpus}; load average at start ${m.loadavg.map((x) => x.toFixed(2)).join(' ')}; ` +
    `${m.rounds} rounds of ${m.budgetMs} ms per contender${m.quick ? ' (--quick)' : ''}; ${m.date}. Median (min–max) over rounds; ratios taken per round.`);
  let section = '';
  for (const row of r.rows) {
    if (row.section !== section) {
      section = row.section;
      out.push('', `**${section}**`, '', '| Metric | Median (min–max) | Target |', '|---|---|---|');
    }
    const d = row.digits ?? 0;
    let v: string;
    if (row.value === null || row.value.n === 0) v = row.note ?? 'n/a';
    else v = `${fmt(row.value.median, d)}${row.unit} (${fmt(row.value.min, d)}–${fmt(row.value.max, d)})`;
    const target = row.target === undefined ? '' : `${row.target}${row.met === undefined ? '' : row.met ? ' ✅' : ' ❌'}`;
    const note = row.value !== null && row.value.n > 0 && row.note !== undefined ? ` — ${row.note}` : '';
    out.push(`| ${row.metric} | ${v}${note} | ${target} |`);
  }
  return out.join('\n');
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const here = dirname(fileURLToPath(import.meta.url));
  const file = process.argv[2] ?? join(here, '..', '..', 'bench', 'results.json');
  process.stdout.write(renderTable(JSON.parse(readFileSync(file, 'utf8')) as Results) + '\n');
}
