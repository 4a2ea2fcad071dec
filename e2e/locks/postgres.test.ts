// The lock-store contract on the local PostgreSQL, and what only PostgreSQL has: the table
// and its creation race, NOTIFY payloads, a LISTEN connection that is terminated, and error
// messages that never carry the database password.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import type { LockEvent } from '../../locks/lock-store.ts';
import { LockStoreError } from '../../locks/lock-store.ts';
import { EVENTS_CHANNEL } from '../../locks/postgres/postgres-sql.ts';
import { PostgresStore } from '../../locks/postgres/postgres-store.ts';
import type { PostgresStoreOptions } from '../../locks/postgres/postgres-store.ts';
import { eventually } from '../../testkit/kube.ts';
import { loadServicesEnv } from '../../testkit/services.ts';
import { lockStoreContract } from './contract.ts';

const { databaseUrl } = loadServicesEnv();
// Every lock (and extra table) of this run carries the run's id: runs never collide, and
// what they leave is removed afterwards.
const run = `e2e_${randomBytes(4).toString('hex')}`;

const admin = new Client({ connectionString: databaseUrl });
let adminReady: Promise<void> | undefined;
const sql = async <R extends Record<string, unknown>>(text: string, values: unknown[] = []): Promise<R[]> => {
  adminReady ??= admin.connect();
  await adminReady;
  return (await admin.query<R>(text, values)).rows;
};

const stores: PostgresStore[] = [];
const tables: string[] = [];
const open = (tenant: string, extra: Partial<PostgresStoreOptions> = {}): PostgresStore => {
  const s = new PostgresStore({ databaseURL: databaseUrl, tenant: `${run}-${tenant}`, ...extra });
  stores.push(s);
  return s;
};
const freshTable = (): string => {
  const t = `hl_${run}_${tables.length}`;
  tables.push(t);
  return t;
};

after(async () => {
  await Promise.allSettled(stores.map((s) => s.close()));
  await sql('DELETE FROM highlander_locks WHERE name LIKE $1', [`${run}-%`]).catch(() => undefined);
  for (const t of tables) await sql(`DROP TABLE IF EXISTS ${t}`);
  await admin.end();
});

lockStoreContract('db', (lockName) => Promise.resolve(open(lockName)), {
  unreachable: () =>
    Promise.resolve(
      new PostgresStore({
        databaseURL: 'postgres://highlander:pw@127.0.0.1:1/highlander',
        tenant: run,
        timeoutMs: 2000,
      }),
    ),
  unreachableDeadlineMs: 2000,
});

