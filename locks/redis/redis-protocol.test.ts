// Unit tests for the Redis store's pure parts: names, addresses, script replies, messages.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LockStoreError } from '../lock-store.ts';
import {
  acquireFromReply,
  classifyRedisError,
  parseAddr,
  parseEvent,
  redisNames,
  stateFromReply,
} from './redis-protocol.ts';

const isCode =
  (code: string) =>
  (err: unknown): boolean =>
    err instanceof LockStoreError && err.code === code;

test('names follow K8 Highlander: highlander-leader-lock:<tenant>', () => {
  assert.deepEqual(redisNames('default'), {
    lock: 'highlander-leader-lock:default',
    epoch: 'highlander-leader-epoch:default',
    channel: 'highlander-leader-events:default',
  });
  assert.equal(redisNames('t1', 'x-').lock, 'x-lock:t1');
});

test('parseAddr takes host:port and [v6]:port, and refuses anything else as config', () => {
  assert.deepEqual(parseAddr('127.0.0.1:6379'), { host: '127.0.0.1', port: 6379 });
  assert.deepEqual(parseAddr('redis.example:1'), { host: 'redis.example', port: 1 });
  assert.deepEqual(parseAddr('[::1]:6380'), { host: '::1', port: 6380 });
  for (const bad of ['', 'localhost', ':6379', 'host:0', 'host:65536', 'host:port', '::1:6379', 'redis://h:1']) {
    assert.throws(() => parseAddr(bad), isCode('config'), bad);
  }
});

test('a state reply: absent key is free with the counter epoch; a held key has holder and PTTL', () => {
  assert.deepEqual(stateFromReply(['', '', -2, '0']), { holder: null, epoch: 0, remainingMs: 0 });
  assert.deepEqual(stateFromReply(['', '', -2, '7']), { holder: null, epoch: 7, remainingMs: 0 });
  assert.deepEqual(stateFromReply(['a', '7', 1234, '7']), { holder: 'a', epoch: 7, remainingMs: 1234 });
  // Expiring this very millisecond: free.
  assert.deepEqual(stateFromReply(['a', '7', 0, '7']), { holder: null, epoch: 7, remainingMs: 0 });
});

test('a state reply that breaks the invariants is an invalid response', () => {
  assert.throws(() => stateFromReply(['a', '7', -1, '7']), /no TTL/);
  assert.throws(() => stateFromReply(['', '', 500, '7']), /no holder/);
  assert.throws(() => stateFromReply(['a', 'x', 500, '7']), isCode('invalid-response'));
  assert.throws(() => stateFromReply(['', '', -2, 'x']), isCode('invalid-response'));
  assert.throws(() => stateFromReply('OK'), isCode('invalid-response'));
  assert.throws(() => stateFromReply(['a', '1', 5]), isCode('invalid-response'));
});

test('an acquire reply is a grant or the refusing state', () => {
  assert.deepEqual(acquireFromReply([1, 3, 5000]), { acquired: true, epoch: 3, ttlMs: 5000 });
  assert.deepEqual(acquireFromReply([0, 'b', '2', 4000, '2']), {
    acquired: false,
    state: { holder: 'b', epoch: 2, remainingMs: 4000 },
  });
  assert.throws(() => acquireFromReply([2, 3, 5000]), isCode('invalid-response'));
  assert.throws(() => acquireFromReply([1, 3]), isCode('invalid-response'));
  assert.throws(() => acquireFromReply(null), isCode('invalid-response'));
});

test('channel messages become events; anything else is ignored', () => {
  assert.deepEqual(parseEvent('{"type":"released","epoch":4}'), { type: 'released', epoch: 4 });
  assert.deepEqual(parseEvent('{"type":"released","epoch":4,"clean":true}'), {
    type: 'released',
    epoch: 4,
    clean: true,
  });
  assert.deepEqual(parseEvent('{"type":"released","epoch":4,"clean":false}'), { type: 'released', epoch: 4 });
  assert.deepEqual(parseEvent('{"type":"released","epoch":4,"clean":"yes"}'), { type: 'released', epoch: 4 });
  assert.deepEqual(parseEvent('{"epoch":5,"holder":"pod-a","type":"acquired"}'), {
    type: 'acquired',
    holder: 'pod-a',
    epoch: 5,
  });
  // cjson escapes '/' as '\/': still the same holder.
  assert.deepEqual(parseEvent('{"type":"acquired","holder":"ns\\/pod","epoch":6}'), {
    type: 'acquired',
    holder: 'ns/pod',
    epoch: 6,
  });
  for (const bad of [
    '',
    'not json',
    'null',
    '3',
    '{"type":"released"}',
    '{"type":"released","epoch":"4"}',
    '{"type":"acquired","epoch":4}',
    '{"type":"renewed","epoch":4}',
    '{"type":"released","epoch":1.5}',
  ]) {
    assert.equal(parseEvent(bad), undefined, bad);
  }
});

test('errors: connection trouble is retryable, bad credentials are config, odd replies invalid', () => {
  const reply = (message: string): Error => Object.assign(new Error(message), { name: 'ReplyError' });
  assert.equal(classifyRedisError(new Error('connect ECONNREFUSED 127.0.0.1:1')), 'unavailable');
  assert.equal(classifyRedisError('weird'), 'unavailable');
  assert.equal(classifyRedisError(reply('WRONGPASS invalid username-password pair or user is disabled.')), 'config');
  assert.equal(classifyRedisError(reply('NOAUTH Authentication required.')), 'config');
  assert.equal(classifyRedisError(reply('NOPERM this user has no permissions to run the command')), 'config');
  assert.equal(classifyRedisError(reply('LOADING Redis is loading the dataset in memory')), 'unavailable');
  assert.equal(classifyRedisError(reply('READONLY You cannot write against a read only replica.')), 'unavailable');
  assert.equal(
    classifyRedisError(reply('WRONGTYPE Operation against a key holding the wrong kind of value')),
    'invalid-response',
  );
  assert.equal(
    classifyRedisError(reply('ERR user_script:1: Script attempted to access nonexistent global variable')),
    'invalid-response',
  );
});
