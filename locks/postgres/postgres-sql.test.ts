// Unit tests for the PostgreSQL store's pure parts: redaction, errors, rows, notifications.
import assert from 'node:assert/strict';
import { PostgresStore } from './postgres-store.ts';
import { test } from 'node:test';
import { LockStoreError } from '../lock-store.ts';
import { checkTableName, classifyPgError, parseNotification, scrub, stateFromRow, urlSecrets } from './postgres-sql.ts';

test('urlSecrets finds the password raw and decoded; scrub removes them', () => {
  assert.deepEqual(urlSecrets('postgres://app:s3cr%40t@h/db'), ['s3cr%40t', 's3cr@t']);
  assert.deepEqual(urlSecrets('postgres://h/db?password=hunter2'), ['hunter2']);
  assert.deepEqual(urlSecrets('postgres://h/db'), []);
  assert.equal(
    scrub('auth s3cr@t failed for s3cr%40t', urlSecrets('postgres://app:s3cr%40t@h/db')),
    'auth ***** failed for *****',
  );
});

test('the store refuses a URL that is not postgres://, without echoing its password', () => {
  for (const url of ['mysql://app:topsecret@h/db', 'app:topsecret@h', 'postgres://app:topsecret@[::1/db']) {
    assert.throws(
      () => new PostgresStore({ databaseURL: url }),
      (err: unknown) => err instanceof LockStoreError && err.code === 'config' && !err.message.includes('topsecret'),
      url,
    );
  }
});

test('table names are lower-case identifiers, optionally schema-qualified', () => {
  assert.equal(checkTableName('highlander_locks'), 'highlander_locks');
  assert.equal(checkTableName('ops.locks2'), 'ops.locks2');
  for (const bad of ['', 'Locks', 'locks; drop table x', '"locks"', 'a.b.c', '1locks', 'x'.repeat(64)]) {
    assert.throws(
      () => checkTableName(bad),
      (err: unknown) => err instanceof LockStoreError && err.code === 'config',
      bad,
    );
  }
});

test('errors: connections and timeouts are retryable; credentials and schema are config', () => {
  const pg = (code: string): Error => Object.assign(new Error('x'), { code });
  assert.equal(classifyPgError(new Error('Connection terminated unexpectedly')), 'unavailable');
  assert.equal(classifyPgError(pg('ECONNREFUSED')), 'unavailable');
  assert.equal(classifyPgError(pg('ERR_INVALID_URL')), 'config');
  assert.equal(classifyPgError(pg('57014')), 'timeout');
  assert.equal(classifyPgError(pg('57P01')), 'unavailable'); // admin shutdown
  assert.equal(classifyPgError(pg('08006')), 'unavailable');
  assert.equal(classifyPgError(pg('53300')), 'unavailable'); // too many connections
  assert.equal(classifyPgError(pg('40001')), 'unavailable');
  assert.equal(classifyPgError(pg('25006')), 'unavailable'); // read-only standby
  assert.equal(classifyPgError(pg('42P01')), 'unavailable'); // table dropped: recreated next call
  assert.equal(classifyPgError(pg('28P01')), 'config');
  assert.equal(classifyPgError(pg('3D000')), 'config');
  assert.equal(classifyPgError(pg('42501')), 'config');
  assert.equal(classifyPgError(pg('22003')), 'invalid-response');
  assert.equal(classifyPgError(null), 'unavailable');
});

test('rows: none is never taken; released or expired is free; epoch survives', () => {
  assert.deepEqual(stateFromRow(undefined), { holder: null, epoch: 0, remainingMs: 0 });
  assert.deepEqual(stateFromRow({ holder: 'a', epoch: '3', remaining_ms: 1500.7 }), {
    holder: 'a',
    epoch: 3,
    remainingMs: 1500,
  });
  assert.deepEqual(stateFromRow({ holder: 'a', epoch: '3', remaining_ms: -20 }), {
    holder: null,
    epoch: 3,
    remainingMs: 0,
  });
  assert.deepEqual(stateFromRow({ holder: null, epoch: '4', remaining_ms: null }), {
    holder: null,
    epoch: 4,
    remainingMs: 0,
  });
  assert.throws(
    () => stateFromRow({ holder: 'a', epoch: 'x', remaining_ms: 1 }),
    (err: unknown) => err instanceof LockStoreError && err.code === 'invalid-response',
  );
});

test('notifications are filtered by lock name and validated', () => {
  assert.deepEqual(parseNotification('{"type":"released","lock":"t1","epoch":4}', 't1'), {
    type: 'released',
    epoch: 4,
  });
  assert.deepEqual(parseNotification('{"type":"released","lock":"t1","epoch":4,"clean":true}', 't1'), {
    type: 'released',
    epoch: 4,
    clean: true,
  });
  assert.deepEqual(parseNotification('{"type":"released","lock":"t1","epoch":4,"clean":false}', 't1'), {
    type: 'released',
    epoch: 4,
  });
  assert.deepEqual(parseNotification('{"type" : "acquired", "lock" : "t1", "holder" : "a", "epoch" : 5}', 't1'), {
    type: 'acquired',
    holder: 'a',
    epoch: 5,
  });
  assert.equal(parseNotification('{"type":"released","lock":"t2","epoch":4}', 't1'), undefined);
  for (const bad of [
    '',
    'x',
    'null',
    '{"type":"released","lock":"t1"}',
    '{"type":"acquired","lock":"t1","epoch":1}',
    '{"type":"gone","lock":"t1","epoch":1}',
  ]) {
    assert.equal(parseNotification(bad, 't1'), undefined, bad);
  }
});
