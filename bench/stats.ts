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

/** How runRounds measures: rounds, each contender's budget per round, warm-up, slices. */
export interface RoundPlan {
  readonly rounds: number;
  /** Each contender's time per round (ms). */
  readonly budgetMs: number;
  /**
   * Each contender's warm-up (ms), run before the first round and discarded: V8 keeps compiling a handshake's code
   * and growing its young generation for the first few thousand pairs (a TLS 1.3 pair through the idiomatic API
   * takes ~2.4× its steady-state time in its first 1,000 and ~1.1× in its fourth), and a server lives in the steady
   * state.
   */
  readonly warmupMs: number;
  /**
   * Each round cut into this many slices of budgetMs / slices per contender, alternating the contenders slice by
   * slice (a round's figure is the mean of its slices). 1: one block per contender and round.
   */
  readonly slices?: number;
}

/**
 * Run the plan's rounds of every contender, interleaved, alternating the order, after the warm-up: contenders
 * compared by a ratio are measured side by side in every round.
 */
export async function runRounds(contenders: readonly Contender[], plan: RoundPlan, log?: (s: string) => void): Promise<RoundData> {
  const data: RoundData = {};
  for (const c of contenders) data[c.name] = {};
  const n = Math.max(1, Math.floor(plan.slices ?? 1));
  for (const c of contenders) {
    // The warm-up in budget-sized runs (a contender may prepare per run), at least one.
    for (let left = plan.warmupMs; ; left -= plan.budgetMs) {
      await c.run(Math.min(plan.budgetMs, Math.max(left, 1)));
      if (left <= plan.budgetMs) break;
    }
  }
  if (plan.warmupMs > 0) log?.('  warm-up done');
  for (let r = 0; r < plan.rounds; r++) {
    const sums = new Map<string, Record<string, number>>();
    for (let k = 0; k < n; k++) {
      const order = (r * n + k) % 2 === 0 ? contenders : [...contenders].reverse();
      for (const c of order) {
        const m = await c.run(plan.budgetMs / n);
        const acc = sums.get(c.name) ?? {};
        for (const [key, v] of Object.entries(m)) acc[key] = (acc[key] ?? 0) + v / n;
        sums.set(c.name, acc);
      }
    }
    for (const [name, acc] of sums) {
      const d = data[name] as Record<string, number[]>;
      for (const [k, v] of Object.entries(acc)) (d[k] ??= []).push(v);
    }
    log?.(`  round ${r + 1}/${plan.rounds}`);
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
