// `highlander status`: asks a running operator for its view of the election, the lock store,
// its readiness, the workloads and the recent failovers, and prints a summary. Fetching is at
// the edge (fetchStatusReport); decoding and formatting are pure and unit-tested.
import { redactUrl } from '../runtime/redact.ts';
import { formatGoDuration } from '../runtime/duration.ts';
import type { FailoverEntry } from '../server/event-hub.ts';

/** Leadership and identity, from /api/v1/status (K8 Highlander's leadership fields plus ours). */
export interface StatusData {
  isLeader: boolean;
  leaderID: string;
  leaderSince: string | null;
  lastLeaderTransition: string | null;
  currentLeader: string;
  lastLeader: string;
  epoch: number | undefined;
  uptime: string;
  clusterName: string;
  tenant: string;
  storageType: string;
  failoverCount: number;
  leadershipTransitions: number;
}

/** One row of the workload table, from /api/v1/workloads. */
export interface WorkloadRow {
  kind: string;
  namespace: string;
  name: string;
  active: boolean;
  healthy: boolean;
  phase: string;
}

/** The lock store, from /api/v1/dbinfo. */
export interface LockStoreInfo {
  storageType: string;
  lockName: string;
  address: string;
  reachable: boolean | undefined;
  lastError: string;
}

/** Everything `status` shows. */
export interface StatusReport {
  url: string;
  status: StatusData;
  workloads: WorkloadRow[];
  lockStore: LockStoreInfo;
  ready: { ready: boolean; reasons: string[] };
  /** Undefined when the operator does not serve /api/failovers (older versions). */
  failovers: FailoverEntry[] | undefined;
}

/** The operator could not be asked (unreachable, timed out, or not a Highlander operator). */
export class StatusFetchError extends Error {
  override readonly name = 'StatusFetchError';
}

/** The URL `status` asks by default: the local operator on HIGHLANDER_PORT, else 8080. */
export function defaultStatusUrl(env: Record<string, string | undefined>): string {
  return `http://127.0.0.1:${env.HIGHLANDER_PORT || '8080'}`;
}

/** Raw answers of the routes, keyed by route, for --json. */
export type RawAnswers = Record<string, unknown>;

/** Fetches the five answers at once, each with its own timeout: ours from /api/v1, else from /api (older operators). */
export async function fetchStatusReport(
  url: string,
  opts: { timeoutMs: number; fetch?: typeof fetch },
): Promise<{ report: StatusReport; raw: RawAnswers }> {
  const base = url.replace(/\/+$/, '');
  const get = async (route: string, accept: (code: number) => boolean): Promise<{ code: number; body: unknown }> => {
    let res: Response;
    try {
      res = await (opts.fetch ?? fetch)(`${base}${route}`, {
        signal: AbortSignal.timeout(opts.timeoutMs),
        headers: { accept: 'application/json' },
      });
    } catch (err) {
      throw new StatusFetchError(`cannot reach the operator at ${base}: ${reason(err, opts.timeoutMs)}`);
    }
    if (!accept(res.status)) {
      throw new StatusFetchError(
        `${base}${route} answered ${res.status} ${res.statusText}; is ${base} a Highlander operator?`,
      );
    }
    if (res.status === 404) return { code: 404, body: undefined };
    try {
      const body: unknown = await res.json();
      return { code: res.status, body };
    } catch {
      throw new StatusFetchError(`${base}${route} did not answer with JSON; is ${base} a Highlander operator?`);
    }
  };
  const ok = (c: number) => c >= 200 && c < 300;
  // Our shapes live under /api/v1; an operator from before /api/v1 served them under /api.
  const ours = async (
    path: string,
    accept: (code: number) => boolean,
  ): Promise<{ route: string; code: number; body: unknown }> => {
    const v1 = await get(`/api/v1${path}`, (c) => accept(c) || c === 404);
    if (v1.code !== 404) return { route: `/api/v1${path}`, ...v1 };
    return { route: `/api${path}`, ...(await get(`/api${path}`, accept)) };
  };
  const [status, workloads, dbinfo, readyz, failovers] = await Promise.all([
    ours('/status', ok),
    ours('/workloads', ok),
    ours('/dbinfo', ok),
    get('/readyz', (c) => ok(c) || c === 503),
    ours('/failovers', (c) => ok(c) || c === 404),
  ]);
  const raw: RawAnswers = {
    [status.route]: status.body,
    [workloads.route]: workloads.body,
    [dbinfo.route]: dbinfo.body,
    '/readyz': readyz.body,
    [failovers.route]: failovers.code === 404 ? null : failovers.body,
  };
  return {
    raw,
    report: {
      url: base,
      status: decodeStatus(envelope(status.body)),
      workloads: decodeWorkloads(envelope(workloads.body)),
      lockStore: decodeLockStore(envelope(dbinfo.body)),
      ready: decodeReady(readyz.body, readyz.code),
      failovers: failovers.code === 404 ? undefined : decodeFailovers(envelope(failovers.body)),
    },
  };
}

