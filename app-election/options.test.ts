// The library's options are checked by the operator's configuration rules, and every problem
// names the option at fault (not the configuration key it is checked as).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../config/config.ts';
import { resolveOptions } from './options.ts';
import type { ElectOptions } from './options.ts';

const problemsOf = (opts: ElectOptions): string[] => {
  try {
    resolveOptions(opts);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems;
  }
  assert.fail('the options were accepted');
};

test('store settings become the store factory settings, the lock naming the Lease and the tenant', () => {
  const r = resolveOptions({
    store: { type: 'kubernetes', namespace: 'jobs', kubeconfig: '/tmp/kc' },
    lock: 'nightly-report',
    identity: 'pod-a',
    timings: { leaseDuration: '6s', renewDeadline: 4000, retryPeriod: '1s' },
  });
  assert.deepEqual(r.timings, { leaseDurationMs: 6000, renewDeadlineMs: 4000, retryPeriodMs: 1000 });
  assert.equal(r.identity, 'pod-a');
  assert.equal(r.kubeconfig, '/tmp/kc');
  assert.equal(r.settings?.storageType, 'kubernetes');
  assert.equal(r.settings?.leaseName, 'nightly-report');
  assert.equal(r.settings?.tenant, 'nightly-report');
  assert.equal(r.settings?.leaderElection.leaseNamespace, 'jobs');

  const pg = resolveOptions({ store: { type: 'postgres', url: 'postgres://u:p@127.0.0.1:5432/db' }, lock: 'x' });
  assert.equal(pg.settings?.storageType, 'db');
  assert.equal(pg.settings?.databaseURL, 'postgres://u:p@127.0.0.1:5432/db');
  assert.deepEqual(pg.timings, { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2000 });
  const redis = resolveOptions({ store: { type: 'redis', addr: '127.0.0.1:6379' }, lock: 'x' });
  assert.deepEqual(redis.settings?.redis, {
    addr: '127.0.0.1:6379',
    username: undefined,
    password: undefined,
    db: 0,
    tls: false,
  });
});

test('every problem is reported at once, each naming its option', () => {
  const problems = problemsOf({
    store: { type: 'redis', addr: 'no-port' },
    lock: 'Bad_Name',
    timings: { leaseDuration: 'soon', retryPeriod: -5 },
  });
  assert.equal(problems.length, 4, problems.join('\n'));
  assert.match(problems.join('\n'), /^lock: must be a name of lowercase letters/m);
  assert.match(
    problems.join('\n'),
    /^timings\.retryPeriod: must be a positive whole number of milliseconds \(got -5\)/m,
  );
  assert.match(problems.join('\n'), /^store\.addr: must be host:port \(got "no-port"\)/m);
  assert.match(problems.join('\n'), /^timings\.leaseDuration: must be a duration like 15s/m);
});

test('the timing rules of the operator apply, naming the settings', () => {
  const problems = problemsOf({
    store: { type: 'kubernetes' },
    lock: 'x',
    timings: { leaseDuration: '2s', renewDeadline: '3s', retryPeriod: '1s' },
  });
  assert.deepEqual(problems, ['timings: leaseDuration (2s) must be greater than renewDeadline (3s)']);
});

test('an unknown store type, and a store missing its settings, are named', () => {
  assert.deepEqual(problemsOf({ store: { type: 'etcd' } as never, lock: 'x' }), [
    'store.type: must be one of kubernetes, redis, postgres, spanner (got "etcd")',
  ]);
  const spanner = problemsOf({ store: { type: 'spanner', projectID: 'p' } as never, lock: 'x' });
  assert.deepEqual(spanner.sort(), [
    'store.databaseID: is required when storageType is spanner',
    'store.instanceID: is required when storageType is spanner',
  ]);
});

test('a database URL never shows in a problem (it may hold a password)', () => {
  const problems = problemsOf({ store: { type: 'postgres', url: 'mysql://user:secret@h/db' }, lock: 'x' });
  assert.equal(problems.length, 1);
  assert.match(problems[0]!, /^store\.url: scheme must be postgres/);
  assert.doesNotMatch(problems[0]!, /secret/);
});
