// The one-pass config check that `run` and `validate` share: the example (an unknown
// storageType and a cron schedule the API server would refuse) yields both problems together.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../config/config.ts';
import { loadCheckedConfig, workloadProblems } from './config-check.ts';
import { CrValidator } from '../validate/cr-validate.ts';

const CONFIG = `storageType: carrier-pigeon
workloads:
  cronJobs:
    - name: report
      image: busybox
      schedule: "61 * * * *"
      script: {commands: [date]}
`;
let validator: CrValidator | undefined;
const crds = (): CrValidator => (validator ??= CrValidator.fromDirectory());
const sources = (text: string, env: Record<string, string> = {}) => ({
  env,
  configPath: '/etc/highlander/config.yaml',
  readFile: () => text,
});

test('a bad storageType and a bad schedule are reported together, each with its path', async () => {
  await assert.rejects(
    () => loadCheckedConfig(sources(CONFIG), crds),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.source, '/etc/highlander/config.yaml');
      assert.deepEqual(
        err.problems.map((p) => p.split(': ')[0]),
        ['storageType', 'workloads.cronJobs[0].schedule'],
      );
      assert.match(err.problems[1]!, /minute \(field 1\) must be 0-59.*\(as WorkloadCronJob default\/report\)$/);
      return true;
    },
  );
});

test('a valid config loads, and the CRDs are not read when it has no workloads', async () => {
  let loaded = false;
  const cfg = await loadCheckedConfig(sources('storageType: kubernetes\n'), () => {
    loaded = true;
    return crds();
  });
  assert.equal(cfg.storageType, 'kubernetes');
  assert.equal(loaded, false);
  const fixed = await loadCheckedConfig(
    sources(CONFIG.replace('carrier-pigeon', 'kubernetes').replace('61', '1')),
    crds,
  );
  assert.equal(fixed.workloads.cronJobs?.length, 1);
});

test('a workload path the settings check already named is not reported twice', () => {
  const settings = {
    workloads: { cronJobs: [{ name: 'report', schedule: '61 * * * *', script: { commands: ['a'] } }] },
  };
  const all = workloadProblems(settings, crds()).map((p) => p.text.split(': ')[0]);
  assert.ok(all.includes('workloads.cronJobs[0].image'), all.join(', '));
  const rest = workloadProblems(settings, crds(), ['workloads.cronJobs[0].image: is required']).map(
    (p) => p.text.split(': ')[0],
  );
  assert.deepEqual(rest, ['workloads.cronJobs[0].schedule']);
});