function reason(err: unknown, timeoutMs: number): string {
  if (err instanceof DOMException && (err.name === 'TimeoutError' || err.name === 'AbortError'))
    return `no answer within ${timeoutMs} ms`;
  const cause = (err as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  if (cause?.code === 'ECONNREFUSED') return 'connection refused (is the operator running, and on this port?)';
  if (cause?.code) return `${cause.message ?? cause.code} (${cause.code})`;
  if (cause?.message) return cause.message;
  return err instanceof Error ? err.message : String(err);
}

// ---- decoding (pure, tolerant of older operators' missing fields) ----

/** K8 Highlander's {"status":"success","data":…} envelope. */
export function envelope(body: unknown): unknown {
  const b = obj(body);
  return 'data' in b ? b.data : body;
}

/** /api/v1/status data. */
export function decodeStatus(data: unknown): StatusData {
  const d = obj(data);
  return {
    isLeader: d.isLeader === true,
    leaderID: text(d.leaderID),
    leaderSince: typeof d.leaderSince === 'string' && d.leaderSince ? d.leaderSince : null,
    lastLeaderTransition:
      typeof d.lastLeaderTransition === 'string' && d.lastLeaderTransition ? d.lastLeaderTransition : null,
    currentLeader: text(d.currentLeader),
    lastLeader: text(d.lastLeader),
    epoch: typeof d.epoch === 'number' ? d.epoch : undefined,
    uptime: text(d.uptime),
    clusterName: text(d.clusterName),
    tenant: text(d.tenant),
    storageType: text(d.storageType),
    failoverCount: num(d.failoverCount),
    leadershipTransitions: num(d.leadershipTransitions),
  };
}

/** /api/v1/workloads data: workloads keyed by name, sorted by kind, namespace and name. */
export function decodeWorkloads(data: unknown): WorkloadRow[] {
  return Object.entries(obj(data))
    .map(([key, v]) => {
      const w = obj(v);
      return {
        kind: text(w.kind) || text(w.type),
        namespace: text(w.namespace),
        name: text(w.name) || key,
        active: w.active === true,
        healthy: w.healthy === true,
        phase: text(w.phase),
      };
    })
    .sort(
      (a, b) => a.kind.localeCompare(b.kind) || a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name),
    );
}

/** /api/v1/dbinfo data; an address that is a URL is shown without its password. */
export function decodeLockStore(data: unknown): LockStoreInfo {
  const d = obj(data);
  const address = text(d.address);
  return {
    storageType: text(d.storageType),
    lockName: text(d.lockName),
    address: address.includes('://') ? redactUrl(address) : address,
    reachable: typeof d.reachable === 'boolean' ? d.reachable : undefined,
    lastError: text(d.lastError),
  };
}

/** /readyz: {status, reasons} with 200 or 503. */
export function decodeReady(body: unknown, code: number): { ready: boolean; reasons: string[] } {
  const reasons = obj(body).reasons;
  return { ready: code >= 200 && code < 300, reasons: Array.isArray(reasons) ? reasons.map(String) : [] };
}

/** /api/v1/failovers data, newest first. */
export function decodeFailovers(data: unknown): FailoverEntry[] {
  if (!Array.isArray(data)) return [];
  return data
    .map(obj)
    .filter((f) => typeof f.epoch === 'number') // an entry without its epoch is not one of ours
    .map((f) => {
      const entry: FailoverEntry = {
        at: text(f.at),
        from: typeof f.from === 'string' && f.from ? f.from : null,
        to: text(f.to),
        epoch: f.epoch as number,
        durationMs: typeof f.durationMs === 'number' ? f.durationMs : null,
        observedBy: f.observedBy === 'self' ? 'self' : 'observed',
      };
      return entry;
    })
    .sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
}

