import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LockStoreError, withDeadline } from './lock-store.ts';

const never = (): Promise<never> => new Promise(() => undefined);

test('a call past its deadline fails as a retryable timeout', async () => {
  await assert.rejects(withDeadline('redis', 'acquire x', 20, undefined, never), (err: unknown) => {
    assert.ok(err instanceof LockStoreError);
    assert.equal(err.code, 'timeout');
    assert.equal(err.retryable, true);
    assert.match(err.message, /^redis lock store: acquire x took longer than 20 ms$/);
    return true;
  });
});

test('a caller that aborts ends the wait at once', async () => {
  const ac = new AbortController();
  const t0 = Date.now();
  const p = withDeadline('db', 'renew', 10_000, ac.signal, never);
  setTimeout(() => ac.abort(), 10);
  await assert.rejects(p, /aborted by caller/);
  assert.ok(Date.now() - t0 < 1000);
});

test('other failures are wrapped as unavailable, keeping the cause', async () => {
  const cause = new Error('ECONNREFUSED');
  await assert.rejects(
    withDeadline('spanner', 'read', 1000, undefined, () => Promise.reject(cause)),
    (err: unknown) => {
      assert.ok(err instanceof LockStoreError);
      assert.equal(err.code, 'unavailable');
      assert.equal(err.cause, cause);
      return true;
    },
  );
});
