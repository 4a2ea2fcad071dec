// `highlander await`'s status endpoint: 200 with the election's state in JSON on every path
// (k8s-await-election answered "running" on /), and Prometheus metrics on /metrics.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { Counter, Gauge, Registry } from 'prom-client';

/** The state the endpoint reports, read at each request. */
export interface AwaitState {
  name: string;
  lock: string;
  store: string;
  identity: string;
  isLeader: boolean;
  /** The holder last seen in the store, null when free or unknown. */
  leader: string | null;
  epoch: number;
  leaseRemainingMs: number | null;
  child: { pid: number | undefined; running: boolean } | null;
}

/** The counters `await` keeps. */
export class AwaitMetrics {
  readonly registry = new Registry();
  readonly terms = new Counter({
    name: 'highlander_await_terms_total',
    help: 'Terms of leadership this process won (each started the command)',
    registers: [this.registry],
  });
  readonly childExits = new Counter({
    name: 'highlander_await_child_exits_total',
    help: 'Runs of the command that ended, by why: on its own, the term ended, or shutdown',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly storeErrors = new Counter({
    name: 'highlander_await_store_errors_total',
    help: 'Lock store calls that failed',
    registers: [this.registry],
  });

  constructor(state: () => AwaitState) {
    const gauge = (name: string, help: string, value: (s: AwaitState) => number): void => {
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.set(value(state()));
        },
      });
    };
    gauge('highlander_await_is_leader', '1 while this process holds the lock', (s) => (s.isLeader ? 1 : 0));
    gauge('highlander_await_epoch', 'Epoch of the latest grant seen', (s) => s.epoch);
    gauge('highlander_await_child_running', '1 while the command runs', (s) => (s.child?.running ? 1 : 0));
    gauge(
      'highlander_await_lease_remaining_seconds',
      'Time the current hold has left, as this process knows it',
      (s) => (s.leaseRemainingMs === null ? 0 : s.leaseRemainingMs / 1000),
    );
  }
}

/** Serves the endpoint on host:port (0: a free port); resolves with the server and its port. */
export function serveStatus(
  host: string,
  port: number,
  state: () => AwaitState,
  metrics: AwaitMetrics,
): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://status').pathname;
    if (path === '/metrics') {
      metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
        (err: unknown) => res.writeHead(500).end(String(err)),
      );
      return;
    }
    const s = state();
    const body = {
      name: s.name,
      lock: s.lock,
      store: s.store,
      identity: s.identity,
      isLeader: s.isLeader,
      leader: s.leader,
      epoch: s.epoch,
      lease: { holder: s.leader, epoch: s.epoch, remainingMs: s.leaseRemainingMs },
      child: s.child,
    };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : port;
      resolve({
        server,
        port: bound,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
