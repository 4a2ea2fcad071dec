import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../config/config.ts';
import { configWorkloadCRs, prunable } from './config-workloads.ts';

const seed = (f: string) =>
  loadConfig({
    env: {},
    configPath: new URL(`../../testkit/fixtures/seed/${f}`, import.meta.url).pathname,
    hostname: () => 'h',
  });

test('every config workload of the seed becomes a CR of its kind, labelled as from the config', () => {
  const crs = configWorkloadCRs(seed('config-all-kinds.yaml'));
  assert.deepEqual(
    crs.map((c) => [c.kind, c.metadata.namespace, c.metadata.name]),
    [
      ['WorkloadProcess', 'default', 'sequential-id-generator'],
      ['WorkloadCronJob', 'default', 'daily-report'],
      ['WorkloadService', 'default', 'admin-api'],
      ['WorkloadPersistent', 'default', 'message-queue'],
    ],
  );
  const cron = crs[1]!;
  assert.equal(cron.spec.schedule, '0 0 * * *');
  assert.equal(cron.spec.name, undefined, 'name belongs in metadata, not spec');
  assert.deepEqual(cron.metadata.labels, {
    'highlander.plexobject.io/source': 'config',
    'highlander.plexobject.io/tenant': 'default',
  });
});

test('a workload namespace overrides the config namespace', () => {
  const crs = configWorkloadCRs({
    namespace: 'ns1',
    tenant: 't',
    workloads: {
      processes: [
        { name: 'p', namespace: 'other', image: 'i' },
        { name: 'q', image: 'i' },
      ],
    },
  });
  assert.deepEqual(
    crs.map((c) => c.metadata.namespace),
    ['other', 'ns1'],
  );
});

test('only this tenant’s config CRs that left the file are pruned; user CRs never are', () => {
  const labels = (tenant: string) => ({
    'highlander.plexobject.io/source': 'config',
    'highlander.plexobject.io/tenant': tenant,
  });
  const existing = [
    { kind: 'WorkloadProcess', metadata: { name: 'kept', namespace: 'ns', labels: labels('t') } },
    { kind: 'WorkloadProcess', metadata: { name: 'removed', namespace: 'ns', labels: labels('t') } },
    { kind: 'WorkloadProcess', metadata: { name: 'other-tenant', namespace: 'ns', labels: labels('u') } },
    { kind: 'WorkloadProcess', metadata: { name: 'user-made', namespace: 'ns', labels: {} } },
  ];
  const wanted = configWorkloadCRs({
    namespace: 'ns',
    tenant: 't',
    workloads: { processes: [{ name: 'kept', image: 'i' }] },
  });
  assert.deepEqual(
    prunable(existing, wanted, 't').map((o) => o.metadata.name),
    ['removed'],
  );
});
