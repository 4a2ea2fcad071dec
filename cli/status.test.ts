import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ago,
  decodeFailovers,
  decodeLockStore,
  decodeReady,
  decodeStatus,
  decodeWorkloads,
  defaultStatusUrl,
  envelope,
  formatStatus,
  table,
} from './status.ts';
import type { StatusReport } from './status.ts';

const NOW = Date.parse('2025-03-01T12:00:00Z');

// Answers shaped as the operator's routes give them (operator/run.ts, http-server.ts).
const statusBody = {
  status: 'success',
  data: {
    isLeader: true,
    leaderSince: '2025-03-01T11:58:30Z',
    lastLeaderTransition: '2025-03-01T11:58:30Z',
    uptime: '1h2m3s',
    leaderID: 'a_1234abcd',
    clusterName: 'primary',
    workloadStatus: {},
    failoverCount: 1,
    leadershipTransitions: 3,
    currentLeader: 'a_1234abcd',
    lastLeader: 'b_99990000',
    epoch: 7,
    tenant: 'blue',
    storageType: 'redis',
  },
};
const workloadsBody = {
  status: 'success',
  data: {
    'sample-cronjob': {
      name: 'sample-cronjob',
      namespace: 'default',
      kind: 'WorkloadCronJob',
      type: 'cronjob',
      active: true,
      healthy: true,
      phase: 'Scheduled',
    },
    api: { name: 'api', namespace: 'web', kind: 'WorkloadService', active: true, healthy: false, phase: 'Progressing' },
    'ops/api': { name: 'api', namespace: 'ops', kind: 'WorkloadService', active: false, healthy: false, phase: '' },
  },
};
const dbinfoBody = {
  status: 'success',
  data: {
    storageType: 'redis',
    lockName: 'highlander-leader-lock:blue',
    tenant: 'blue',
    reachable: true,
    address: '127.0.0.1:6379',
  },
};
const failoversBody = {
  status: 'success',
  data: [
    { at: '2025-03-01T10:00:00Z', from: null, to: 'b_99990000', epoch: 5, durationMs: null },
    { at: '2025-03-01T11:58:30Z', from: 'b_99990000', to: 'a_1234abcd', epoch: 7, durationMs: 1530 },
    { at: '2025-03-01T11:00:00Z', from: 'a_1234abcd', to: 'b_99990000', epoch: 6, durationMs: 420 },
  ],
};

function report(over: Partial<StatusReport> = {}): StatusReport {
  return {
    url: 'http://127.0.0.1:8080',
    status: decodeStatus(envelope(statusBody)),
    workloads: decodeWorkloads(envelope(workloadsBody)),
    lockStore: decodeLockStore(envelope(dbinfoBody)),
    ready: decodeReady({ status: 'ready', reasons: [] }, 200),
    failovers: decodeFailovers(envelope(failoversBody)),
    ...over,
  };
}

describe('status: decoding', () => {
  test('workloads are sorted by kind, namespace and name', () => {
    assert.deepEqual(
      decodeWorkloads(envelope(workloadsBody)).map((w) => `${w.kind} ${w.namespace}/${w.name}`),
      ['WorkloadCronJob default/sample-cronjob', 'WorkloadService ops/api', 'WorkloadService web/api'],
    );
  });

  test('failovers come newest first; missing values stay null', () => {
    const f = decodeFailovers(envelope(failoversBody));
    assert.deepEqual(
      f.map((x) => x.epoch),
      [7, 6, 5],
    );
    assert.equal(f[2]!.from, null);
    assert.equal(f[2]!.durationMs, null);
  });

  test('an older operator without our fields still decodes', () => {
    const s = decodeStatus({ isLeader: false, leaderID: 'x', currentLeader: 'y' });
    assert.equal(s.epoch, undefined);
    assert.equal(s.failoverCount, 0);
    assert.equal(s.leaderSince, null);
  });

  test('readiness is the HTTP code; the reasons come along', () => {
    assert.deepEqual(decodeReady({ status: 'not ready', reasons: ['caches not synced yet'] }, 503), {
      ready: false,
      reasons: ['caches not synced yet'],
    });
  });

  test('a database URL is shown without its password', () => {
    const l = decodeLockStore({ storageType: 'db', address: 'postgres://u:s3cret@127.0.0.1:5432/h', reachable: true });
    assert.equal(l.address, 'postgres://u:*****@127.0.0.1:5432/h');
  });

  test('the default URL follows HIGHLANDER_PORT', () => {
    assert.equal(defaultStatusUrl({}), 'http://127.0.0.1:8080');
    assert.equal(defaultStatusUrl({ HIGHLANDER_PORT: '9090' }), 'http://127.0.0.1:9090');
  });
});

