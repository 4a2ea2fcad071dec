// The demo's sample workloads (samples.yaml) placed in one namespace and tenant, so several
// demos and tests can use the same file side by side, and the volumes their claims bind to.
// demo.sh runs this file as a command (YAML on stdout):
//   node --import tsx e2e/demo/samples.ts samples NAMESPACE [TENANT]
//   node --import tsx e2e/demo/samples.ts volumes NAMESPACE
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

/** Path of the samples file. */
export const SAMPLES_PATH = fileURLToPath(new URL('./samples.yaml', import.meta.url));

/** The label that puts a CR in a tenant (absent means `default`). */
export const TENANT_LABEL = 'highlander.plexobject.io/tenant';

/** One sample: its kind and name. */
export interface SampleRef {
  kind: string;
  name: string;
}

/** Label on the PersistentVolumes made for one demo: the demo's namespace. */
export const DEMO_VOLUME_LABEL = 'highlander.plexobject.io/demo-namespace';

interface Manifest {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: { replicas?: number; persistentVolumes?: { name: string; size?: string; storageClassName?: string }[] };
}

function manifests(text: string): Manifest[] {
  return YAML.parseAllDocuments(text)
    .map((d) => d.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null);
}

/**
 * The samples as YAML, every one in `namespace`, and labelled with `tenant` unless it is
 * `default` (so the file's unlabelled CRs stay exactly as a user would write them).
 */
export function renderSamples(text: string, namespace: string, tenant = 'default'): string {
  return manifests(text)
    .map((m) => {
      m.metadata.namespace = namespace;
      if (tenant !== 'default') m.metadata.labels = { ...m.metadata.labels, [TENANT_LABEL]: tenant };
      return YAML.stringify(m, { lineWidth: 0 });
    })
    .join('---\n');
}

/**
 * One PersistentVolume per claim the samples' StatefulSets will make, bound in advance to that
 * claim (claimRef) and labelled with the namespace, so a demo neither takes volumes from the
 * cluster's shared pool nor leaves a Released one behind: teardown deletes them by label.
 */
export function renderVolumes(text: string, namespace: string): string {
  const volumes = manifests(text)
    .filter((m) => m.kind === 'WorkloadPersistent')
    .flatMap((m) =>
      (m.spec?.persistentVolumes ?? []).flatMap((v) =>
        Array.from({ length: m.spec?.replicas ?? 1 }, (_, i) => {
          const claim = `${v.name}-${m.metadata.name}-${i}`;
          return {
            apiVersion: 'v1',
            kind: 'PersistentVolume',
            metadata: {
              name: `${namespace}-${claim}`,
              labels: { 'app.kubernetes.io/part-of': 'highlander-demo', [DEMO_VOLUME_LABEL]: namespace },
            },
            spec: {
              capacity: { storage: v.size ?? '1Gi' },
              accessModes: ['ReadWriteOnce'],
              persistentVolumeReclaimPolicy: 'Retain',
              storageClassName: v.storageClassName ?? 'standard',
              claimRef: { namespace, name: claim },
              // kwok mounts nothing: the path is never touched.
              hostPath: { path: `/tmp/highlander-pv/${namespace}/${claim}` },
            },
          };
        }),
      ),
    );
  return volumes.map((v) => YAML.stringify(v, { lineWidth: 0 })).join('---\n');
}

/** Kind and name of every sample in the file. */
export function sampleRefs(text: string = readFileSync(SAMPLES_PATH, 'utf8')): SampleRef[] {
  return manifests(text).map((m) => ({ kind: m.kind, name: m.metadata.name }));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [what, namespace, tenant] = process.argv.slice(2);
  const text = readFileSync(SAMPLES_PATH, 'utf8');
  if (what === 'samples' && namespace) process.stdout.write(renderSamples(text, namespace, tenant || 'default'));
  else if (what === 'volumes' && namespace) process.stdout.write(renderVolumes(text, namespace));
  else {
    console.error('usage: samples.ts samples NAMESPACE [TENANT] | volumes NAMESPACE');
    process.exitCode = 2;
  }
}
