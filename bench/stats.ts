/**
 * Rounds and summaries. Every figure is a median over repeated rounds with its min and max; contenders that are
 * compared run interleaved (round 1: A B C, round 2: C B A, ...) so a ratio compares numbers taken side by side in
 * the same run, on the same (possibly loaded) machine. Ratios are computed per round, then summarised.
 */

export interface Summary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly n: number;
}

export function summarize(xs: readonly number[]): Summary {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return { median: NaN, min: NaN, max: NaN, n: 0 };
  const mid = v.length >> 1;
  const median = v.length % 2 === 1 ? (v[mid] as number) : ((v[mid - 1] as number) + (v[mid] as number)) / 2;
  return { median, min: v[0] as number, max: v[v.length - 1] as number, n: v.length };
}

/** One contender: `run(budgetMs)` does as many operations as fit in the budget and returns its metrics. */
export interface Contender {
  readonly name: string;
  run(budgetMs: number): Promise<Metrics> | Metrics;
}
export type Metrics = Record<string, number>;

/** metrics[contender][metric] = one value per round. */
export type RoundData = Record<string, Record<string, number[]>>;

/**
 * Run `rounds` rounds of every contender, interleaved, alternating the order; one warm-up round is discarded.
 * Each round is cut into `slices` slices of budgetMs / slices per contender, alternating the contenders slice by
 * slice: a round's figure for a contender is the mean of its slices, so contenders compared in a round were measured
 * within one slice of each other, not a whole round apart (on a shared machine, load comes and goes within a
 * round). `slices` = 1 is the classic one block per contender and round.
 */
export async function runRounds(contenders: readonly Contender[], rounds: number, budgetMs: number, log?: (s: string) => void, slices = 1): Promise<RoundData> {
  const data: RoundData = {};
  for (const c of contenders) data[c.name] = {};
  const n = Math.max(1, Math.floor(slices));
  for (let r = -1; r < rounds; r++) {
    const sums = new Map<string, Record<string, number>>();
    const parts = r < 0 ? 1 : n;
    for (let k = 0; k < parts; k++) {
      const order = (r * n + k) % 2 === 0 ? contenders : [...contenders].reverse();
      for (const c of order) {
        const m = await c.run(r < 0 ? Math.min(budgetMs, 100) : budgetMs / parts);
        if (r < 0) continue;
        const acc = sums.get(c.name) ?? {};
        for (const [key, v] of Object.entries(m)) acc[key] = (acc[key] ?? 0) + v / parts;
        sums.set(c.name, acc);
      }
    }
    if (r >= 0) {
      for (const [name, acc] of sums) {
        const d = data[name] as Record<string, number[]>;
        for (const [k, v] of Object.entries(acc)) (d[k] ??= []).push(v);
      }
    }
    log?.(`  round ${r < 0 ? 'warm-up' : r + 1}/${rounds}`);
  }
  return data;
}

/** Per-round ratio a/b of two series (same length, same rounds). */
export function ratio(a: readonly number[] | undefined, b: readonly number[] | undefined): Summary {
  if (a === undefined || b === undefined) return summarize([]);
  const n = Math.min(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((a[i] as number) / (b[i] as number));
  return summarize(out);
}

/** Repeat a synchronous operation until `budgetMs` elapsed (at least `minOps` times); returns ns per op. */
export function timeSync(budgetMs: number, op: () => void, minOps = 3): { nsPerOp: number; ops: number } {
  const budget = BigInt(Math.round(budgetMs * 1e6));
  const t0 = process.hrtime.bigint();
  let ops = 0;
  let el = 0n;
  while (ops < minOps || el < budget) {
    op();
    ops++;
    el = process.hrtime.bigint() - t0;
  }
  return { nsPerOp: Number(el) / ops, ops };
}

/**
 * As timeSync for an asynchronous operation, one at a time. The time includes two turns of the event loop after
 * the last operation, so the deferred work an operation leaves behind (close events, destroyed streams' callbacks)
 * is charged to it rather than to whatever runs next.
 */
export async function timeAsync(budgetMs: number, op: () => Promise<void>, minOps = 3): Promise<{ nsPerOp: number; ops: number }> {
  const budget = BigInt(Math.round(budgetMs * 1e6));
  const t0 = process.hrtime.bigint();
  let ops = 0;
  let el = 0n;
  while (ops < minOps || el < budget) {
    await op();
    ops++;
    el = process.hrtime.bigint() - t0;
  }
  await settle();
  el = process.hrtime.bigint() - t0;
  return { nsPerOp: Number(el) / ops, ops };
}

/** Two turns of the event loop (each through its check and close phases). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 2; i++) await new Promise((r) => setImmediate(r));
}

export function fmtSummary(s: Summary, digits = 0, unit = ''): string {
  if (s.n === 0) return 'n/a';
  const f = (x: number): string => x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  return `${f(s.median)}${unit} (${f(s.min)}–${f(s.max)})`;
}