describe('postgres lock store', () => {
  test('the table exists after first use, with the documented columns', async () => {
    const table = freshTable();
    const s = open('columns', { table });
    assert.deepEqual(await s.read(), { holder: null, epoch: 0, remainingMs: 0 });
    const cols = await sql<{ column_name: string; data_type: string; is_nullable: string }>(
      `SELECT column_name, data_type, is_nullable FROM information_schema.columns
        WHERE table_name = $1 ORDER BY ordinal_position`,
      [table],
    );
    assert.deepEqual(cols, [
      { column_name: 'name', data_type: 'text', is_nullable: 'NO' },
      { column_name: 'holder', data_type: 'text', is_nullable: 'YES' },
      { column_name: 'epoch', data_type: 'bigint', is_nullable: 'NO' },
      { column_name: 'expires_at', data_type: 'timestamp with time zone', is_nullable: 'YES' },
    ]);
    const pk = await sql<{ attname: string }>(
      `SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
        WHERE i.indrelid = $1::regclass AND i.indisprimary`,
      [table],
    );
    assert.deepEqual(pk, [{ attname: 'name' }]);
    // One row per lock; the expiry is the server's now() plus the TTL.
    const g = await s.tryAcquire('a', 60_000);
    assert.ok(g.acquired);
    const [row] = await sql<{ holder: string; epoch: string; secs: number }>(
      `SELECT holder, epoch::text, extract(epoch FROM expires_at - now())::float8 AS secs FROM ${table} WHERE name = $1`,
      [s.lockName],
    );
    assert.equal(row?.holder, 'a');
    assert.equal(row?.epoch, String(g.epoch));
    assert.ok(row && row.secs > 55 && row.secs <= 60, `expires in ${row?.secs} s`);
  });

  test('stores on separate pools racing to create the table all succeed', async () => {
    for (let round = 0; round < 4; round += 1) {
      const table = freshTable();
      const racers = Array.from({ length: 5 }, (_, i) => open(`race-${round}-${i}`, { table }));
      const results = await Promise.allSettled(racers.map((s) => s.read()));
      const failed = results.filter((r) => r.status === 'rejected').map((r) => String(r.reason));
      assert.deepEqual(failed, [], `round ${round}`);
    }
  });

  test('acquire and release NOTIFY highlander_leader_events with the lock name, at commit', async () => {
    const s = open('notify');
    const listener = new Client({ connectionString: databaseUrl });
    const payloads: unknown[] = [];
    listener.on('notification', (n) => {
      const p = JSON.parse(n.payload ?? 'null') as { lock?: unknown };
      if (n.channel === EVENTS_CHANNEL && p.lock === s.lockName) payloads.push(p);
    });
    try {
      await listener.connect();
      await listener.query(`LISTEN ${EVENTS_CHANNEL}`);
      const g = await s.tryAcquire('a', 5000);
      assert.ok(g.acquired);
      // Refusals, renewals and failed releases change nothing and announce nothing.
      assert.equal((await open('notify').tryAcquire('b', 5000)).acquired, false);
      assert.ok(await s.renew('a', g.epoch, 5000));
      assert.equal(await s.release('b', g.epoch), false);
      assert.ok(await s.release('a', g.epoch));
      // A holder that vouches none of its writes is pending says so, and the payload carries it.
      const g2 = await s.tryAcquire('a', 5000);
      assert.ok(g2.acquired);
      assert.ok(await s.release('a', g2.epoch, { clean: true }));
      assert.ok(await eventually(() => payloads.length >= 4, 2000), `payloads: ${JSON.stringify(payloads)}`);
      await sleep(100);
      assert.deepEqual(payloads, [
        { type: 'acquired', lock: s.lockName, holder: 'a', epoch: g.epoch },
        { type: 'released', lock: s.lockName, epoch: g.epoch, clean: false },
        { type: 'acquired', lock: s.lockName, holder: 'a', epoch: g2.epoch },
        { type: 'released', lock: s.lockName, epoch: g2.epoch, clean: true },
      ]);
    } finally {
      await listener.end();
    }
  });

  test('a subscriber hears only its own lock', async () => {
    const [mine, other] = [open('filter-mine'), open('filter-other')];
    const events: LockEvent[] = [];
    const stop = await mine.subscribe((e) => events.push(e));
    try {
      const go = await other.tryAcquire('x', 5000);
      assert.ok(go.acquired);
      const gm = await mine.tryAcquire('y', 5000);
      assert.ok(gm.acquired);
      assert.ok(await eventually(() => events.length >= 1, 2000));
      await sleep(100);
      assert.deepEqual(events, [{ type: 'acquired', holder: 'y', epoch: gm.epoch }]);
    } finally {
      await stop();
    }
  });

  test('a subscription survives its LISTEN connection being terminated', async () => {
    const [a, b] = [open('relisten'), open('relisten')];
    const listeners = async (): Promise<Set<number>> => {
      const rows = await sql<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE application_name = 'highlander-lock' AND query LIKE 'LISTEN%'`,
      );
      return new Set(rows.map((r) => r.pid));
    };
    const before = await listeners();
    const events: LockEvent[] = [];
    const stop = await b.subscribe((e) => events.push(e));
    try {
      const mine = [...(await listeners())].filter((pid) => !before.has(pid));
      assert.equal(mine.length, 1, `LISTEN connections of this store: ${mine.join(', ')}`);
      await sql('SELECT pg_terminate_backend($1)', [mine[0]]);
      // The store listens again after a short backoff; keep announcing until it hears.
      const deadline = Date.now() + 10_000;
      while (!events.some((e) => e.type === 'released') && Date.now() < deadline) {
        const g = await a.tryAcquire('a', 5000);
        assert.ok(g.acquired);
        assert.ok(await a.release('a', g.epoch));
        await sleep(200);
      }
      assert.ok(
        events.some((e) => e.type === 'released'),
        'no event after the LISTEN connection was terminated',
      );
    } finally {
      await stop();
    }
  });

  test('a role with rights on a pre-created table only (no CREATE) can use it', async () => {
    const table = freshTable();
    const role = `hl_${run}_limited`;
    await sql(
      `CREATE TABLE ${table} (name text PRIMARY KEY, holder text NULL, epoch bigint NOT NULL, expires_at timestamptz NULL)`,
    );
    // Roles are made by the throwaway cluster's superuser (it trusts local connections).
    const superuserUrl = new URL(databaseUrl);
    superuserUrl.username = 'postgres';
    superuserUrl.password = '';
    const superuser = new Client({ connectionString: superuserUrl.toString() });
    await superuser.connect();
    await superuser.query(`CREATE ROLE ${role} LOGIN`);
    try {
      await sql(`GRANT SELECT, INSERT, UPDATE ON ${table} TO ${role}`);
      const [{ can } = { can: true }] = await sql<{ can: boolean }>(
        `SELECT has_schema_privilege($1, 'public', 'CREATE') AS can`,
        [role],
      );
      assert.equal(can, false, 'the role may create tables: the test proves nothing');
      const u = new URL(databaseUrl);
      u.username = role;
      u.password = '';
      const s = open('limited', { databaseURL: u.toString(), table });
      const g = await s.tryAcquire('a', 5000);
      assert.ok(g.acquired);
      assert.ok(await s.release('a', g.epoch));
      await s.close();
    } finally {
      await sql(`DROP TABLE ${table}`);
      await superuser.query(`DROP ROLE ${role}`);
      await superuser.end();
    }
  });

  test('a dropped table is created again by the next call', async () => {
    const table = freshTable();
    const s = open('dropped', { table });
    assert.ok((await s.tryAcquire('a', 5000)).acquired);
    await sql(`DROP TABLE ${table}`);
    await assert.rejects(s.read(), (err: unknown) => err instanceof LockStoreError && err.retryable);
    assert.deepEqual(await s.read(), { holder: null, epoch: 0, remainingMs: 0 });
  });

  test('errors never carry the database password', async () => {
    const password = `pw-${randomBytes(6).toString('hex')}`;
    const u = new URL(databaseUrl);
    const check = (err: unknown, code: string): true => {
      assert.ok(err instanceof LockStoreError, String(err));
      assert.equal(err.code, code, err.message);
      const everything = `${err.message}\n${inspect(err, { depth: 10 })}`;
      assert.ok(!everything.includes(password), `password leaked: ${everything}`);
      return true;
    };

    // Nothing listens there: the message names the redacted URL.
    const unreachable = open('secret', { databaseURL: `postgres://app:${password}@127.0.0.1:1/db`, timeoutMs: 2000 });
    await assert.rejects(unreachable.read(), (err: unknown) => {
      check(err, 'unavailable');
      assert.match((err as Error).message, /postgres:\/\/app:\*\*\*\*\*@127\.0\.0\.1:1\/db/);
      return true;
    });

    // The server refuses: no such role, no such database (it trusts local users, so a wrong
    // password alone would be accepted).
    u.username = `nobody_${run}`;
    u.password = password;
    await assert.rejects(open('secret', { databaseURL: u.toString(), timeoutMs: 3000 }).read(), (err: unknown) =>
      check(err, 'config'),
    );
    u.username = 'highlander';
    u.pathname = `/nodb_${run}`;
    await assert.rejects(open('secret', { databaseURL: u.toString(), timeoutMs: 3000 }).read(), (err: unknown) =>
      check(err, 'config'),
    );

    // Not a URL at all.
    assert.throws(
      () => new PostgresStore({ databaseURL: `postgres://app:${password}@[::1/db` }),
      (err: unknown) => check(err, 'config'),
    );
  });
});
