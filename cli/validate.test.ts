import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { CrValidator } from '../validate/cr-validate.ts';
import { runValidate } from './validate.ts';
import type { ValidateIO } from './validate.ts';

const seedDir = new URL('../testkit/fixtures/seed/', import.meta.url).pathname;
const validator = CrValidator.fromDirectory();
const dir = mkdtempSync(join(tmpdir(), 'highlander-validate-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const io = (env: Record<string, string> = {}, extra: Partial<ValidateIO> = {}): ValidateIO => ({
  env,
  validator: () => validator,
  ...extra,
});

/** Writes `text` to a file in the test's directory and returns its path. */
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const seedCr = readFileSync(`${seedDir}cr-sample-cronjob.yaml`, 'utf8');

describe('validate --config', () => {
  test('every seed config is valid', async () => {
    const configs = readdirSync(seedDir).filter((f) => f.startsWith('config-') && f.endsWith('.yaml'));
    assert.ok(configs.length >= 6, `seed configs not found in ${seedDir}`);
    for (const f of configs) {
      const r = await runValidate({ config: `${seedDir}${f}`, files: [] }, io());
      assert.equal(r.exitCode, 0, `${f}: ${r.err.join('\n')}`);
      assert.match(r.out.join('\n'), new RegExp(`^${seedDir}${f}: config ok: `));
    }
  });

  test('the summary names tenant, store and workload count, not secrets', async () => {
    const r = await runValidate(
      { config: `${seedDir}config-basic.yaml`, files: [] },
      io({ HIGHLANDER_REDIS_PASSWORD: 'hunter2' }),
    );
    assert.deepEqual(r.out, [
      `${seedDir}config-basic.yaml: config ok: id controller-1, tenant default, storage redis, 1 workload`,
    ]);
    assert.equal(r.exitCode, 0);
  });

  test('every seed workload passes as the CR the leader would apply: no warnings', async () => {
    const r = await runValidate({ config: `${seedDir}config-all-kinds.yaml`, files: [] }, io());
    assert.equal(r.exitCode, 0);
    assert.match(r.out[0]!, /4 workloads$/);
    assert.deepEqual(r.err, []);
  });

  test('broken configs exit 2 with one line per problem naming the setting and its line', async () => {
    const cases: [string, string, RegExp][] = [
      ['unknown key', 'id: a\nstorgeType: redis\n', /bad\.yaml:2: storgeType: unknown setting$/],
      [
        'bad storage type',
        'id: a\nstorageType: etcd\n',
        /bad\.yaml:2: storageType: must be one of kubernetes, redis, db, spanner/,
      ],
      ['port not a number', 'port: http\n', /bad\.yaml:1: port: must be integer/],
      ['redis without addr', 'storageType: redis\n', /bad\.yaml: redis\.addr: is required when storageType is redis/],
      [
        'bad lease timings',
        'leaderElection:\n  leaseDuration: 10s\n  renewDeadline: 10s\n',
        /leaseDuration \(10s\) must be greater than renewDeadline \(10s\)/,
      ],
      ['YAML error', 'id: [a\n', /bad\.yaml: YAML: /],
      [
        'workload field',
        'workloads:\n  processes:\n    - name: p\n      image: x\n      script: {commands: [a]}\n      restartPolicy: Sometimes\n',
        /bad\.yaml:6: workloads\.processes\[0\]\.restartPolicy: must be one of/,
      ],
    ];
    for (const [name, text, expected] of cases) {
      const r = await runValidate({ config: file('bad.yaml', text), files: [] }, io());
      assert.equal(r.exitCode, 2, name);
      assert.deepEqual(r.out, [], name);
      assert.match(r.err.join('\n'), expected, `${name}:\n${r.err.join('\n')}`);
    }
  });

  test('a workload schedule the API server would refuse is a problem naming it and its line', async () => {
    const text =
      'workloads:\n  cronJobs:\n    - name: c\n      image: x\n      script: {commands: [a]}\n      schedule: "0 0 * * 7"\n';
    const r = await runValidate({ config: file('cron.yaml', text), files: [] }, io());
    assert.equal(r.exitCode, 2);
    assert.deepEqual(r.out, []);
    assert.match(
      r.err.join('\n'),
      /^.*cron\.yaml:6: workloads\.cronJobs\[0\]\.schedule: day-of-week must be 0-6.* \(as WorkloadCronJob default\/c\)$/m,
    );
  });

  test('every problem in one pass: a bad setting, a bad cross-setting rule and a bad workload together', async () => {
    const text = [
      'storageType: carrier-pigeon',
      'leaderElection: {leaseDuration: 5s, renewDeadline: 10s}',
      'workloads:',
      '  cronJobs:',
      '    - name: report',
      '      image: busybox',
      '      schedule: "61 * * * *"',
      '      script: {commands: [date]}',
      '',
    ].join('\n');
    const r = await runValidate({ config: file('all.yaml', text), files: [] }, io());
    assert.equal(r.exitCode, 2);
    assert.deepEqual(
      r.err.map((l) => l.replace(/^.*all\.yaml/, 'all.yaml').replace(/(: [^:]*?) .*$/, '$1')),
      [
        'all.yaml:1: storageType: must',
        'all.yaml:2: leaderElection: leaseDuration',
        'all.yaml:7: workloads.cronJobs[0].schedule: minute',
      ],
    );
  });

  test('HIGHLANDER_* variables apply, as with run, and are named when at fault', async () => {
    const r = await runValidate(
      { config: `${seedDir}config-basic.yaml`, files: [] },
      io({ HIGHLANDER_STORAGE_TYPE: 'etcd' }),
    );
    assert.equal(r.exitCode, 2);
    assert.match(r.err.join('\n'), /storageType \(from HIGHLANDER_STORAGE_TYPE\): must be one of/);
    const ok = await runValidate(
      { config: `${seedDir}config-basic.yaml`, files: [] },
      io({ HIGHLANDER_TENANT: 'blue' }),
    );
    assert.match(ok.out[0]!, /tenant blue/);
  });

  test('secrets are never printed', async () => {
    const db = await runValidate(
      {
        config: file('db.yaml', 'storageType: db\ndatabaseURL: "mysql://admin:pa55word@db.example.com/x"\n'),
        files: [],
      },
      io(),
    );
    assert.equal(db.exitCode, 2);
    assert.match(db.err.join('\n'), /databaseURL: scheme must be postgres/);
    const redis = await runValidate(
      { config: file('redis.yaml', 'redis:\n  addr: localhost:6379\n  password: 0xdeadbeef\n'), files: [] },
      io(),
    );
    assert.equal(redis.exitCode, 2);
    assert.match(redis.err.join('\n'), /redis\.yaml:3: redis\.password: must be string$/);
    assert.doesNotMatch([...db.err, ...redis.err].join('\n'), /pa55word|deadbeef|3735928559/);
  });

  test('without --config: CONFIG_PATH, else defaults and environment', async () => {
    const viaEnv = await runValidate({ files: [] }, io({ CONFIG_PATH: `${seedDir}config-spanner.yaml` }));
    assert.match(viaEnv.out[0]!, /config-spanner\.yaml: config ok: .*storage spanner/);
    const bare = await runValidate({ files: [] }, io());
    assert.match(
      bare.out[0]!,
      /^\(defaults and environment\): config ok: .*tenant default, storage kubernetes \(inferred\), 0 workloads$/,
    );
  });
});

