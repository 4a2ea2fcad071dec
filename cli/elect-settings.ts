// `highlander elect`'s settings: the classic leader-elector's flags (--election, --http, --id,
// --election-namespace) on top of the operator's configuration (file, HIGHLANDER_* variables) for
// the store and the timings, as `run` and `await` read it.
import type { HighlanderConfig } from '../config/config.ts';
import { ConfigError, loadConfig } from '../config/config.ts';
import { resolveOptions } from '../app-election/options.ts';
import type { StoreSettings } from '../election/store-factory.ts';
import type { LeaderTimings } from '../election/timings.ts';
import { parseDuration } from '../runtime/duration.ts';
import { parseAddr, storeOf } from './await-settings.ts';

/** Command-line flags of `elect`. */
export interface ElectFlags {
  election?: string;
  http?: string;
  id?: string;
  electionNamespace?: string;
  observe?: boolean;
  pollInterval?: string;
  maxStaleness?: string;
  config?: string;
  kubeconfig?: string;
}

/** Everything `elect` runs with. */
export interface ElectSettings {
  /** The election's name: the Lease's, the Redis key's or the row's. */
  election: string;
  /** The id this process campaigns under (its pod name by default); a random suffix is added to it. */
  id: string;
  /** Only report the leader, never campaign. */
  observe: boolean;
  http: { host: string; port: number };
  store: StoreSettings;
  kubeconfig: string | undefined;
  timings: LeaderTimings;
  pollMs: number;
  staleAfterMs: number;
  config: HighlanderConfig;
}

/** The classic sidecar's default address is empty (no server); the server is the point here, on loopback. */
export const DEFAULT_HTTP = '127.0.0.1:4040';

/** Reads and checks the settings; throws a {@link ConfigError} naming every flag or variable at fault. */
export function electSettings(env: Record<string, string | undefined>, flags: ElectFlags): ElectSettings {
  const problems: string[] = [];
  const election = flags.election;
  if (!election) problems.push('--election: is required (the name of the election: its Lease, key or row)');
  // The flags stand for these variables, and win over them.
  const merged = { ...env };
  if (flags.id !== undefined) merged.HIGHLANDER_ID = flags.id;
  if (flags.electionNamespace !== undefined) merged.HIGHLANDER_LEASE_NAMESPACE = flags.electionNamespace;
  let config: HighlanderConfig | undefined;
  try {
    config = loadConfig({ env: merged, ...(flags.config ? { configPath: flags.config } : {}) });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems.map((p) => asFlag(p, flags)));
  }
  const http = parseAddr(flags.http ?? DEFAULT_HTTP, '--http', problems);
  const retry = config?.leaderElection.retryPeriodMs ?? 0;
  // Reads twice per retry period: a cut store is noticed within one retry period (maxStaleness).
  const pollMs = duration(flags.pollInterval, '--poll-interval', Math.max(50, Math.round(retry / 2)), problems);
  const staleAfterMs = duration(flags.maxStaleness, '--max-staleness', Math.max(2 * pollMs, retry), problems);
  if (pollMs > 0 && staleAfterMs > 0 && staleAfterMs < pollMs)
    problems.push(`--max-staleness: must be at least --poll-interval (${staleAfterMs} ms < ${pollMs} ms)`);
  if (config && staleAfterMs > 0 && staleAfterMs >= config.leaderElection.leaseDurationMs)
    problems.push(
      `--max-staleness: must be below the lease duration (${config.leaderElection.leaseDurationMs} ms): ` +
        'an answer older than a lease can name a holder whose hold ran out',
    );
  let resolved: ReturnType<typeof resolveOptions> | undefined;
  if (config && election) {
    try {
      resolved = resolveOptions({ store: storeOf(config, flags.kubeconfig), lock: election, identity: config.id });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems.map((p) => p.replace(/^lock:/, '--election:')));
    }
  }
  if (problems.length || !config || !resolved || !http) throw new ConfigError(problems, 'elect settings');
  return {
    election: election!,
    id: config.id,
    observe: flags.observe ?? false,
    http,
    store: resolved.settings!,
    kubeconfig: resolved.kubeconfig,
    timings: {
      leaseDurationMs: config.leaderElection.leaseDurationMs,
      renewDeadlineMs: config.leaderElection.renewDeadlineMs,
      retryPeriodMs: config.leaderElection.retryPeriodMs,
    },
    pollMs,
    staleAfterMs,
    config,
  };
}

/** A problem about a variable that was really given as a flag names the flag. */
function asFlag(problem: string, flags: ElectFlags): string {
  if (flags.id !== undefined) problem = problem.replace('(from HIGHLANDER_ID)', '(from --id)');
  if (flags.electionNamespace !== undefined)
    problem = problem.replace('(from HIGHLANDER_LEASE_NAMESPACE)', '(from --election-namespace)');
  return problem;
}

function duration(text: string | undefined, flag: string, fallback: number, problems: string[]): number {
  if (text === undefined) return fallback;
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) {
    problems.push(`${flag}: must be a positive duration such as 250ms or 1s (got ${JSON.stringify(text)})`);
    return 0;
  }
  return ms;
}
