import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_TIMINGS, TimingError, timingProblems, validateTimings } from './timings.ts';

test('the defaults are valid', () => {
  assert.deepEqual(timingProblems(DEFAULT_TIMINGS), []);
});

test('leaseDuration must exceed renewDeadline, named with both values', () => {
  assert.throws(
    () => validateTimings({ leaseDurationMs: 10_000, renewDeadlineMs: 10_000, retryPeriodMs: 2000 }),
    (err: unknown) =>
      err instanceof TimingError && err.message === 'leaseDuration (10s) must be greater than renewDeadline (10s)',
  );
});

test('renewDeadline must exceed retryPeriod × 1.2', () => {
  assert.deepEqual(timingProblems({ leaseDurationMs: 15_000, renewDeadlineMs: 2400, retryPeriodMs: 2000 }), [
    'renewDeadline (2400ms) must be greater than retryPeriod (2s) × 1.2',
  ]);
  assert.deepEqual(timingProblems({ leaseDurationMs: 15_000, renewDeadlineMs: 2401, retryPeriodMs: 2000 }), []);
});

test('every broken rule is listed, and non-positive values are refused', () => {
  assert.equal(timingProblems({ leaseDurationMs: 1000, renewDeadlineMs: 2000, retryPeriodMs: 2000 }).length, 2);
  assert.deepEqual(timingProblems({ leaseDurationMs: 0, renewDeadlineMs: 2000, retryPeriodMs: Number.NaN }), [
    'leaseDuration (0) must be a positive duration',
    'retryPeriod (NaN) must be a positive duration',
  ]);
});