// ---- formatting (pure) ----

/** How many failovers the summary lists. */
export const RECENT_FAILOVERS = 5;

/** The human summary, as lines; `now` (ms since the epoch) makes "ago" testable. */
export function formatStatus(r: StatusReport, now: number): string {
  const s = r.status;
  const lines: string[] = [`Highlander at ${r.url}`];
  const field = (label: string, value: string): void => {
    lines.push(`  ${label.padEnd(12)}${value}`);
  };
  field('replica', `${s.leaderID || '?'} (${s.isLeader ? 'LEADER' : 'follower'}), up ${s.uptime || '?'}`);
  field('leader', leaderLine(r, now));
  field('tenant', `${s.tenant || '?'}, cluster ${s.clusterName || '?'}`);
  field('lock store', lockLine(r.lockStore, s.storageType));
  field('ready', r.ready.ready ? 'yes' : `NO: ${r.ready.reasons.join('; ') || 'no reason given'}`);
  field(
    'history',
    `${plural(s.failoverCount, 'takeover')} from another leader, ${plural(s.leadershipTransitions, 'leadership transition')} (this replica)`,
  );

  lines.push('', `Workloads (${r.workloads.length})`);
  if (r.workloads.length === 0) lines.push('  none');
  else {
    lines.push(
      ...table([
        ['KIND', 'NAMESPACE/NAME', 'ACTIVE', 'HEALTHY', 'PHASE'],
        ...r.workloads.map((w) => [
          w.kind || '?',
          `${w.namespace}/${w.name}`,
          yesNo(w.active),
          yesNo(w.healthy),
          w.phase || '-',
        ]),
      ]),
    );
  }

  if (r.failovers === undefined) {
    lines.push('', 'Recent failovers: not served by this operator (/api/failovers answered 404)');
  } else {
    const recent = r.failovers.slice(0, RECENT_FAILOVERS);
    lines.push(
      '',
      `Recent failovers (${recent.length < r.failovers.length ? `${recent.length} of ${r.failovers.length}` : r.failovers.length})`,
    );
    if (recent.length === 0) lines.push('  none');
    else {
      lines.push(
        ...table([
          ['AT', 'FROM', 'TO', 'EPOCH', 'TOOK'],
          ...recent.map((f) => [
            `${f.at} (${ago(f.at, now)})`,
            f.from || '-',
            f.to || '-',
            String(f.epoch),
            duration(f.durationMs),
          ]),
        ]),
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

function leaderLine(r: StatusReport, now: number): string {
  const s = r.status;
  if (!s.currentLeader) return 'none known';
  const epoch = s.epoch === undefined ? '' : `, epoch ${s.epoch}`;
  // This replica knows when it took over; for another leader, the failover history may tell.
  const since = s.isLeader ? s.leaderSince : r.failovers?.find((f) => f.to === s.currentLeader)?.at;
  const self = s.currentLeader === s.leaderID ? ' (this replica)' : '';
  return `${s.currentLeader}${self}${epoch}${since ? `, since ${since} (${ago(since, now)})` : ''}`;
}

function lockLine(l: LockStoreInfo, fallbackType: string): string {
  const parts = [l.storageType || fallbackType || '?'];
  if (l.address) parts.push(`at ${l.address}`);
  if (l.lockName) parts.push(`lock ${l.lockName}`);
  const state =
    l.reachable === undefined
      ? 'reachability unknown'
      : l.reachable
        ? 'reachable'
        : `UNREACHABLE${l.lastError ? `: ${l.lastError}` : ''}`;
  return `${parts.join(' ')}, ${state}`;
}

/** "3m12s ago" from an ISO time. */
export function ago(iso: string, now: number): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return 'unknown time';
  const ms = now - t;
  return ms < 0 ? `in ${formatGoDuration(-ms)}` : `${formatGoDuration(ms)} ago`;
}

function duration(ms: number | null): string {
  if (ms === null) return '-';
  return ms < 1000 ? `${Math.round(ms)}ms` : `${(ms / 1000).toFixed(1)}s`;
}

const yesNo = (b: boolean): string => (b ? 'yes' : 'no');
const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;

/** Rows padded into columns, indented by two spaces. */
export function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => `  ${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')}`.trimEnd());
}

function obj(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function text(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}
