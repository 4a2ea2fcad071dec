import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { meta } from '../shared/testing.ts';
import { desiredPod } from './desired.ts';
import { SPEC_HASH_ANNOTATION, replaceReason, specHash } from './driver.ts';

const pod = (hash: string, phase: string): V1Pod => ({ metadata: { annotations: { [SPEC_HASH_ANNOTATION]: hash } }, status: { phase } });

test('a pod is kept while its spec is current and it runs', () => {
  assert.equal(replaceReason(pod('h', 'Running'), 'h', 'Always'), undefined);
  assert.equal(replaceReason(pod('h', 'Pending'), 'h', 'OnFailure'), undefined);
});

test('a spec change replaces the pod (pods cannot be updated in place)', () => {
  assert.equal(replaceReason(pod('old', 'Running'), 'new', 'Always'), 'the spec changed');
});

test('a finished pod is replaced according to the restart policy', () => {
  assert.equal(replaceReason(pod('h', 'Succeeded'), 'h', 'Always'), 'the process exited');
  assert.equal(replaceReason(pod('h', 'Succeeded'), 'h', 'OnFailure'), undefined);
  assert.equal(replaceReason(pod('h', 'Failed'), 'h', 'OnFailure'), 'the process failed');
  assert.equal(replaceReason(pod('h', 'Failed'), 'h', 'Never'), undefined);
});

test('the spec hash ignores the epoch, so a failover replaces no pod', () => {
  const cr = { kind: 'WorkloadProcess', metadata: meta('p'), spec: { image: 'i', script: { commands: ['x'] } } };
  assert.equal(specHash(desiredPod(cr, 1)), specHash(desiredPod(cr, 2)));
  assert.notEqual(specHash(desiredPod(cr, 1)), specHash(desiredPod({ ...cr, spec: { ...cr.spec, image: 'j' } }, 1)));
});
