import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ConfigError, loadConfig, parseConfig } from './config.ts';
import { redactConfig } from './redact.ts';
import { pointerToPath } from './schema-errors.ts';

const seedDir = new URL('../testkit/fixtures/seed/', import.meta.url);
const defaults = { id: 'host-1' };
const parse = (raw: unknown, env: Record<string, string> = {}) => parseConfig(raw, env, 'test.yaml', defaults);

/** The problems a config is rejected with. */
function problemsOf(raw: unknown, env: Record<string, string> = {}): string[] {
  try {
    parse(raw, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  assert.fail('config was accepted');
}

test('every K8 Highlander seed config validates unchanged', () => {
  const files = readdirSync(seedDir).filter((f) => f.startsWith('config-') && f.endsWith('.yaml'));
  assert.ok(files.length >= 6, `seed configs not found in ${seedDir.pathname}`);
  for (const f of files) {
    const path = new URL(f, seedDir).pathname;
    const c = loadConfig({ env: {}, configPath: path, hostname: () => 'h' });
    assert.equal(c.configPath, path);
  }
});

test('seed stores are inferred as K8 Highlander users expect', () => {
  const load = (f: string) => loadConfig({ env: {}, configPath: new URL(f, seedDir).pathname, hostname: () => 'h' });
  assert.equal(load('config-basic.yaml').storageType, 'redis');
  assert.equal(load('config-all-kinds.yaml').storageType, 'redis');
  assert.equal(load('config-all-kinds.yaml').storageTypeInferred, true);
  assert.equal(load('config-spanner.yaml').storageType, 'spanner');
  assert.equal(load('config-multicluster-primary.yaml').storageType, 'kubernetes');
  const basic = load('config-basic.yaml');
  assert.equal(basic.cluster.kubeconfig, undefined, 'kubeconfig: "" means in-cluster');
  assert.equal(basic.redis?.password, undefined);
  assert.equal(basic.workloads.processes?.length, 1);
});

test('defaults', () => {
  const c = parse({});
  assert.equal(c.id, 'host-1');
  assert.equal(c.tenant, 'default');
  assert.equal(c.port, 8080);
  assert.equal(c.storageType, 'kubernetes');
  assert.deepEqual(
    [c.leaderElection.leaseDurationMs, c.leaderElection.renewDeadlineMs, c.leaderElection.retryPeriodMs],
    [15_000, 10_000, 2000],
  );
  assert.equal(c.leaderElection.leaseNamespace, 'default');
});

test('HIGHLANDER_* variables override the file', () => {
  const c = parse(
    { id: 'file', port: 1, redis: { addr: 'file:1' } },
    {
      HIGHLANDER_ID: 'env-id',
      HIGHLANDER_PORT: '9090',
      HIGHLANDER_STORAGE_TYPE: 'db',
      HIGHLANDER_DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/x',
      HIGHLANDER_LEASE_DURATION: '5s',
      HIGHLANDER_RENEW_DEADLINE: '3s',
      HIGHLANDER_RETRY_PERIOD: '500ms',
      HIGHLANDER_TENANT: '',
    },
  );
  assert.equal(c.id, 'env-id');
  assert.equal(c.port, 9090);
  assert.equal(c.storageType, 'db');
  assert.equal(c.tenant, 'default', 'an empty variable is not a value');
  assert.deepEqual(
    [c.leaderElection.leaseDurationMs, c.leaderElection.renewDeadlineMs, c.leaderElection.retryPeriodMs],
    [5000, 3000, 500],
  );
});

test('the store is inferred from what is configured, and ambiguity is an error', () => {
  assert.equal(parse({ databaseURL: 'postgres://127.0.0.1/x' }).storageType, 'db');
  assert.equal(parse({}, { HIGHLANDER_REDIS_ADDR: '127.0.0.1:6379' }).storageType, 'redis');
  assert.deepEqual(problemsOf({ redis: { addr: 'r:1' }, databaseURL: 'postgres://h/x' }), [
    'storageType: several lock stores are configured (redis, db); set storageType to choose one',
  ]);
  assert.equal(
    parse({ storageType: 'redis', redis: { addr: 'r:1' }, databaseURL: 'postgres://h/x' }).storageType,
    'redis',
  );
});

test('bad settings are each named, with the variable they came from', () => {
  const problems = problemsOf(
    { storageType: 'mongo', port: 'eighty', leaderElection: { leaseDuration: '10 seconds' }, colour: 'red' },
    { HIGHLANDER_REDIS_DB: 'x' },
  );
  assert.deepEqual(problems.sort(), [
    'colour: unknown setting',
    'leaderElection.leaseDuration: must be a duration like 15s, 500ms or 1m30s (got "10 seconds")',
    'port: must be integer (got "eighty")',
    'redis.db (from HIGHLANDER_REDIS_DB): must be integer (got "x")',
    'storageType: must be one of kubernetes, redis, db, spanner (got "mongo")',
  ]);
});

test('timings out of order are refused with the rule', () => {
  assert.deepEqual(problemsOf({ leaderElection: { leaseDuration: '10s', renewDeadline: '10s' } }), [
    'leaderElection: leaseDuration (10s) must be greater than renewDeadline (10s)',
  ]);
});

test('a store selected without its settings, and a malformed database URL, are named', () => {
  assert.deepEqual(problemsOf({ storageType: 'redis' }), [
    'redis.addr: is required when storageType is redis (host:port, or HIGHLANDER_REDIS_ADDR)',
  ]);
  assert.deepEqual(problemsOf({ storageType: 'spanner', spanner: { projectID: 'p' } }), [
    'spanner.instanceID: is required when storageType is spanner',
    'spanner.databaseID: is required when storageType is spanner',
  ]);
  assert.deepEqual(problemsOf({ databaseURL: 'mysql://u:hunter2@h/x' }), [
    'databaseURL: scheme must be postgres:// or postgresql:// (got mysql://)',
  ]);
  const bad = problemsOf({ databaseURL: 'not a url hunter2' });
  assert.equal(bad.length, 1);
  assert.ok(!bad[0]!.includes('hunter2'), 'the URL (and any password in it) leaked into the message');
});

test('workload errors name the path', () => {
  const problems = problemsOf({
    workloads: {
      cronJobs: [
        { name: 'ok', image: 'i', script: { commands: ['x'] }, schedule: '* * * * *' },
        { name: 'Bad_Name', image: 'i', script: { commands: ['x'] } },
      ],
      services: [{ name: 's', image: 'i', replicas: 1, ports: [{ containerPort: 70000 }], typo: 1 }],
    },
  });
  assert.deepEqual(problems.sort(), [
    'workloads.cronJobs[1].name: must be a DNS-1123 name (lowercase letters, digits and \'-\') (got "Bad_Name")',
    'workloads.cronJobs[1].schedule: is required',
    'workloads.services[0].ports[0].containerPort: must be <= 65535 (got 70000)',
    'workloads.services[0].typo: unknown setting',
  ]);
});

test('empty strings inside workloads are kept (an env var may be empty)', () => {
  const c = parse({
    workloads: { processes: [{ name: 'p', image: 'i', script: { commands: ['x'] }, env: { EMPTY: '' } }] },
  });
  assert.deepEqual(c.workloads.processes?.[0]?.env, { EMPTY: '' });
});

test('secrets never show: not in errors, not in the redacted config', () => {
  const problems = problemsOf({ redis: { addr: 'r:1', password: 42 } });
  assert.deepEqual(problems, ['redis.password: must be string']);
  const c = parse({
    storageType: 'db',
    databaseURL: 'postgres://user:hunter2@db:5432/x',
    redis: { addr: 'r:1', password: 'hunter2' },
  });
  const shown = JSON.stringify(redactConfig(c));
  assert.ok(!shown.includes('hunter2'), shown);
  assert.match(shown, /postgres:\/\/user:\*\*\*\*\*@db:5432\/x/);
});

test('a missing file or broken YAML is a ConfigError naming the file', () => {
  assert.throws(
    () => loadConfig({ env: { CONFIG_PATH: '/nonexistent/h.yaml' } }),
    /invalid configuration \(\/nonexistent\/h\.yaml\):\n {2}- cannot read config file: ENOENT/,
  );
  assert.throws(
    () => loadConfig({ env: {}, configPath: 'x.yaml', readFile: () => 'id: [unclosed' }),
    (err: unknown) => err instanceof ConfigError && err.source === 'x.yaml' && err.problems[0]!.startsWith('YAML:'),
  );
  assert.throws(
    () => loadConfig({ env: {}, configPath: 'x.yaml', readFile: () => '- a\n- b\n' }),
    /must hold a mapping/,
  );
});

test('JSON pointers become readable paths', () => {
  assert.equal(pointerToPath('/workloads/cronJobs/0/schedule'), 'workloads.cronJobs[0].schedule');
  assert.equal(pointerToPath(''), '');
});

test('the schema file is valid JSON with a $defs section', () => {
  const s = JSON.parse(readFileSync(new URL('./config.schema.json', import.meta.url), 'utf8')) as { $defs?: object };
  assert.ok(s.$defs);
});

test('watchNamespaces: a list in the file or a comma-separated variable; workloads must be in one of them', () => {
  assert.deepEqual(parse({}).watchNamespaces, []);
  assert.deepEqual(parse({ watchNamespaces: ['team-a', 'team-b'] }).watchNamespaces, ['team-a', 'team-b']);
  assert.deepEqual(parse({}, { HIGHLANDER_WATCH_NAMESPACES: 'team-a, team-b' }).watchNamespaces, ['team-a', 'team-b']);
  assert.deepEqual(problemsOf({ watchNamespaces: ['Team_A'] }), [
    `watchNamespaces[0]: must be a DNS-1123 name (lowercase letters, digits and '-') (got "Team_A")`,
  ]);
  const w = {
    cronJobs: [
      { name: 'c', schedule: '* * * * *', image: 'busybox', script: { commands: ['date'] }, namespace: 'team-c' },
    ],
  };
  assert.deepEqual(problemsOf({ watchNamespaces: ['team-a'], workloads: w }), [
    'workloads.cronJobs[0].namespace: team-c is not in watchNamespaces (team-a)',
  ]);
  assert.equal(parse({ watchNamespaces: ['team-c'], workloads: w }).workloads.cronJobs?.length, 1);
});

test('the handover token is a secret: never in errors or the redacted config', () => {
  const c = parse({}, { HIGHLANDER_HANDOVER_TOKEN: 'a-long-secret-token-123' });
  assert.equal(c.handoverToken, 'a-long-secret-token-123');
  assert.ok(!JSON.stringify(redactConfig(c)).includes('a-long-secret'));
  const problems = problemsOf({}, { HIGHLANDER_HANDOVER_TOKEN: 'short-secret' });
  assert.equal(problems.length, 1);
  assert.match(
    problems[0]!,
    /^http\.handoverToken \(from HIGHLANDER_HANDOVER_TOKEN\): must NOT have fewer than 16 characters$/,
  );
});
