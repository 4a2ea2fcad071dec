// A config file checked in one pass, for `highlander run` and `highlander validate` alike: the
// settings (config/), and each config-file workload as the CR the leader would write, against
// the CRDs. A new user sees every problem at once — an unknown storageType and a cron schedule
// the API server would refuse — instead of fixing one to learn of the next.
import type { ConfigSources, HighlanderConfig, WorkloadsConfig } from '../config/config.ts';
import { ConfigError, loadConfig } from '../config/config.ts';
import { configWorkloadCRs } from '../controllers/config-file/config-workloads.ts';
import type { Segment } from '../runtime/values.ts';
import type { CrValidator } from '../validate/cr-validate.ts';
import { formatPath } from '../validate/manifests.ts';

/** One problem of a config-file workload, at its path in the config file. */
export interface WorkloadProblem {
  path: Segment[];
  /** `workloads.cronJobs[0].schedule: <message> (as WorkloadCronJob ns/name)`. */
  text: string;
}

const SECTIONS: Record<keyof WorkloadsConfig, string> = {
  processes: 'WorkloadProcess',
  cronJobs: 'WorkloadCronJob',
  services: 'WorkloadService',
  persistentSets: 'WorkloadPersistent',
};

/**
 * The problems the API server would find in the config's workloads. `settings` may be a config
 * that failed its own checks: entries that are not mappings are skipped, and a problem at a path
 * the settings' checks already named (`known`) is not repeated.
 */
export function workloadProblems(
  settings: Readonly<Record<string, unknown>>,
  validator: CrValidator,
  known: readonly string[] = [],
): WorkloadProblem[] {
  const workloads = (isMapping(settings.workloads) ? settings.workloads : {}) as WorkloadsConfig;
  const namespace = typeof settings.namespace === 'string' ? settings.namespace : 'default';
  const tenant = typeof settings.tenant === 'string' ? settings.tenant : 'default';
  const seen = new Set(known.map((k) => /^([^ ]+?)(?: \(from [^)]+\))?: /.exec(k)?.[1]).filter(Boolean));
  const out: WorkloadProblem[] = [];
  for (const [section, kind] of Object.entries(SECTIONS) as [keyof WorkloadsConfig, string][]) {
    const entries = workloads[section];
    if (!Array.isArray(entries)) continue;
    entries.forEach((w, i) => {
      if (!isMapping(w) || typeof w.name !== 'string') return;
      const [cr] = configWorkloadCRs({ workloads: { [section]: [w] }, namespace, tenant });
      if (!cr) return;
      for (const p of validator.validate(cr)) {
        const path: Segment[] = ['workloads', section, i, ...toConfigPath(p.path)];
        const where = formatPath(path);
        if ([...seen].some((s) => where === s || where.startsWith(`${s}.`) || where.startsWith(`${s}[`))) continue;
        out.push({ path, text: `${where}: ${p.message} (as ${kind} ${cr.metadata.namespace}/${cr.metadata.name})` });
      }
    });
  }
  return out;
}

/**
 * Loads the config as `run` does and checks its workloads too; throws one {@link ConfigError}
 * holding every problem found. `validator` is only loaded when there are workloads to check.
 */
export async function loadCheckedConfig(
  src: ConfigSources,
  validator: () => CrValidator | Promise<CrValidator>,
): Promise<HighlanderConfig> {
  let cfg: HighlanderConfig | undefined;
  let settings: Readonly<Record<string, unknown>> | undefined;
  let problems: string[] = [];
  let source = '';
  try {
    cfg = loadConfig(src);
    settings = cfg as unknown as Record<string, unknown>;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    ({ problems, source, settings } = err);
    if (!settings) throw err; // unreadable or not YAML: nothing more to check
  }
  const hasWorkloads = isMapping(settings.workloads) && Object.keys(settings.workloads).length > 0;
  const more = hasWorkloads ? workloadProblems(settings, await validator(), problems).map((p) => p.text) : [];
  if (problems.length + more.length > 0) {
    throw new ConfigError([...problems, ...more], source || (cfg?.configPath ?? 'defaults and environment'), settings);
  }
  return cfg!;
}

/** A CR path as the config file's path below the workload entry: spec.x → x, metadata.name → name. */
function toConfigPath(path: readonly Segment[]): Segment[] {
  if (path[0] === 'spec') return path.slice(1);
  if (path[0] === 'metadata' && (path[1] === 'name' || path[1] === 'namespace')) return [path[1]];
  return [...path];
}

const isMapping = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);
