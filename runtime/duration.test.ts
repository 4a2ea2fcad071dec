import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDuration, parseDuration } from './duration.ts';

test('parses Go-style durations', () => {
  assert.equal(parseDuration('15s'), 15_000);
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('1m30s'), 90_000);
  assert.equal(parseDuration('1.5s'), 1500);
  assert.equal(parseDuration('2h'), 7_200_000);
  assert.equal(parseDuration('0'), 0);
});

test('refuses what is not a duration', () => {
  for (const bad of ['', '15', 's', '-1s', '1d', '1 s', '10sec', 'abc'])
    assert.equal(parseDuration(bad), undefined, bad);
});

test('formats back to the same value', () => {
  for (const ms of [0, 250, 1000, 15_000, 90_000, 3_723_004]) assert.equal(parseDuration(formatDuration(ms)), ms);
  assert.equal(formatDuration(90_000), '1m30s');
});
