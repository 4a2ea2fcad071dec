// Proves that the servers e2e/services/up.sh starts are the real thing and answer:
// each test uses a feature a fake or a half-started server would get wrong.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { Spanner } from '@google-cloud/spanner';
import { loadServicesEnv, redisHostPort, useSpannerEmulator } from '../../testkit/services.ts';

const env = loadServicesEnv();
// Names unique to this run, so that runs against the same servers never collide.
const run = `${process.pid}_${randomBytes(4).toString('hex')}`;
const TIMEOUT = { timeout: 30_000 };

/** Resolves with PROMISE's value, or rejects after MS: a lost message must fail, not hang. */
async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('redis', () => {
  // No retries: a refused connection should fail the test at once, not after minutes.
  const options = { ...redisHostPort(env), maxRetriesPerRequest: 0, retryStrategy: () => null };
  const redis = new Redis(options);
  const subscriber = new Redis(options);
  const keys: string[] = [];
  after(async () => {
    try {
      if (keys.length > 0) await redis.del(...keys);
    } finally {
      await Promise.allSettled([redis.quit(), subscriber.quit()]);
    }
  }, TIMEOUT);

  test('SET with PX expires: PTTL is within the TTL', TIMEOUT, async () => {
    const key = `smoke:${run}:px`;
    keys.push(key);
    assert.equal(await redis.set(key, 'owner-1', 'PX', 5_000), 'OK');
    const pttl = await redis.pttl(key);
    assert.ok(pttl > 0 && pttl <= 5_000, `PTTL ${pttl} outside (0, 5000]`);
    assert.equal(await redis.get(key), 'owner-1');
  });

  test('INFO server reports a redis_version', TIMEOUT, async () => {
    const info = await redis.info('server');
    const version = /^redis_version:(\d+)\.\d+\.\d+/m.exec(info);
    assert.ok(version, `no redis_version in INFO server:\n${info}`);
    assert.ok(Number(version[1]) >= 6, `redis ${version[0]} is older than 6`);
  });

  test('EVAL runs Lua that calls back into Redis', TIMEOUT, async () => {
    const key = `smoke:${run}:lua`;
    keys.push(key);
    const script = `redis.call('SET', KEYS[1], ARGV[1])
      return redis.call('INCRBY', KEYS[1], ARGV[2]) * 2`;
    assert.equal(await redis.eval(script, 1, key, '40', '2'), 84);
    assert.equal(await redis.get(key), '42');
  });

  test('PUBLISH reaches a subscriber on another connection', TIMEOUT, async () => {
    const channel = `smoke:${run}:events`;
    await subscriber.subscribe(channel);
    const received = once(subscriber, 'message') as Promise<[string, string]>;
    const receivers = await redis.publish(channel, 'fenced:7');
    assert.equal(receivers, 1);
    assert.deepEqual(await within(5_000, 'redis message', received), [channel, 'fenced:7']);
    await subscriber.unsubscribe(channel);
  });
});

describe('postgresql', () => {
  const pool = new pg.Pool({ connectionString: env.databaseUrl, max: 2, connectionTimeoutMillis: 10_000 });
  const listener = new pg.Client({ connectionString: env.databaseUrl, connectionTimeoutMillis: 10_000 });
  let listenerConnected = false;
  after(async () => {
    await Promise.allSettled([listenerConnected ? listener.end() : Promise.resolve(), pool.end()]);
  }, TIMEOUT);

  test('is PostgreSQL 15, logged in as highlander to database highlander', TIMEOUT, async () => {
    const { rows } = await pool.query<{ version: string; user: string; db: string }>(
      'select version() as version, current_user as user, current_database() as db',
    );
    const row = rows[0];
    assert.ok(row);
    assert.match(row.version, /^PostgreSQL 15\./);
    assert.equal(row.user, 'highlander');
    assert.equal(row.db, 'highlander');
  });

  test('LISTEN/NOTIFY delivers the payload to another connection', TIMEOUT, async () => {
    await listener.connect();
    listenerConnected = true;
    const channel = `smoke_${run}`;
    await listener.query(`LISTEN "${channel}"`);
    const notified = new Promise<pg.Notification>((resolve) => {
      listener.on('notification', (n) => {
        if (n.channel === channel) resolve(n);
      });
    });
    await pool.query('select pg_notify($1, $2)', [channel, 'lease:42']);
    const n = await within(5_000, 'postgres notification', notified);
    assert.equal(n.payload, 'lease:42');
    await listener.query(`UNLISTEN "${channel}"`);
  });

  test('now() agrees with the local clock', TIMEOUT, async () => {
    const before = Date.now();
    const { rows } = await pool.query<{ now: Date }>('select now() as now');
    const after = Date.now();
    const now = rows[0]?.now;
    assert.ok(now instanceof Date, `now() gave ${String(now)}`);
    assert.ok(
      now.getTime() >= before - 2_000 && now.getTime() <= after + 2_000,
      `now() ${now.toISOString()} vs local ${new Date(before).toISOString()}`,
    );
  });
});

describe('spanner emulator', () => {
  useSpannerEmulator(env);
  const spanner = new Spanner({ projectId: env.spanner.projectId });
  const database = spanner.instance(env.spanner.instanceId).database(env.spanner.databaseId);
  const table = `Smoke_${run}`;
  let created = false;
  after(async () => {
    try {
      if (created) {
        const [op] = await database.updateSchema([`DROP TABLE ${table}`]);
        await op.promise();
      }
    } finally {
      // The database first: its session pool reports an error if the client closes under it.
      await database.close();
      await spanner.close();
    }
  }, TIMEOUT);

  test('a committed row comes back with its commit timestamp', TIMEOUT, async () => {
    const [op] = await database.updateSchema([
      `CREATE TABLE ${table} (
         Id STRING(64) NOT NULL,
         Holder STRING(64),
         Fence INT64,
         UpdatedAt TIMESTAMP OPTIONS (allow_commit_timestamp=true)
       ) PRIMARY KEY (Id)`,
    ]);
    await op.promise();
    created = true;

    const started = Date.now();
    const commitTimestamp = await database.runTransactionAsync(async (tx) => {
      tx.insert(table, { Id: 'lock-a', Holder: 'pod-1', Fence: 7, UpdatedAt: Spanner.COMMIT_TIMESTAMP });
      const [response] = await tx.commit();
      return response.commitTimestamp;
    });
    assert.ok(commitTimestamp?.seconds, 'commit returned no timestamp');

    const [rows] = await database.run({
      sql: `SELECT Holder, Fence, UpdatedAt FROM ${table} WHERE Id = @id`,
      params: { id: 'lock-a' },
      json: true,
    });
    assert.equal(rows.length, 1);
    const row = rows[0] as Record<string, unknown>;
    assert.equal(row.Holder, 'pod-1');
    assert.equal(row.Fence, 7);
    const updatedAt = row.UpdatedAt;
    assert.ok(updatedAt instanceof Date, `UpdatedAt is ${String(updatedAt)}`);
    assert.equal(Math.floor(updatedAt.getTime() / 1000), Number(commitTimestamp.seconds));
    assert.ok(
      Math.abs(updatedAt.getTime() - started) < 10_000,
      `commit timestamp ${updatedAt.toISOString()} is not recent (local ${new Date(started).toISOString()})`,
    );
  });
});
