import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatPath } from './manifests.ts';
import { metadataProblems } from './metadata.ts';

describe('metadata', () => {
  test('name or generateName is required', () => {
    assert.deepEqual(
      metadataProblems({ namespace: 'a' }).map((p) => formatPath(p.path)),
      ['metadata.name'],
    );
    assert.deepEqual(metadataProblems({ generateName: 'x-' }), []);
    assert.deepEqual(
      metadataProblems(undefined).map((p) => p.message),
      ['Required value: name or generateName is required'],
    );
  });

  test('names, namespaces, labels and annotations follow the API server rules', () => {
    const got = metadataProblems({
      name: 'Bad_Name',
      namespace: 'a.b',
      labels: { 'highlander.plexobject.io/tenant': 'tenant-a', 'bad key!': 'x', ok: 'no spaces allowed' },
      annotations: { 'example.com/owner': 'anything at all: spaces too', n: 5 },
      uid: 'abc',
      colour: 'red',
    }).map((p) => formatPath(p.path));
    assert.deepEqual(
      got.sort(),
      [
        'metadata.annotations.n',
        'metadata.colour',
        'metadata.labels.ok',
        'metadata.labels[bad key!]',
        'metadata.name',
        'metadata.namespace',
      ].sort(),
    );
  });
});
