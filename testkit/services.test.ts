import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import {
  DEFAULT_SERVICES_ENV_PATH,
  loadServicesEnv,
  parseEnvFile,
  redisHostPort,
  useSpannerEmulator,
} from './services.ts';

const COMPLETE = [
  '# written by e2e/services/up.sh',
  'REDIS_ADDR=127.0.0.1:6390',
  'DATABASE_URL=postgres://highlander:highlander@127.0.0.1:5440/highlander?sslmode=disable',
  'SPANNER_EMULATOR_HOST=127.0.0.1:9010',
  'SPANNER_PROJECT_ID=highlander-local',
  'SPANNER_INSTANCE_ID=highlander',
  'SPANNER_DATABASE_ID=highlander',
  'GOOGLE_CLOUD_SPANNER_MULTIPLEXED_SESSIONS=false',
  '',
].join('\n');

/** Writes TEXT to a services.env in a fresh temp dir, runs FN on its path, then removes it. */
function withEnvFile<T>(text: string, fn: (path: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'services-env-'));
  try {
    const path = join(dir, 'services.env');
    writeFileSync(path, text);
    return fn(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('parseEnvFile skips blank lines and comments and splits at the first =', () => {
  const vars = parseEnvFile(
    '\n# a comment\n  \nA=1\r\nURL=postgres://h/db?sslmode=disable&x=y\n  # indented comment\nEMPTY=\n',
  );
  assert.deepEqual(vars, { A: '1', URL: 'postgres://h/db?sslmode=disable&x=y', EMPTY: '' });
});

test('parseEnvFile ignores lines without a key', () => {
  assert.deepEqual(parseEnvFile('no equals sign\n=value\nK=v'), { K: 'v' });
});

test('parseEnvFile keeps the last of repeated keys', () => {
  assert.deepEqual(parseEnvFile('K=1\nK=2\n'), { K: '2' });
});

test('loadServicesEnv reads every address', () => {
  const env = withEnvFile(COMPLETE, (path) => loadServicesEnv(path));
  assert.deepEqual(env, {
    redisAddr: '127.0.0.1:6390',
    databaseUrl: 'postgres://highlander:highlander@127.0.0.1:5440/highlander?sslmode=disable',
    spanner: {
      emulatorHost: '127.0.0.1:9010',
      projectId: 'highlander-local',
      instanceId: 'highlander',
      databaseId: 'highlander',
    },
  });
  assert.deepEqual(redisHostPort(env), { host: '127.0.0.1', port: 6390 });
});

test('loadServicesEnv names the file and the missing key and says how to fix it', () => {
  const text = COMPLETE.replace(/^SPANNER_INSTANCE_ID=.*$/m, '');
  withEnvFile(text, (path) => {
    assert.throws(
      () => loadServicesEnv(path),
      (err: unknown) => {
        assert.ok(err instanceof Error);
        assert.ok(err.message.includes(path), err.message);
        assert.ok(err.message.includes('SPANNER_INSTANCE_ID'), err.message);
        assert.ok(err.message.includes('make services-up'), err.message);
        return true;
      },
    );
  });
});

test('loadServicesEnv treats an empty value as missing', () => {
  withEnvFile(COMPLETE.replace(/^REDIS_ADDR=.*$/m, 'REDIS_ADDR='), (path) => {
    assert.throws(() => loadServicesEnv(path), /REDIS_ADDR.*make services-up/);
  });
});

test('loadServicesEnv says to run make services-up when the file is absent', () => {
  const path = join(tmpdir(), `no-such-dir-${process.pid}`, 'services.env');
  assert.throws(
    () => loadServicesEnv(path),
    (err: unknown) => {
      assert.ok(err instanceof Error);
      assert.ok(err.message.includes(path) && err.message.includes('make services-up'), err.message);
      return true;
    },
  );
});

test('loadServicesEnv refuses addresses other than 127.0.0.1', () => {
  const remote = COMPLETE.replace(
    'SPANNER_EMULATOR_HOST=127.0.0.1:9010',
    'SPANNER_EMULATOR_HOST=spanner.example.com:443',
  );
  withEnvFile(remote, (path) => {
    assert.throws(() => loadServicesEnv(path), /SPANNER_EMULATOR_HOST must point at 127\.0\.0\.1/);
  });
  const remoteDb = COMPLETE.replace('@127.0.0.1:5440/', '@db.example.com:5432/');
  withEnvFile(remoteDb, (path) => {
    assert.throws(() => loadServicesEnv(path), /DATABASE_URL must point at 127\.0\.0\.1/);
  });
});

test('the default path is .cluster/services.env at the repository root', () => {
  assert.ok(DEFAULT_SERVICES_ENV_PATH.endsWith(`${sep}.cluster${sep}services.env`), DEFAULT_SERVICES_ENV_PATH);
  const repoRoot = new URL('../', import.meta.url).pathname;
  assert.equal(DEFAULT_SERVICES_ENV_PATH, join(repoRoot, '.cluster', 'services.env'));
});

test('useSpannerEmulator points the Spanner library at the emulator', () => {
  const keys = ['SPANNER_EMULATOR_HOST', 'GOOGLE_CLOUD_SPANNER_MULTIPLEXED_SESSIONS', 'METADATA_SERVER_DETECTION'];
  const saved = keys.map((k) => process.env[k]);
  try {
    useSpannerEmulator(withEnvFile(COMPLETE, (path) => loadServicesEnv(path)));
    assert.equal(process.env.SPANNER_EMULATOR_HOST, '127.0.0.1:9010');
    assert.equal(process.env.GOOGLE_CLOUD_SPANNER_MULTIPLEXED_SESSIONS, 'false');
    assert.equal(process.env.METADATA_SERVER_DETECTION, 'none');
  } finally {
    keys.forEach((k, i) => {
      const v = saved[i];
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    });
  }
});
