// The checker's judgement of one write, on sessions as the replicas' logs give them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { OperatorProcess } from '../../testkit/operator-process.ts';
import type { Session } from './checker.ts';
import { superseded } from './checker.ts';

const session = (s: Omit<Session, 'process' | 'grantedEpoch'> & { grantedEpoch?: number }): Session => ({
  process: {} as OperatorProcess,
  grantedEpoch: s.epoch,
  ...s,
});

test('a write after another replica was granted the lock is stale', () => {
  const all = [
    session({ slot: 0, epoch: 5, requestedAt: 1000, actingAt: 1010, endedAt: undefined }),
    session({ slot: 1, epoch: 6, requestedAt: 2000, actingAt: 2010, endedAt: undefined }),
  ];
  assert.equal(superseded(all, 0, 1500), undefined);
  assert.match(
    superseded(all, 0, 2500) ?? '',
    /slot 0 \(epoch 5\) was superseded 500 ms before, by slot 1 \(epoch 6\)/,
  );
  assert.equal(superseded(all, 2, 2500), 'the writer held no grant');
});

// Seen on Spanner: slot 0 asked first and waited behind slot 1's transaction; slot 1 was granted
// epoch 59, was sent SIGTERM, released; only then was slot 0 granted epoch 60 and led.
test('a request that waited while another was granted, led and ended is not superseded by it', () => {
  const all = [
    session({ slot: 0, epoch: 60, requestedAt: 6169, actingAt: 6486, endedAt: undefined }),
    session({ slot: 1, epoch: 59, requestedAt: 6171, actingAt: 6195, endedAt: 6377 }),
  ];
  assert.equal(superseded(all, 0, 6638), undefined);
});

test('but a grant after the waiting one, of a higher epoch, supersedes it even once ended', () => {
  const all = [
    session({ slot: 0, epoch: 5, requestedAt: 1000, actingAt: 3000, endedAt: undefined }),
    session({ slot: 1, epoch: 6, requestedAt: 1100, actingAt: 1200, endedAt: 2000 }),
  ];
  assert.match(superseded(all, 0, 3100) ?? '', /by slot 1 \(epoch 6\)/);
});

test('a store that lost its counter: a later grant of a lower epoch, raised above the written ones, supersedes', () => {
  const all = [
    session({ slot: 0, epoch: 60, requestedAt: 1000, actingAt: 3000, endedAt: undefined }),
    // granted epoch 1 by a restarted store, raised to 61 past the epochs written
    session({ slot: 1, epoch: 61, grantedEpoch: 1, requestedAt: 1100, actingAt: 1200, endedAt: 2000 }),
  ];
  assert.match(superseded(all, 0, 3100) ?? '', /by slot 1 \(epoch 61\)/);
});
