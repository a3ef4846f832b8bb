/**
 * The state machines' handler tables (src/handshake/dispatch.ts): a mapped type over the state union gives each
 * handler its own state, and the dispatcher calls it without a cast. The type checks fail the build if a table
 * misses a state or a handler is typed for another state's fields.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dispatch, dispatchIfHandled, type HandlerTable, type PartialHandlerTable } from '../../../src/handshake/dispatch.js';

type State = { readonly kind: 'ExpectHello'; readonly tries: number } | { readonly kind: 'ExpectFinished'; readonly transcript: string } | { readonly kind: 'Traffic' };

const table: HandlerTable<State, [string], State> = {
  ExpectHello: (s, m) => (m === 'hello' ? { kind: 'ExpectFinished', transcript: `${s.tries}:${m}` } : { kind: 'ExpectHello', tries: s.tries + 1 }),
  ExpectFinished: (s, m) => (m === 'finished' && s.transcript.endsWith('hello') ? { kind: 'Traffic' } : s),
  Traffic: (s) => s,
};

test('dispatch calls the handler of the state\'s kind with that state', () => {
  let s: State = { kind: 'ExpectHello', tries: 0 };
  s = dispatch(table, s, 'noise');
  assert.deepEqual(s, { kind: 'ExpectHello', tries: 1 });
  s = dispatch(table, s, 'hello');
  assert.deepEqual(s, { kind: 'ExpectFinished', transcript: '1:hello' });
  s = dispatch(table, s, 'finished');
  assert.deepEqual(s, { kind: 'Traffic' });
});

test('dispatchIfHandled: undefined for a kind without a handler', () => {
  const ccs: PartialHandlerTable<State, [], State> = { ExpectFinished: () => ({ kind: 'Traffic' }) };
  assert.deepEqual(dispatchIfHandled(ccs, { kind: 'ExpectFinished', transcript: '' }), { kind: 'Traffic' });
  assert.equal(dispatchIfHandled(ccs, { kind: 'ExpectHello', tries: 0 }), undefined);
});

test('HandlerTable: a missing state or a handler reading another state\'s field does not type-check', () => {
  // @ts-expect-error the Traffic handler is missing
  const missing: HandlerTable<State, [string], State> = { ExpectHello: (s) => s, ExpectFinished: (s) => s };
  const wrongField: HandlerTable<State, [string], State> = {
    // @ts-expect-error ExpectHello has no transcript
    ExpectHello: (s) => ({ kind: 'ExpectFinished', transcript: s.transcript }),
    ExpectFinished: (s) => s,
    Traffic: (s) => s,
  };
  assert.ok(missing !== undefined && wrongField !== undefined);
});
