// Fixtures for the validator's unit tests: minimal valid specs and CRs of each kind.
import type { WorkloadKind } from '../api/types.ts';
import { CrValidator } from './cr-validate.ts';
import { formatPath } from './manifests.ts';

/** The K8 Highlander seed custom resource. */
export const seedCr = new URL('../testkit/fixtures/seed/cr-sample-cronjob.yaml', import.meta.url);
/** A validator on the CRDs in crds/. */
export const v = CrValidator.fromDirectory();

/** A spec or metadata as written in a manifest. */
export type Spec = Record<string, unknown>;

/** A CR of `kind` with `spec`. */
export const cr = (kind: WorkloadKind, spec: Spec, metadata: Spec = { name: 'x', namespace: 'default' }): Spec => ({
  apiVersion: 'highlander.plexobject.io/v1',
  kind,
  metadata,
  spec,
});

/** A minimal valid spec of each kind, with `changes` merged in (undefined removes a key). */
export function spec(kind: WorkloadKind, changes: Spec = {}): Spec {
  const base: Record<WorkloadKind, Spec> = {
    WorkloadProcess: { image: 'busybox:1.36', command: ['sleep', '3600'] },
    WorkloadCronJob: { image: 'busybox:1.36', script: { commands: ['date'] }, schedule: '*/5 * * * *' },
    WorkloadService: { image: 'busybox:1.36', script: { commands: ['httpd -f'] }, replicas: 1 },
    WorkloadPersistent: {
      image: 'busybox:1.36',
      script: { commands: ['sleep 3600'] },
      replicas: 1,
      persistentVolumes: [{ name: 'data', mountPath: '/data', size: '1Gi' }],
    },
  };
  const s: Spec = { ...base[kind], ...changes };
  for (const [k, x] of Object.entries(changes)) if (x === undefined) delete s[k];
  return s;
}

/** Problems as "path: message" lines. */
export const problems = (obj: unknown): string[] => v.validate(obj).map((p) => `${formatPath(p.path)}: ${p.message}`);
