import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubernetesObject } from '@kubernetes/client-node';
import { diffList } from './list-diff.ts';
import type { ObjectKey } from './types.ts';

function obj(name: string, rv: string): KubernetesObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns', resourceVersion: rv } };
}

describe('diffList', () => {
  test('finds added, changed and vanished objects; an unchanged resourceVersion is no update', () => {
    const cache = new Map<ObjectKey, KubernetesObject>([
      ['ns/same', obj('same', '1')],
      ['ns/changed', obj('changed', '2')],
      ['ns/gone', obj('gone', '3')],
    ]);
    const fresh = [obj('same', '1'), obj('changed', '5'), obj('new', '6')];
    const d = diffList(cache, fresh);
    assert.deepEqual(
      d.added.map((o) => o.metadata?.name),
      ['new'],
    );
    assert.deepEqual(
      d.updated.map(([o, n]) => `${o.metadata?.resourceVersion}->${n.metadata?.resourceVersion}`),
      ['2->5'],
    );
    assert.deepEqual(
      d.deleted.map((o) => o.metadata?.name),
      ['gone'],
    );
  });

  test('an empty list deletes everything; an empty cache adds everything', () => {
    const cache = new Map([['ns/a', obj('a', '1')]]);
    assert.equal(diffList(cache, []).deleted.length, 1);
    assert.equal(diffList(new Map(), [obj('a', '1'), obj('b', '1')]).added.length, 2);
  });
});
