// `highlander elect`'s HTTP port: the leader-elector sidecar's `{"name":"<leader>"}` on GET /,
// with the epoch and the lease's remaining time, and 503 with `name: null` whenever the answer
// cannot be vouched for; /healthz for the kubelet and /metrics for Prometheus.
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, Gauge, Registry } from 'prom-client';
import { configuredId } from '../election/identity.ts';
import type { Answer } from './leader-view.ts';

/** What the endpoint reads at each request. */
export interface ElectState {
  answer(): Answer;
  /** This process's holder identity; null when it only observes. */
  identity: string | null;
  isLeader(): boolean;
}

/** The body of GET /. `name` is the leader's configured id (its pod name), as the classic sidecar reports it. */
export interface LeaderBody {
  name: string | null;
  epoch: number;
  leaseRemainingMs: number | null;
  known: boolean;
  /** Why the leader is not known (only when `known` is false). */
  unknown?: string;
  error?: string;
  /** The holder's full identity in the store (the id plus a random suffix). */
  holder: string | null;
  /** How long ago the store was last heard from. */
  ageMs: number | null;
  identity: string | null;
  isLeader: boolean;
}

/** The answer as the HTTP body, with its status: 200 when known (even when nobody leads), else 503. */
export function leaderBody(s: ElectState): { status: number; body: LeaderBody } {
  const a = s.answer();
  const common = { identity: s.identity, ageMs: a.ageMs === null ? null : Math.round(a.ageMs) };
  if (!a.known) {
    const why = { unknown: a.reason, ...(a.error ? { error: a.error } : {}) };
    const body = { name: null, epoch: a.epoch, leaseRemainingMs: null, known: false, ...why };
    return { status: 503, body: { ...body, holder: null, ...common, isLeader: false } };
  }
  const name = a.holder === null ? null : configuredId(a.holder);
  const body = { name, epoch: a.epoch, leaseRemainingMs: a.leaseRemainingMs, known: true, holder: a.holder };
  // Leading is claimed only when the store's confirmed answer agrees with this process's own term.
  return { status: 200, body: { ...body, ...common, isLeader: a.holder === s.identity && s.isLeader() } };
}

/** The sidecar's metrics. */
export class ElectMetrics {
  readonly registry = new Registry();
  readonly readErrors = new Counter({
    name: 'highlander_elect_store_read_errors_total',
    help: 'Reads of the lock store that failed',
    registers: [this.registry],
  });
  readonly leaderChanges = new Counter({
    name: 'highlander_elect_leader_changes_total',
    help: 'Changes of the holder or epoch this process saw',
    registers: [this.registry],
  });
  readonly answers = new Counter({
    name: 'highlander_elect_answers_total',
    help: 'Answers given on /, by whether the leader was known',
    labelNames: ['known'],
    registers: [this.registry],
  });

  constructor(state: ElectState) {
    const gauge = (name: string, help: string, value: (a: Answer) => number): void => {
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.set(value(state.answer()));
        },
      });
    };
    gauge('highlander_elect_leader_known', '1 while the answer on / names the leader for certain', (a) =>
      a.known ? 1 : 0,
    );
    gauge('highlander_elect_epoch', 'Epoch of the latest grant seen', (a) => a.epoch);
    gauge('highlander_elect_lease_remaining_seconds', "Time the leader's hold has left (0 when unknown)", (a) =>
      a.known ? a.leaseRemainingMs / 1000 : 0,
    );
    gauge('highlander_elect_store_age_seconds', 'Time since the store was last heard from', (a) =>
      a.ageMs === null ? 0 : a.ageMs / 1000,
    );
    gauge('highlander_elect_is_leader', '1 while this process holds the lock', () => (state.isLeader() ? 1 : 0));
  }
}

function route(s: ElectState, metrics: ElectMetrics, req: IncomingMessage, res: ServerResponse): void {
  const path = new URL(req.url ?? '/', 'http://elect').pathname;
  const json = (status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  if (req.method !== 'GET' && req.method !== 'HEAD') return json(405, { error: 'only GET' });
  if (path === '/metrics') {
    metrics.registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      (err: unknown) => res.writeHead(500).end(String(err)),
    );
    return;
  }
  // Liveness only: a store outage is reported on /, and restarting the sidecar would not end it.
  if (path === '/healthz') return json(200, { ok: true });
  if (path !== '/') return json(404, { error: `no such path ${path}: GET / for the leader` });
  const { status, body } = leaderBody(s);
  metrics.answers.inc({ known: String(body.known) });
  json(status, body);
}

/** Serves the port on host:port (0: a free one); resolves once listening. */
export function serveElect(
  host: string,
  port: number,
  s: ElectState,
  metrics: ElectMetrics,
): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => route(s, metrics, req, res));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address();
      resolve({
        port: typeof address === 'object' && address ? address.port : port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
