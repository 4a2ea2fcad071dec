// The CRDs in crds/ are the API's source of truth: served under the names in WORKLOAD_KINDS, with
// the spec and status fields, enums and defaults users rely on (K8 Highlander's among them), and
// what users see: descriptions everywhere (kubectl explain), printer columns, the category. The
// expected field lists are also checked against the generated types by the compiler.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { WORKLOAD_CATEGORY, WORKLOAD_KINDS } from './types.ts';
import { repo, loadCrd, nodes, at } from './testing.ts';
import type { Schema } from './testing.ts';

import type {
  WorkloadCronJobSpec,
  WorkloadCronJobStatus,
  WorkloadKind,
  WorkloadPersistentSpec,
  WorkloadPersistentStatus,
  WorkloadProcessSpec,
  WorkloadProcessStatus,
  WorkloadServiceSpec,
  WorkloadServiceStatus,
} from './types.ts';

const sorted = (xs: readonly string[]): string[] => [...xs].sort();

// `Record<keyof T, true>` makes the compiler reject a list that misses or invents a field of T.
const fieldsOf = <T>(keys: Record<keyof T, true>): readonly string[] => Object.keys(keys);
const commonSpec = {
  image: true,
  script: true,
  env: true,
  resources: true,
  command: true,
  args: true,
  labels: true,
  annotations: true,
  nodeSelector: true,
  tolerations: true,
  serviceAccountName: true,
  imagePullSecrets: true,
  configMaps: true,
  secrets: true,
  volumes: true,
  sidecars: true,
} as const;
const serviceSpec = {
  ...commonSpec,
  replicas: true,
  ports: true,
  healthCheckPath: true,
  healthCheckPort: true,
  readinessTimeout: true,
} as const;
const commonStatus = {
  observedGeneration: true,
  active: true,
  healthy: true,
  leader: true,
  epoch: true,
  phase: true,
  message: true,
  conditions: true,
} as const;

/** Top-level spec fields of each kind. */
const SPEC_FIELDS: Record<WorkloadKind, readonly string[]> = {
  WorkloadProcess: fieldsOf<WorkloadProcessSpec>({
    ...commonSpec,
    restartPolicy: true,
    maxRestarts: true,
    gracePeriod: true,
  }),
  WorkloadCronJob: fieldsOf<WorkloadCronJobSpec>({
    ...commonSpec,
    schedule: true,
    restartPolicy: true,
    timeZone: true,
    suspend: true,
    concurrencyPolicy: true,
    startingDeadlineSeconds: true,
    successfulJobsHistoryLimit: true,
    failedJobsHistoryLimit: true,
  }),
  WorkloadService: fieldsOf<WorkloadServiceSpec>(serviceSpec),
  WorkloadPersistent: fieldsOf<WorkloadPersistentSpec>({ ...serviceSpec, persistentVolumes: true, serviceName: true }),
};

/** Top-level status fields of each kind. */
const STATUS_FIELDS: Record<WorkloadKind, readonly string[]> = {
  WorkloadProcess: fieldsOf<WorkloadProcessStatus>({ ...commonStatus, podName: true, restarts: true }),
  WorkloadCronJob: fieldsOf<WorkloadCronJobStatus>({
    ...commonStatus,
    lastScheduleTime: true,
    lastSuccessfulTime: true,
    activeJobs: true,
  }),
  WorkloadService: fieldsOf<WorkloadServiceStatus>({ ...commonStatus, readyReplicas: true, replicas: true }),
  WorkloadPersistent: fieldsOf<WorkloadPersistentStatus>({ ...commonStatus, readyReplicas: true, replicas: true }),
};

/** Spec fields each kind requires (besides one of script or command). */
const REQUIRED_SPEC_FIELDS: Record<WorkloadKind, readonly string[]> = {
  WorkloadProcess: ['image'],
  WorkloadCronJob: ['image', 'schedule'],
  WorkloadService: ['image', 'replicas'],
  WorkloadPersistent: ['image', 'replicas'],
};

/** Printer columns shown without -o wide: name, type, JSONPath. */
const DEFAULT_COLUMNS: Record<WorkloadKind, [string, string, string][]> = {
  WorkloadProcess: [
    ['Active', 'boolean', '.status.active'],
    ['Healthy', 'boolean', '.status.healthy'],
    ['Phase', 'string', '.status.phase'],
    ['Age', 'date', '.metadata.creationTimestamp'],
  ],
  WorkloadCronJob: [
    ['Active', 'boolean', '.status.active'],
    ['Healthy', 'boolean', '.status.healthy'],
    ['Schedule', 'string', '.spec.schedule'],
    ['Age', 'date', '.metadata.creationTimestamp'],
  ],
  WorkloadService: [
    ['Active', 'boolean', '.status.active'],
    ['Healthy', 'boolean', '.status.healthy'],
    ['Ready', 'integer', '.status.readyReplicas'],
    ['Replicas', 'integer', '.spec.replicas'],
    ['Age', 'date', '.metadata.creationTimestamp'],
  ],
  WorkloadPersistent: [
    ['Active', 'boolean', '.status.active'],
    ['Healthy', 'boolean', '.status.healthy'],
    ['Ready', 'integer', '.status.readyReplicas'],
    ['Replicas', 'integer', '.spec.replicas'],
    ['Age', 'date', '.metadata.creationTimestamp'],
  ],
};

