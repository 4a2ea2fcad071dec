import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import YAML from 'yaml';
import { meta } from '../shared/testing.ts';
import { desiredCronJob } from './desired.ts';
import type { WorkloadCronJob } from '../../api/types.ts';
import type { Owner } from '../shared/child-meta.ts';

test('the seed WorkloadCronJob becomes a Forbid CronJob owned by its CR', () => {
  const seed = YAML.parse(
    readFileSync(new URL('../../testkit/fixtures/seed/cr-sample-cronjob.yaml', import.meta.url), 'utf8'),
  ) as Owner<WorkloadCronJob>;
  const cr: Owner<WorkloadCronJob> = { ...seed, metadata: meta('sample-cronjob') };
  const cj = desiredCronJob(cr, 7);
  assert.equal(cj.metadata?.name, 'sample-cronjob');
  assert.equal(cj.spec?.schedule, '*/5 * * * *');
  assert.equal(cj.spec?.concurrencyPolicy, 'Forbid');
  assert.equal(cj.spec?.suspend, false);
  assert.equal(cj.metadata?.labels?.['highlander.plexobject.io/epoch'], '7');
  assert.deepEqual(cj.metadata?.ownerReferences?.[0], {
    apiVersion: 'highlander.plexobject.io/v1',
    kind: 'WorkloadCronJob',
    name: 'sample-cronjob',
    uid: 'uid-sample-cronjob',
    controller: true,
    blockOwnerDeletion: true,
  });
  const pod = cj.spec?.jobTemplate.spec?.template;
  assert.equal(pod?.spec?.restartPolicy, 'OnFailure');
  assert.deepEqual(pod?.spec?.containers[0]?.env, [
    { name: 'CRD_DEFINED', value: 'true' },
    { name: 'TEST_ENV', value: 'crd-value' },
  ]);
});

test('suspend, time zone and concurrency policy pass through; the epoch never reaches the job template', () => {
  const cr: Owner<WorkloadCronJob> = {
    kind: 'WorkloadCronJob',
    metadata: meta('c'),
    spec: {
      image: 'i',
      script: { commands: ['x'] },
      schedule: '@daily',
      suspend: true,
      timeZone: 'Europe/Paris',
      concurrencyPolicy: 'Replace',
    },
  };
  const a = desiredCronJob(cr, 1);
  const b = desiredCronJob(cr, 2);
  assert.equal(a.spec?.suspend, true);
  assert.equal(a.spec?.timeZone, 'Europe/Paris');
  assert.equal(a.spec?.concurrencyPolicy, 'Replace');
  assert.deepEqual(a.spec?.jobTemplate, b.spec?.jobTemplate);
});

test('a run’s pod is replaced only once it failed, and starts held', () => {
  const job = desiredCronJob(
    {
      kind: 'WorkloadCronJob',
      metadata: meta('r'),
      spec: { image: 'i', script: { commands: ['x'] }, schedule: '@daily' },
    },
    1,
  ).spec?.jobTemplate.spec;
  assert.equal(job?.podReplacementPolicy, 'Failed');
  assert.deepEqual(job?.template.spec?.schedulingGates, [{ name: 'highlander.plexobject.io/singleton' }]);
});