describe('status: the summary', () => {
  test('a leader', () => {
    assert.equal(
      formatStatus(report(), NOW),
      [
        'Highlander at http://127.0.0.1:8080',
        '  replica     a_1234abcd (LEADER), up 1h2m3s',
        '  leader      a_1234abcd (this replica), epoch 7, since 2025-03-01T11:58:30Z (1m30s ago)',
        '  tenant      blue, cluster primary',
        '  lock store  redis at 127.0.0.1:6379 lock highlander-leader-lock:blue, reachable',
        '  ready       yes',
        '  history     1 takeover from another leader, 3 leadership transitions (this replica)',
        '',
        'Workloads (3)',
        '  KIND             NAMESPACE/NAME          ACTIVE  HEALTHY  PHASE',
        '  WorkloadCronJob  default/sample-cronjob  yes     yes      Scheduled',
        '  WorkloadService  ops/api                 no      no       -',
        '  WorkloadService  web/api                 yes     no       Progressing',
        '',
        'Recent failovers (3)',
        '  AT                                 FROM        TO          EPOCH  TOOK',
        '  2025-03-01T11:58:30Z (1m30s ago)   b_99990000  a_1234abcd  7      1.5s',
        '  2025-03-01T11:00:00Z (1h0m0s ago)  a_1234abcd  b_99990000  6      420ms',
        '  2025-03-01T10:00:00Z (2h0m0s ago)  -           b_99990000  5      -',
        '',
      ].join('\n'),
    );
  });

  test('a follower learns when the leader took over from the failover history', () => {
    const s = { ...report().status, isLeader: false, leaderID: 'c_5555', leaderSince: null };
    const out = formatStatus(report({ status: s }), NOW);
    assert.match(out, /^ {2}replica {5}c_5555 \(follower\), up 1h2m3s$/m);
    assert.match(out, /^ {2}leader {6}a_1234abcd, epoch 7, since 2025-03-01T11:58:30Z \(1m30s ago\)$/m);
  });

  test('not ready, lock store unreachable, no leader, no workloads', () => {
    const out = formatStatus(
      report({
        status: { ...report().status, isLeader: false, currentLeader: '' },
        ready: { ready: false, reasons: ['lock store unreachable: connect ECONNREFUSED', 'caches not synced yet'] },
        lockStore: {
          storageType: 'redis',
          lockName: 'l',
          address: '',
          reachable: false,
          lastError: 'connect ECONNREFUSED',
        },
        workloads: [],
        failovers: [],
      }),
      NOW,
    );
    assert.match(out, /^ {2}ready {7}NO: lock store unreachable: connect ECONNREFUSED; caches not synced yet$/m);
    assert.match(out, /^ {2}lock store {2}redis lock l, UNREACHABLE: connect ECONNREFUSED$/m);
    assert.match(out, /^ {2}leader {6}none known$/m);
    assert.match(out, /^Workloads \(0\)\n {2}none$/m);
    assert.match(out, /^Recent failovers \(0\)\n {2}none$/m);
  });

  test('an operator without /api/failovers, and a long history cut to the last five', () => {
    assert.match(
      formatStatus(report({ failovers: undefined }), NOW),
      /^Recent failovers: not served by this operator \(\/api\/failovers answered 404\)$/m,
    );
    const many = Array.from({ length: 8 }, (_, i) => ({
      at: new Date(NOW - i * 60_000).toISOString(),
      from: 'x',
      to: 'y',
      epoch: 20 - i,
      durationMs: 10,
      observedBy: 'observed' as const,
    }));
    const out = formatStatus(report({ failovers: many }), NOW);
    assert.match(out, /^Recent failovers \(5 of 8\)$/m);
    assert.deepEqual(out.match(/ x +y +\d+ /g)?.length, 5);
  });

  test('helpers: relative times and tables', () => {
    assert.equal(ago('2025-03-01T11:00:00Z', NOW), '1h0m0s ago');
    assert.equal(ago('2025-03-01T12:00:05Z', NOW), 'in 5s');
    assert.equal(ago('garbage', NOW), 'unknown time');
    assert.deepEqual(
      table([
        ['A', 'BB'],
        ['ccc', 'd'],
      ]),
      ['  A    BB', '  ccc  d'],
    );
  });
});
