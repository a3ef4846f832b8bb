/**
 * TypedEmitter (src/api/emitter.ts), the TlsConnection's events: one listener kept as itself, several in an array
 * replaced on on/off. The semantics stay those of a list: order of addition, a function added twice called once,
 * `off` of an absent listener a no-op, a listener added or removed during an emit taking effect from the next one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TypedEmitter } from '../../src/api/emitter.js';

interface Events {
  x: (v: number) => void;
  y: () => void;
}

class Emitter extends TypedEmitter<Events> {
  fire(v: number): void {
    this.emit('x', v);
  }
  fireY(): void {
    this.emit('y');
  }
}

test('TypedEmitter: order, no duplicates, off of an absent listener, events without listeners', () => {
  const e = new Emitter();
  const log: string[] = [];
  const a = (v: number): void => void log.push(`a${v}`);
  const b = (v: number): void => void log.push(`b${v}`);
  e.fire(0);
  e.fireY();
  e.off('x', a);
  e.on('x', a).on('x', a);
  e.fire(1);
  e.on('x', b);
  e.on('x', a);
  e.fire(2);
  e.off('x', a);
  e.fire(3);
  e.off('x', a);
  e.off('x', b);
  e.fire(4);
  e.on('x', b).on('x', a);
  e.fire(5);
  assert.deepEqual(log, ['a1', 'a2', 'b2', 'b3', 'b5', 'a5']);
});

test('TypedEmitter: a listener added or removed during an emit takes effect from the next emit', () => {
  const e = new Emitter();
  const log: string[] = [];
  const late = (v: number): void => void log.push(`late${v}`);
  const second = (v: number): void => void log.push(`second${v}`);
  const first = (v: number): void => {
    log.push(`first${v}`);
    e.off('x', first);
    e.off('x', second);
    e.on('x', late);
  };
  e.on('x', first);
  e.on('x', second);
  e.fire(1);
  e.fire(2);
  // A single listener that removes itself and adds another.
  const once = (v: number): void => {
    log.push(`once${v}`);
    e.off('x', once);
    e.on('x', second);
  };
  e.off('x', late);
  e.on('x', once);
  e.fire(3);
  e.fire(4);
  assert.deepEqual(log, ['first1', 'second1', 'late2', 'once3', 'second4']);
});