/** K8 Highlander's spec fields per kind (FACTS.md): existing resources must keep applying. */
const K8H_FIELDS: Record<WorkloadKind, string[]> = {
  WorkloadProcess: ['image', 'script', 'env', 'resources', 'restartPolicy', 'maxRestarts', 'gracePeriod'],
  WorkloadCronJob: ['image', 'script', 'env', 'resources', 'schedule', 'restartPolicy'],
  WorkloadService: [
    'image',
    'script',
    'env',
    'resources',
    'replicas',
    'ports',
    'healthCheckPath',
    'healthCheckPort',
    'readinessTimeout',
  ],
  WorkloadPersistent: [
    ...[
      'image',
      'script',
      'env',
      'resources',
      'replicas',
      'ports',
      'healthCheckPath',
      'healthCheckPort',
      'readinessTimeout',
    ],
    ...['persistentVolumes', 'serviceName'],
  ],
};

for (const info of Object.values(WORKLOAD_KINDS)) {
  const { kind } = info;
  describe(`${kind} CRD`, () => {
    const crd = loadCrd(info);
    const version = crd.spec.versions[0]!;
    const root = version.schema.openAPIV3Schema;
    const spec = root.properties?.spec ?? {};
    const status = root.properties?.status ?? {};

    test('is served under the names in WORKLOAD_KINDS, in the highlander category', () => {
      assert.equal(crd.metadata.name, `${info.plural}.${info.group}`);
      assert.equal(crd.spec.group, info.group);
      assert.equal(crd.spec.scope, 'Namespaced');
      assert.deepEqual(crd.spec.names, {
        kind,
        listKind: info.listKind,
        plural: info.plural,
        singular: info.singular,
        shortNames: [info.shortName],
        categories: [WORKLOAD_CATEGORY],
      });
      assert.equal(crd.spec.versions.length, 1);
      assert.equal(version.name, info.version);
      assert.ok(version.served && version.storage, 'v1 must be served and the storage version');
      assert.deepEqual(version.subresources, { status: {} });
    });

    test('spec fields match SPEC_FIELDS and keep every K8 Highlander field', () => {
      assert.deepEqual(sorted(Object.keys(spec.properties ?? {})), sorted(SPEC_FIELDS[kind]));
      for (const f of K8H_FIELDS[kind])
        assert.ok(SPEC_FIELDS[kind].includes(f), `K8 Highlander field spec.${f} is missing`);
      assert.deepEqual(sorted(spec.required ?? []), sorted(REQUIRED_SPEC_FIELDS[kind]));
      assert.deepEqual(root.required, ['spec']);
      // Servers (services, persistent sets) may run the image's entrypoint; one-off work needs a command.
      const needsCommand = kind === 'WorkloadProcess' || kind === 'WorkloadCronJob';
      assert.equal(
        spec['x-kubernetes-validations']?.some((v) => v.rule === 'has(self.script) || has(self.command)') ?? false,
        needsCommand,
        needsCommand ? 'spec must require one of script or command' : 'spec must allow the image entrypoint',
      );
      assert.deepEqual(spec.properties?.script?.required, ['commands']);
      assert.equal(spec.properties?.script?.properties?.commands?.type, 'array');
      assert.equal(spec.properties?.script?.properties?.shell?.default, '/bin/sh');
      assert.equal(spec.properties?.image?.type, 'string');
    });

    test('status fields match STATUS_FIELDS; conditions are a map keyed by type', () => {
      assert.deepEqual(sorted(Object.keys(status.properties ?? {})), sorted(STATUS_FIELDS[kind]));
      const conditions = status.properties?.conditions;
      assert.equal(conditions?.['x-kubernetes-list-type'], 'map');
      assert.deepEqual(conditions?.['x-kubernetes-list-map-keys'], ['type']);
      assert.deepEqual(conditions?.items?.properties?.status?.enum, ['True', 'False', 'Unknown']);
      assert.deepEqual(
        sorted(Object.keys(conditions?.items?.properties ?? {})),
        sorted(['type', 'status', 'observedGeneration', 'lastTransitionTime', 'reason', 'message']),
      );
      assert.equal(status.properties?.observedGeneration?.type, 'integer');
      assert.equal(status.properties?.active?.type, 'boolean');
      assert.equal(status.properties?.healthy?.type, 'boolean');
    });

    test('every schema node has a description (kubectl explain)', () => {
      const missing = [...nodes(root)]
        // The API server allows nothing but `type` on the root metadata.
        .filter(([path, node]) => path !== '.metadata' && !node.description?.trim())
        .map(([path]) => path || '(root)');
      assert.deepEqual(missing, []);
    });

    test('every validation rule has a message that names a field of the spec', () => {
      let rules = 0;
      for (const [path, node] of nodes(root)) {
        for (const v of node['x-kubernetes-validations'] ?? []) {
          rules++;
          const named = /^([a-zA-Z]+(?:\[\])?(?:\.[a-zA-Z]+(?:\[\])?)*)(?::| must)/.exec(v.message ?? '')?.[1];
          assert.ok(named, `${path}: rule ${v.rule} needs a message that starts with the field it is about`);
          const field = named === 'spec' || named.startsWith('spec.') ? named : `spec.${named}`;
          assert.ok(at(root, field), `${path}: message names ${field}, which the schema does not have`);
        }
      }
      assert.ok(rules > 0);
    });

    test('CEL rules are bounded for the cost estimator (maxItems on lists, maxLength on strings)', () => {
      for (const [path, node] of nodes(root)) {
        const hasRules = [...nodes(node)].some(([, n]) => n['x-kubernetes-validations']?.length);
        if (node.type === 'array' && hasRules) assert.ok(node.maxItems, `${path} needs maxItems`);
        if (node.type === 'string' && hasRules) assert.ok(node.maxLength, `${path} needs maxLength`);
      }
    });

    test("printer columns: ACTIVE, HEALTHY, the kind's own, AGE", () => {
      const columns = version.additionalPrinterColumns ?? [];
      const shown = columns.filter((c) => !c.priority).map((c) => [c.name, c.type, c.jsonPath]);
      assert.deepEqual(shown, DEFAULT_COLUMNS[kind]);
      for (const c of columns) {
        assert.ok(c.description, `column ${c.name} needs a description`);
        if (!c.jsonPath.startsWith('.metadata.'))
          assert.ok(at(root, c.jsonPath), `column ${c.name}: ${c.jsonPath} is not in the schema`);
      }
    });

    test('enums and defaults are the ones users rely on', () => {
      const p = spec.properties ?? {};
      const tol = p.tolerations?.items?.properties;
      assert.deepEqual(tol?.operator?.enum, ['Exists', 'Equal']);
      assert.deepEqual(tol?.effect?.enum, ['NoSchedule', 'PreferNoSchedule', 'NoExecute']);
      if (kind === 'WorkloadProcess') {
        assert.deepEqual(p.restartPolicy?.enum, ['Always', 'OnFailure', 'Never']);
        assert.equal(p.restartPolicy?.default, 'Always');
      }
      if (kind === 'WorkloadCronJob') {
        assert.deepEqual(p.restartPolicy?.enum, ['OnFailure', 'Never']);
        assert.equal(p.restartPolicy?.default, 'OnFailure');
        assert.deepEqual(p.concurrencyPolicy?.enum, ['Allow', 'Forbid', 'Replace']);
        assert.equal(p.concurrencyPolicy?.default, 'Forbid');
        assert.equal(p.suspend?.default, false);
        assert.equal(p.schedule?.maxLength, 256);
      }
      if (kind === 'WorkloadService' || kind === 'WorkloadPersistent') {
        assert.deepEqual(p.ports?.items?.properties?.protocol?.enum, ['TCP', 'UDP', 'SCTP']);
        assert.equal(p.ports?.items?.properties?.protocol?.default, 'TCP');
      }
    });
  });
}

