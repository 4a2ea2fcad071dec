import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatGoDuration } from '../runtime/duration.ts';
import { StatusTracker } from './status-tracker.ts';

test('a follower sees the leader; after a takeover it leads and counts the failover', () => {
  let now = Date.parse('2026-01-01T00:00:00Z');
  const t = new StatusTracker('me_1', () => now);
  t.newLeader('other_2', 1);
  assert.deepEqual(
    [t.snapshot().isLeader, t.snapshot().currentLeader, t.snapshot().leaderSince],
    [false, 'other_2', null],
  );
  now += 65_000;
  t.observer().acquired?.({ epoch: 2, previousHolder: 'other_2', failoverMs: 3, requestedAgoMs: 1 });
  const s = t.snapshot();
  assert.equal(s.isLeader, true);
  assert.equal(s.leaderSince, '2026-01-01T00:01:05.000Z');
  assert.deepEqual(
    [s.currentLeader, s.lastLeader, s.failoverCount, s.leadershipTransitions, s.epoch],
    ['me_1', 'other_2', 1, 1, 2],
  );
  assert.equal(s.uptime, '1m5s');
  t.observer().stopped?.({ epoch: 2, reason: 'shutdown', heldMs: 1 });
  assert.deepEqual([t.snapshot().isLeader, t.snapshot().leadershipTransitions], [false, 2]);
});

test('uptime is printed like a Go duration', () => {
  assert.equal(formatGoDuration(0), '0s');
  assert.equal(formatGoDuration(3_723_000), '1h2m3s');
  assert.equal(formatGoDuration(3_600_000), '1h0m0s');
});

test('the reason of the last change, and a listener told of each move from one holder to another', () => {
  const t = new StatusTracker('me_1');
  const moves: string[] = [];
  t.onLeaderChange((from, to) => moves.push(`${from}->${to}`));
  assert.equal(t.snapshot().lastLeadershipChangeReason, '');
  t.newLeader(null, 0);
  t.newLeader('other_2', 1);
  assert.equal(t.snapshot().lastLeadershipChangeReason, 'other_2 became leader');
  t.newLeader('other_2', 1);
  t.observer().acquired?.({ epoch: 2, previousHolder: 'other_2', failoverMs: 3, requestedAgoMs: 1 });
  t.newLeader('me_1', 2);
  assert.equal(t.snapshot().lastLeadershipChangeReason, 'took over from other_2');
  t.observer().stopped?.({ epoch: 2, reason: 'renew-deadline', heldMs: 1 });
  assert.equal(t.snapshot().lastLeadershipChangeReason, 'stepped down: no renewal succeeded within the renew deadline');
  t.newLeader('third_3', 3);
  assert.deepEqual(moves, ['other_2->me_1', 'me_1->third_3'], 'the first holder seen is not a move');
});
