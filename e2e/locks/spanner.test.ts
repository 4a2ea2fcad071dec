// The lock-store contract on the Cloud Spanner emulator, and what only Spanner has: the table
// and its creation race, expiry judged by Spanner's clock rather than ours, and a subscriber
// that learns of changes (an expiry too) by polling.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Spanner } from '@google-cloud/spanner';
import { grpc } from 'google-gax';
import type { LockEvent } from '../../locks/lock-store.ts';
import { LockStoreError } from '../../locks/lock-store.ts';
import { SpannerStore } from '../../locks/spanner/spanner-store.ts';
import type { SpannerStoreOptions } from '../../locks/spanner/spanner-store.ts';
import { loadServicesEnv } from '../../testkit/services.ts';
import { lockStoreContract } from './contract.ts';

const { spanner: emu } = loadServicesEnv();
// This emulator version does not implement multiplexed sessions; the client reads this when
// each database handle is made.
process.env.GOOGLE_CLOUD_SPANNER_MULTIPLEXED_SESSIONS = 'false';
// The stores get the emulator's address as an option. The client library would let this
// variable override that option, and the store pointed at 127.0.0.1:1 would then reach the
// live emulator instead: so it must not be set here (useSpannerEmulator() sets it).
delete process.env.SPANNER_EMULATOR_HOST;

// Every tenant and extra table of this run carries the run's id: runs never share a lock, and
// what they leave is removed afterwards.
const run = `e2e_${randomBytes(4).toString('hex')}`;
const base = {
  projectID: emu.projectId,
  instanceID: emu.instanceId,
  databaseID: emu.databaseId,
  emulatorHost: emu.emulatorHost,
};

const stores: SpannerStore[] = [];
const tables: string[] = [];
const open = (tenant: string, extra: Partial<SpannerStoreOptions> = {}): SpannerStore => {
  const s = new SpannerStore({ ...base, tenant: `${run}-${tenant}`, ...extra });
  stores.push(s);
  return s;
};
const freshTable = (): string => {
  const t = `hl_${run}_${tables.length}`;
  tables.push(t);
  return t;
};

// The test's own view of the database, to check what the store wrote.
const [emuHost, emuPort] = emu.emulatorHost.split(':') as [string, string];
const admin = new Spanner({
  projectId: emu.projectId,
  servicePath: emuHost,
  port: Number(emuPort),
  sslCreds: grpc.credentials.createInsecure(),
  universeDomain: 'googleapis.com',
  disableBuiltInMetrics: true,
});
const db = admin.instance(emu.instanceId).database(emu.databaseId, { min: 1, max: 2, incStep: 1 });
const query = async (sql: string, params: Record<string, unknown> = {}): Promise<Array<Record<string, unknown>>> => {
  const [rows] = await db.run({ sql, params, json: true });
  return rows as Array<Record<string, unknown>>;
};
const tableExists = async (table: string): Promise<boolean> =>
  (
    await query(`SELECT table_name FROM information_schema.tables WHERE table_schema = '' AND table_name = @table`, {
      table,
    })
  ).length === 1;

after(async () => {
  await Promise.allSettled(stores.map((s) => s.close()));
  try {
    await db.runTransactionAsync(async (tx) => {
      await tx.runUpdate({
        sql: 'DELETE FROM highlander_locks WHERE STARTS_WITH(name, @prefix)',
        params: { prefix: `highlander-leader-lock:${run}-` },
      });
      await tx.commit();
    });
    const dropped = [];
    for (const t of tables) if (await tableExists(t)) dropped.push(`DROP TABLE \`${t}\``);
    if (dropped.length > 0) {
      const [op] = await db.updateSchema(dropped);
      await op.promise();
    }
  } finally {
    await db.close().catch(() => undefined);
    await admin.close();
  }
});

// The emulator runs one read-write transaction at a time and is slow to hand over: racing
// candidates start over often (see SpannerStore.#transact), so on a busy machine a call may
// take a few seconds. Their deadline is 10 s rather than the default 5 s.
lockStoreContract('spanner', (lockName) => Promise.resolve(open(lockName, { timeoutMs: 10_000 })), {
  // Subscribers poll every 250 ms.
  notifyWithinMs: 1500,
  // Nothing listens on port 1: the gRPC channel fails to connect, again and again.
  unreachable: () =>
    Promise.resolve(new SpannerStore({ ...base, emulatorHost: '127.0.0.1:1', tenant: run, timeoutMs: 2000 })),
  unreachableDeadlineMs: 2000,
});