/** Paths in `value` that `schema` does not declare: fields the API server would prune silently. */
function undeclared(value: unknown, schema: Schema, path: string): string[] {
  if (Array.isArray(value))
    return value.flatMap((v, i) => (schema.items ? undeclared(v, schema.items, `${path}[${i}]`) : []));
  if (value === null || typeof value !== 'object') return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(value)) {
    const child =
      schema.properties?.[k] ??
      (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
    if (!child) out.push(`${path}.${k}`);
    else out.push(...undeclared(v, child, `${path}.${k}`));
  }
  return out;
}

const seedPath = new URL('testkit/fixtures/seed/cr-sample-cronjob.yaml', repo);
test('the K8 Highlander seed WorkloadCronJob uses only declared fields and has every required one', () => {
  const seed = parse(readFileSync(seedPath, 'utf8')) as {
    kind: string;
    spec: Record<string, unknown>;
  };
  assert.equal(seed.kind, 'WorkloadCronJob');
  const schema = loadCrd(WORKLOAD_KINDS.WorkloadCronJob).spec.versions[0]!.schema.openAPIV3Schema.properties!.spec!;
  assert.deepEqual(undeclared(seed.spec, schema, 'spec'), []);
  for (const f of schema.required ?? []) assert.ok(f in seed.spec, `seed lacks spec.${f}`);
});
