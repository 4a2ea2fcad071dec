import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { validateManifests } from './manifests.ts';
import { seedCr, v } from './testing.ts';

describe('manifests', () => {
  const text = [
    '# two good documents, an empty one, a broken one and a foreign one',
    readFileSync(seedCr, 'utf8').trimEnd(),
    '---',
    '---',
    'apiVersion: highlander.plexobject.io/v1',
    'kind: WorkloadService',
    'metadata:',
    '  name: web',
    'spec:',
    '  image: nginx',
    '  replicas: 1',
    '  command: [nginx]',
    '  ports:',
    '    - containerPort: 80',
    '    - containerPort: 99999',
    '---',
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata: {name: c}',
  ].join('\n');

  test('one result per non-empty document, problems with the line of their field', () => {
    const results = validateManifests(text, v);
    assert.deepEqual(
      results.map((r) => [r.doc, r.kind, r.name, r.problems.length]),
      [
        [1, 'WorkloadCronJob', 'sample-cronjob', 0],
        [3, 'WorkloadService', 'web', 1],
        [4, 'ConfigMap', 'c', 2],
      ],
    );
    const bad = results[1]!.problems[0]!;
    assert.equal(bad.path, 'spec.ports[1].containerPort');
    assert.equal(text.split('\n')[bad.line! - 1], '    - containerPort: 99999');
  });

  test('YAML errors and duplicate keys are problems with a line', () => {
    const [r] = validateManifests('kind: WorkloadProcess\nkind: WorkloadProcess\n', v);
    assert.match(r!.problems[0]!.message, /^YAML: .*[Uu]nique/);
    assert.equal(r!.problems[0]!.line, 2);
    const [s] = validateManifests('spec: [unclosed\n', v);
    assert.match(s!.problems[0]!.message, /^YAML: /);
  });

  test('an empty file has no documents', () => {
    assert.deepEqual(validateManifests('', v), []);
    assert.deepEqual(validateManifests('# nothing\n---\n', v), []);
  });
});
