// `elect` takes the classic leader-elector's flags over the operator's settings, and names the
// flag or variable at fault in every problem.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../config/config.ts';
import { electSettings } from './elect-settings.ts';
import type { ElectFlags } from './elect-settings.ts';

const NS = { POD_NAMESPACE: 'apps' };

const problemsOf = (env: Record<string, string>, flags: ElectFlags): string[] => {
  try {
    electSettings(env, flags);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems;
  }
  assert.fail('accepted');
};

test("the classic sidecar's flags: a Lease named --election, held under --id, answered on --http", () => {
  const s = electSettings(NS, { election: 'example', http: '0.0.0.0:4040', id: 'pod-7', electionNamespace: 'jobs' });
  assert.equal(s.election, 'example');
  assert.equal(s.id, 'pod-7');
  assert.equal(s.observe, false);
  assert.deepEqual(s.http, { host: '0.0.0.0', port: 4040 });
  assert.equal(s.store.storageType, 'kubernetes');
  assert.equal(s.store.leaseName, 'example');
  assert.equal(s.store.leaderElection.leaseNamespace, 'jobs');
  // client-go's timings; reads twice per retry period, unknown after one retry period of silence.
  assert.deepEqual(s.timings, { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2000 });
  assert.equal(s.pollMs, 1000);
  assert.equal(s.staleAfterMs, 2000);
});

test('defaults: loopback port 4040, the pod namespace, the host name; HIGHLANDER_* variables pick the store', () => {
  const s = electSettings(
    { ...NS, HIGHLANDER_STORAGE_TYPE: 'redis', HIGHLANDER_REDIS_ADDR: '127.0.0.1:6379', HIGHLANDER_ID: 'p1' },
    { election: 'e1', observe: true, pollInterval: '100ms', maxStaleness: '300ms' },
  );
  assert.deepEqual(s.http, { host: '127.0.0.1', port: 4040 });
  assert.equal(s.store.storageType, 'redis');
  assert.equal(s.store.tenant, 'e1');
  assert.equal(s.id, 'p1');
  assert.equal(s.observe, true);
  assert.equal(s.pollMs, 100);
  assert.equal(s.staleAfterMs, 300);
});

test('every problem names its flag or variable', () => {
  assert.deepEqual(problemsOf(NS, {}), ['--election: is required (the name of the election: its Lease, key or row)']);
  const p = problemsOf(
    { ...NS, HIGHLANDER_LEASE_DURATION: 'soon' },
    { election: 'Not_A_Name', http: 'nowhere', pollInterval: '-1s', maxStaleness: '0' },
  );
  assert.ok(
    p.some((x) => x.includes('HIGHLANDER_LEASE_DURATION')),
    p.join('\n'),
  );
  assert.ok(
    p.some((x) => x.startsWith('--http: must be host:port')),
    p.join('\n'),
  );
  assert.ok(
    p.some((x) => x.startsWith('--poll-interval: must be a positive duration')),
    p.join('\n'),
  );
  assert.ok(
    p.some((x) => x.startsWith('--max-staleness: must be a positive duration')),
    p.join('\n'),
  );
  const q = problemsOf(NS, { election: 'Not_A_Name' });
  assert.ok(
    q.some((x) => x.startsWith('--election: must be a name')),
    q.join('\n'),
  );
});

test('a staleness of a lease or more, or below the poll interval, is refused', () => {
  const long = problemsOf(
    { ...NS, HIGHLANDER_LEASE_DURATION: '3s', HIGHLANDER_RENEW_DEADLINE: '2s', HIGHLANDER_RETRY_PERIOD: '500ms' },
    {
      election: 'e',
      maxStaleness: '3s',
    },
  );
  assert.match(long.join('\n'), /--max-staleness: must be below the lease duration \(3000 ms\)/);
  const short = problemsOf(NS, { election: 'e', pollInterval: '1s', maxStaleness: '500ms' });
  assert.match(short.join('\n'), /--max-staleness: must be at least --poll-interval/);
});
