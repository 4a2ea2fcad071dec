// The demo's sample workloads (samples.yaml) placed in one namespace and tenant, so several
// demos and tests can use the same file side by side. demo.sh runs this file as a command:
//   node --import tsx e2e/demo/samples.ts NAMESPACE [TENANT]   → the rendered YAML on stdout
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

interface Manifest {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
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

/** Kind and name of every sample in the file. */
export function sampleRefs(text: string = readFileSync(SAMPLES_PATH, 'utf8')): SampleRef[] {
  return manifests(text).map((m) => ({ kind: m.kind, name: m.metadata.name }));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [namespace, tenant] = process.argv.slice(2);
  if (!namespace) {
    console.error('usage: samples.ts NAMESPACE [TENANT]');
    process.exitCode = 2;
  } else {
    process.stdout.write(renderSamples(readFileSync(SAMPLES_PATH, 'utf8'), namespace, tenant || 'default'));
  }
}
