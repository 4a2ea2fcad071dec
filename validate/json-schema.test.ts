import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CrValidator } from './cr-validate.ts';
import { formatPath } from './manifests.ts';
import { cr } from './testing.ts';
import type { Spec } from './testing.ts';

describe('structural schema conversion', () => {
  // A made-up CRD using what ours do not: int-or-string, nullable, exclusive bounds, embedded resources.
  const crd = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    spec: {
      group: 'highlander.plexobject.io',
      names: { kind: 'WorkloadProcess' },
      versions: [
        {
          name: 'v1',
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: {
                  type: 'object',
                  properties: {
                    port: { 'x-kubernetes-int-or-string': true },
                    note: { type: 'string', nullable: true },
                    ratio: { type: 'number', minimum: 0, exclusiveMinimum: true },
                    template: {
                      type: 'object',
                      'x-kubernetes-embedded-resource': true,
                      properties: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
                    },
                    tags: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'set' },
                    when: { type: 'string', format: 'date-time' },
                    mode: {
                      type: 'string',
                      'x-kubernetes-validations': [{ rule: "self.url() == 'x'" }, { rule: 'self != oldSelf' }],
                    },
                  },
                },
              },
            },
          },
        },
      ],
    },
  };
  const custom = new CrValidator([crd]);
  const check = (s: Spec): string[] =>
    custom.validate(cr('WorkloadProcess', s)).map((p) => `${formatPath(p.path)}: ${p.message}`);

  test('int-or-string, nullable, embedded resources and preserved fields are accepted', () => {
    assert.deepEqual(
      check({
        port: 80,
        note: null,
        ratio: 0.5,
        template: { apiVersion: 'v1', kind: 'Pod', metadata: {}, spec: { anything: 1 } },
      }),
      [],
    );
    assert.deepEqual(check({ port: 'http' }), []);
  });

  test('what they do not allow is refused', () => {
    assert.match(check({ port: true }).join(), /^spec\.port: must be integer or string, not boolean/);
    assert.match(check({ ratio: 0 }).join(), /^spec\.ratio: must be > 0/);
    assert.match(check({ template: { bogus: 1 } }).join(), /^spec\.template\.bogus: unknown field/);
    assert.match(check({ tags: ['a', 'b', 'a'] }).join(), /^spec\.tags\[2\]: Duplicate value: "a"/);
    assert.match(check({ when: 'yesterday' }).join(), /^spec\.when: must match format "date-time"/);
  });

  test('a rule it cannot run is listed as unchecked; a transition rule is not run on create', () => {
    assert.deepEqual(
      custom.unchecked.map((u) => [u.path, u.rule]),
      [['.spec.mode', "self.url() == 'x'"]],
    );
    assert.deepEqual(check({ mode: 'a' }), []);
  });
});
