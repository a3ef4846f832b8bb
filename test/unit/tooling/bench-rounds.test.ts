/**
 * bench/stats.ts runRounds: what `npm run bench` measures depends on it, so its plan is pinned here: each
 * contender's warm-up is run and discarded, every round measures every contender in alternating order, and a round
 * cut into slices reports the mean of its slices.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runRounds, timeAsync, type Contender } from '../../../bench/stats.js';

/** A contender that records the budgets it was given and reports a fixed sequence of values. */
function scripted(name: string, values: number[], calls: { name: string; budget: number }[]): Contender {
  let i = 0;
  return {
    name,
    run: (budget) => {
      calls.push({ name, budget });
      return { ns: values[i++ % values.length] as number };
    },
  };
}

test('runRounds: the warm-up runs in budget-sized parts and is discarded; rounds alternate the order', async () => {
  const calls: { name: string; budget: number }[] = [];
  const a = scripted('a', [999, 999, 999, 1, 2, 3], calls);
  const b = scripted('b', [999, 999, 999, 10, 20, 30], calls);
  const d = await runRounds([a, b], { rounds: 3, budgetMs: 40, warmupMs: 100 });
  // 100 ms of warm-up in 40 ms parts: 40, 40, 20 for each contender, then one run per round.
  assert.deepEqual(calls.slice(0, 6), [
    { name: 'a', budget: 40 }, { name: 'a', budget: 40 }, { name: 'a', budget: 20 },
    { name: 'b', budget: 40 }, { name: 'b', budget: 40 }, { name: 'b', budget: 20 },
  ]);
  assert.deepEqual(calls.slice(6).map((c) => c.name), ['a', 'b', 'b', 'a', 'a', 'b']);
  assert.ok(calls.slice(6).every((c) => c.budget === 40));
  // The warm-up's values (999) are nowhere in the data.
  assert.deepEqual(d['a']?.['ns'], [1, 2, 3]);
  assert.deepEqual(d['b']?.['ns'], [10, 20, 30]);
});

test('runRounds: without a warm-up each contender still runs once before the rounds', async () => {
  const calls: { name: string; budget: number }[] = [];
  const d = await runRounds([scripted('a', [7, 1], calls)], { rounds: 1, budgetMs: 50, warmupMs: 0 });
  assert.equal(calls.length, 2);
  assert.deepEqual(d['a']?.['ns'], [1]);
});

test('runRounds: a round cut into slices reports the mean of its slices, each given budget / slices', async () => {
  const calls: { name: string; budget: number }[] = [];
  const a = scripted('a', [0, 2, 4, 6, 8], calls);
  const b = scripted('b', [0, 10, 30, 50, 70], calls);
  const d = await runRounds([a, b], { rounds: 2, budgetMs: 100, warmupMs: 0, slices: 2 });
  // After the one-run warm-up: round 1 = slices (a b) (b a), round 2 = (a b) (b a).
  assert.deepEqual(calls.slice(2).map((c) => `${c.name}${c.budget}`), ['a50', 'b50', 'b50', 'a50', 'a50', 'b50', 'b50', 'a50']);
  assert.deepEqual(d['a']?.['ns'], [3, 7]);
  assert.deepEqual(d['b']?.['ns'], [20, 60]);
});

test('timeAsync: work an operation defers to the next turns of the event loop is inside its time', async () => {
  let deferredDone = 0;
  const slow = (): void => {
    const until = Date.now() + 20;
    while (Date.now() < until) {
      // busy: this is the deferred work being measured
    }
    deferredDone++;
  };
  // Each operation resolves at once and leaves 20 ms of work to a setImmediate.
  const r = await timeAsync(0, async () => {
    setImmediate(slow);
  }, 1);
  assert.equal(deferredDone, 1, 'the deferred work ran before timeAsync returned');
  assert.ok(r.nsPerOp >= 19e6, `the deferred 20 ms is in the time (${(r.nsPerOp / 1e6).toFixed(1)} ms)`);
});