describe('spanner lock store', () => {
  test('the table exists after first use, with the documented columns, one row per lock', async () => {
    const table = freshTable();
    assert.equal(await tableExists(table), false);
    const s = open('columns', { table });
    assert.deepEqual(await s.read(), { holder: null, epoch: 0, remainingMs: 0 });
    assert.equal(await tableExists(table), true, 'no table after the first read');
    const cols = await query(
      `SELECT column_name, spanner_type, is_nullable FROM information_schema.columns
        WHERE table_schema = '' AND table_name = @table ORDER BY ordinal_position`,
      { table },
    );
    assert.deepEqual(cols, [
      { column_name: 'name', spanner_type: 'STRING(MAX)', is_nullable: 'NO' },
      { column_name: 'holder', spanner_type: 'STRING(MAX)', is_nullable: 'YES' },
      { column_name: 'epoch', spanner_type: 'INT64', is_nullable: 'NO' },
      { column_name: 'expires_at', spanner_type: 'TIMESTAMP', is_nullable: 'YES' },
      { column_name: 'updated_at', spanner_type: 'TIMESTAMP', is_nullable: 'YES' },
    ]);
    const pk = await query(
      `SELECT column_name FROM information_schema.index_columns
        WHERE table_schema = '' AND table_name = @table AND index_name = 'PRIMARY_KEY'`,
      { table },
    );
    assert.deepEqual(pk, [{ column_name: 'name' }]);

    const g = await s.tryAcquire('pod-a', 60_000);
    assert.ok(g.acquired);
    const rows = await query(
      `SELECT name, holder, epoch, TIMESTAMP_DIFF(expires_at, CURRENT_TIMESTAMP(), MILLISECOND) AS left_ms,
              updated_at IS NOT NULL AS stamped
         FROM \`${table}\``,
    );
    assert.equal(rows.length, 1);
    const [row] = rows;
    assert.equal(row?.name, `highlander-leader-lock:${run}-columns`);
    assert.equal(row?.name, s.lockName);
    assert.equal(row?.holder, 'pod-a');
    assert.equal(row?.epoch, g.epoch);
    assert.equal(row?.stamped, true, 'updated_at is the commit timestamp');
    const leftMs = Number(row?.left_ms);
    assert.ok(leftMs > 55_000 && leftMs <= 60_000, `expires in ${leftMs} ms`);
    assert.ok(await s.release('pod-a', g.epoch));
    const [released] = await query(`SELECT holder, epoch, expires_at FROM \`${table}\``);
    assert.deepEqual(released, { holder: null, epoch: g.epoch, expires_at: null });
  });

  test('stores racing to create the table all succeed', async () => {
    for (let round = 0; round < 3; round += 1) {
      const table = freshTable();
      const racers = Array.from({ length: 3 }, () => open(`race-${round}`, { table }));
      const results = await Promise.allSettled(racers.map((s) => s.read()));
      const failed = results.filter((r) => r.status === 'rejected').map((r) => String(r.reason));
      assert.deepEqual(failed, [], `round ${round}`);
      assert.equal(await tableExists(table), true);
      // And the table works for all of them.
      const g = await racers[0]!.tryAcquire('a', 5000);
      assert.ok(g.acquired);
      assert.equal((await racers[2]!.read()).holder, 'a');
    }
  });

  test('remainingMs is Spanner time: it counts down between reads, as Spanner itself counts', async () => {
    const [a, b] = [open('clock'), open('clock')];
    const g = await a.tryAcquire('a', 10_000);
    assert.ok(g.acquired);
    const first = await b.read();
    await sleep(600);
    const second = await b.read();
    const spent = first.remainingMs - second.remainingMs;
    assert.ok(spent >= 500 && spent < 1500, `remainingMs went from ${first.remainingMs} to ${second.remainingMs}`);
    // What Spanner computes from the row and its CURRENT_TIMESTAMP() just before and just after.
    const leftBySpanner = async (): Promise<number> => {
      const [row] = await query(
        `SELECT TIMESTAMP_DIFF(expires_at, CURRENT_TIMESTAMP(), MICROSECOND) AS us FROM highlander_locks WHERE name = @name`,
        { name: b.lockName },
      );
      assert.equal(typeof row?.us, 'number');
      return Number(row?.us) / 1000;
    };
    const before = await leftBySpanner();
    const seen = await b.read();
    const afterwards = await leftBySpanner();
    assert.ok(
      seen.remainingMs <= before && seen.remainingMs >= Math.floor(afterwards),
      `${before} ≥ ${seen.remainingMs} ≥ ${afterwards}`,
    );
  });

  test('an expiry is announced by polling as a release, and the expired holder cannot renew', async () => {
    const [a, b] = [open('expiry'), open('expiry', { pollIntervalMs: 100 })];
    const events: LockEvent[] = [];
    const stop = await b.subscribe((e) => events.push(e));
    try {
      const g = await a.tryAcquire('a', 800);
      assert.ok(g.acquired);
      const deadline = Date.now() + 5000;
      while (!events.some((e) => e.type === 'released') && Date.now() < deadline) await sleep(20);
      assert.deepEqual(events, [
        { type: 'acquired', holder: 'a', epoch: g.epoch },
        { type: 'released', epoch: g.epoch },
      ]);
      assert.equal(await a.renew('a', g.epoch, 5000), null);
      assert.equal(await a.release('a', g.epoch), false, 'an expired hold is not released');
      assert.deepEqual(await b.read(), { holder: null, epoch: g.epoch, remainingMs: 0 });
    } finally {
      await stop();
    }
  });

  test('close() stops the pollers and refuses later calls; an unreachable store closes promptly', async () => {
    const s = open('closing');
    const events: LockEvent[] = [];
    // Left running on purpose: close() must stop it, or this process would not exit.
    await s.subscribe((e) => events.push(e));
    await s.close();
    const refused = (err: unknown): boolean => err instanceof LockStoreError && err.code === 'config';
    await assert.rejects(s.read(), refused);
    await assert.rejects(s.tryAcquire('a', 1000), refused);
    await assert.rejects(
      s.subscribe(() => undefined),
      refused,
    );
    assert.deepEqual(events, []);

    const dead = new SpannerStore({ ...base, emulatorHost: '127.0.0.1:1', tenant: run, timeoutMs: 1000 });
    await assert.rejects(dead.read(), (err: unknown) => err instanceof LockStoreError && err.retryable);
    const t0 = Date.now();
    await dead.close();
    assert.ok(Date.now() - t0 < 2500, `close took ${Date.now() - t0} ms`);
  });
});
