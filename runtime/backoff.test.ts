import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { backoffMs, pickWatchTimeout } from './backoff.ts';

describe('backoff and watch timeouts', () => {
  test('retry delays double from 200 ms, stop at 30 s, and jitter shortens them by at most a quarter', () => {
    assert.deepEqual(
      [1, 2, 3, 4].map((n) => backoffMs(n, 0)),
      [200, 400, 800, 1600],
    );
    assert.equal(backoffMs(9, 0), 30_000);
    assert.equal(backoffMs(1_000, 0), 30_000, 'no overflow for a very long outage');
    assert.equal(backoffMs(1, 1), 150);
    assert.equal(backoffMs(20, 0.5), 26_250);
  });

  test('watch timeouts are whole seconds spread over the range, both ends included', () => {
    assert.equal(pickWatchTimeout([300, 600], 0), 300);
    assert.equal(pickWatchTimeout([300, 600], 0.5), 450);
    assert.equal(pickWatchTimeout([300, 600], 0.9999), 600);
    assert.equal(pickWatchTimeout([1, 1], 0.7), 1);
  });
});

/** One watch request made through the fake. */