describe('validate -f', () => {
  test('the seed custom resource is valid', async () => {
    const r = await runValidate({ files: [`${seedDir}cr-sample-cronjob.yaml`] }, io());
    assert.deepEqual(r, {
      out: [`${seedDir}cr-sample-cronjob.yaml: WorkloadCronJob default/sample-cronjob ok`],
      err: [],
      exitCode: 0,
    });
  });

  test('a broken resource exits 2 naming file, line, document, kind/name and field', async () => {
    const bad = seedCr.replace('schedule: "*/5 * * * *"', 'schedule: "*/5 * * *"');
    const path = file('cr.yaml', `${seedCr}---\n${bad.replace('sample-cronjob', 'broken')}`);
    const r = await runValidate({ files: [path] }, io());
    assert.equal(r.exitCode, 2);
    assert.deepEqual(r.out, [`${path}: doc 1 WorkloadCronJob default/sample-cronjob ok`]);
    const line =
      `${seedCr}---\n${bad}`.split('\n').findIndex((l, i) => i > seedCr.split('\n').length && l.includes('schedule:')) +
      1;
    assert.deepEqual(r.err, [
      `${path}:${line}: doc 2 WorkloadCronJob default/broken: spec.schedule: must have exactly 5 space-separated fields (minute hour day-of-month month day-of-week) or be a macro such as @daily`,
    ]);
  });

  test('-f is repeatable, reads directories and stdin, and works alongside --config', async () => {
    const sub = mkdtempSync(join(dir, 'crs-'));
    writeFileSync(join(sub, 'a.yaml'), seedCr);
    writeFileSync(
      join(sub, 'b.json'),
      JSON.stringify({
        apiVersion: 'highlander.plexobject.io/v1',
        kind: 'WorkloadProcess',
        metadata: { name: 'p' },
        spec: { image: 'x', command: ['y'] },
      }),
    );
    writeFileSync(join(sub, 'notes.txt'), 'not a manifest');
    const r = await runValidate(
      { config: `${seedDir}config-tenant-a.yaml`, files: [sub, '-'] },
      io({}, { readStdin: () => Promise.resolve(seedCr.replace('sample-cronjob', 'from-stdin')) }),
    );
    assert.equal(r.exitCode, 0, r.err.join('\n'));
    assert.deepEqual(
      r.out.map((l) => l.replace(sub, 'DIR')),
      [
        `${seedDir}config-tenant-a.yaml: config ok: id controller-1, tenant tenant-a, storage redis (inferred), 1 workload`,
        'DIR/a.yaml: WorkloadCronJob default/sample-cronjob ok',
        'DIR/b.json: WorkloadProcess p ok',
        '<stdin>: WorkloadCronJob default/from-stdin ok',
      ],
    );
  });

  test('with -f only, the config is not checked unless CONFIG_PATH is set', async () => {
    const r = await runValidate(
      { files: [`${seedDir}cr-sample-cronjob.yaml`] },
      io({ HIGHLANDER_STORAGE_TYPE: 'etcd' }),
    );
    assert.equal(r.exitCode, 0);
    const withEnv = await runValidate(
      { files: [`${seedDir}cr-sample-cronjob.yaml`] },
      io({ CONFIG_PATH: file('c.yaml', 'port: x\n') }),
    );
    assert.equal(withEnv.exitCode, 2);
  });

  test('missing files, empty files and foreign kinds are problems', async () => {
    const r = await runValidate(
      {
        files: [
          join(dir, 'nope.yaml'),
          file('empty.yaml', '# nothing\n'),
          file('cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n'),
        ],
      },
      io(),
    );
    assert.equal(r.exitCode, 2);
    assert.match(r.err[0]!, /nope\.yaml: cannot read: ENOENT$/);
    assert.match(r.err[1]!, /empty\.yaml: no resources found$/);
    assert.match(
      r.err[2]!,
      /cm\.yaml:1: ConfigMap c: apiVersion: must be highlander\.plexobject\.io\/v1 \(got "v1"\)$/,
    );
  });
});
