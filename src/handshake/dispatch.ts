/**
 * Handler tables for the state machines: one handler per state kind, each typed for its own state (a mapped type
 * over the state union), and a dispatcher that calls the current state's handler without a cast. The dispatcher
 * fixes the state's kind as a type parameter, so the table entry it reads is the one typed for that kind, and a
 * type guard (always true at run time: the kind was read from the state) narrows the state to match.
 */
import { internalError } from '../errors.js';

/** One handler per kind of the state union `S`, each taking its own state. */
export type HandlerTable<S extends { readonly kind: string }, A extends unknown[], R> = {
  readonly [K in S['kind']]: (s: Extract<S, { readonly kind: K }>, ...args: A) => R;
};

/** Handlers for some kinds only (e.g. ChangeCipherSpec, expected in two TLS 1.2 states). */
export type PartialHandlerTable<S extends { readonly kind: string }, A extends unknown[], R> = {
  readonly [K in S['kind']]?: (s: Extract<S, { readonly kind: K }>, ...args: A) => R;
};

/** Call the handler of `s`'s kind. */
export function dispatch<S extends { readonly kind: string }, A extends unknown[], R>(table: HandlerTable<S, A, R>, s: S, ...args: A): R {
  return callFor(table, s.kind, s, args);
}

/** Call the handler of `s`'s kind, or return undefined when the table has none for it. */
export function dispatchIfHandled<S extends { readonly kind: string }, A extends unknown[], R>(table: PartialHandlerTable<S, A, R>, s: S, ...args: A): R | undefined {
  return callIfHandled(table, s.kind, s, args);
}

function callFor<S extends { readonly kind: string }, K extends S['kind'], A extends unknown[], R>(table: HandlerTable<S, A, R>, kind: K, s: S, args: A): R {
  const handler = table[kind];
  if (!isKind(s, kind)) throw internalError(`state ${s.kind} is not ${kind}`);
  return handler(s, ...args);
}

function callIfHandled<S extends { readonly kind: string }, K extends S['kind'], A extends unknown[], R>(table: PartialHandlerTable<S, A, R>, kind: K, s: S, args: A): R | undefined {
  const handler = table[kind];
  if (handler === undefined) return undefined;
  if (!isKind(s, kind)) throw internalError(`state ${s.kind} is not ${kind}`);
  return handler(s, ...args);
}

function isKind<S extends { readonly kind: string }, K extends S['kind']>(s: S, kind: K): s is Extract<S, { readonly kind: K }> {
  return s.kind === kind;
}
