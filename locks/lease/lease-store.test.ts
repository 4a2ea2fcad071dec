import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { V1Lease } from './lease-store.ts';
import { leaseEvents } from './lease-store.ts';

const lease = (holder: string | undefined, epoch: number): V1Lease => ({
  spec: { ...(holder ? { holderIdentity: holder } : {}), leaseTransitions: epoch },
});

test('a first holder is an acquisition', () => {
  assert.deepEqual(leaseEvents(undefined, lease('a', 1)), [{ type: 'acquired', holder: 'a', epoch: 1 }]);
});

test('a renewal is no event', () => {
  assert.deepEqual(leaseEvents(lease('a', 1), lease('a', 1)), []);
});

test('clearing the holder is a release of the old epoch', () => {
  assert.deepEqual(leaseEvents(lease('a', 3), lease(undefined, 3)), [{ type: 'released', epoch: 3 }]);
});

test('a takeover after expiry is an acquisition only', () => {
  assert.deepEqual(leaseEvents(lease('a', 3), lease('b', 4)), [{ type: 'acquired', holder: 'b', epoch: 4 }]);
});

test('the same holder granted again is a new acquisition', () => {
  assert.deepEqual(leaseEvents(lease('a', 3), lease('a', 4)), [{ type: 'acquired', holder: 'a', epoch: 4 }]);
});
