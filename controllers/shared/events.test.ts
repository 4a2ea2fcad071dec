import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventDeduper } from './events.ts';

test('the same event is told once per window', () => {
  const d = new EventDeduper(1000, 10);
  assert.equal(d.shouldEmit('a', 0), true);
  assert.equal(d.shouldEmit('a', 999), false);
  assert.equal(d.shouldEmit('b', 999), true);
  assert.equal(d.shouldEmit('a', 1000), true);
});

test('memory is bounded: the oldest keys are forgotten first', () => {
  const d = new EventDeduper(1000, 2);
  d.shouldEmit('a', 0);
  d.shouldEmit('b', 0);
  d.shouldEmit('c', 0);
  assert.equal(d.shouldEmit('a', 1), true, 'a was evicted, so it is told again');
  assert.equal(d.shouldEmit('c', 1), false);
});
