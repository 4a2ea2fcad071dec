// The operator's HTTP surface. Served by every replica: it does not need leadership.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import express from 'express';
import type { Registry } from 'prom-client';
import { aborted } from '../runtime/abort.ts';
import type { Runnable } from '../runtime/manager.ts';
import type { EventHub, FailoverEntry } from './event-hub.ts';

/** A lookup of one workload: found, several by that name, or none. */
export type Lookup = { found: unknown } | { ambiguous: string[] } | { missing: true };

/** What the HTTP handlers read. */
export interface HttpDeps {
  metrics: Registry;
  /** Whether this replica can serve: lock store reachable and caches synced. */
  ready: () => { ready: boolean; reasons: string[] };
  /** K8 Highlander's answers at K8 Highlander's paths, in its shapes. */
  compat?: {
    /** /status and /api/status: its HealthStatus. */
    status(): unknown;
    /** /api/workloads: its four workload managers by key. */
    workloads(): Record<string, unknown>;
    /** /api/workloads/{name}: a manager by key, or one workload by name. */
    find(name: string): Lookup;
    /** /api/dbinfo: its DBInfo. */
    dbinfo(): unknown;
  };
  /** Our status (leadership, lease, cluster, workloads), at /api/v1/status. */
  status?: () => Record<string, unknown>;
  /** Our workloads keyed by name, and the lookup of one, under /api/v1/workloads. */
  workloads?: {
    all(): Record<string, unknown>;
    find(name: string, namespace?: string): Lookup;
  };
  /** The lock store, with secrets redacted, at /api/v1/dbinfo. */
  dbinfo?: () => Record<string, unknown>;
  /** Everything above plus the redacted configuration. */
  debug?: () => Record<string, unknown>;
  /** The live stream: changes from the hub, a snapshot on connect, and a periodic lease heartbeat. */
  events?: {
    hub: EventHub;
    snapshot: () => Record<string, unknown>;
    heartbeat: () => Record<string, unknown>;
    heartbeatMs?: number;
    /** At most this many open streams (default 64); more get 503. */
    maxClients?: number;
  };
  /** The managed pods, as K8 Highlander's /api/pods lists them. */
  pods?: () => unknown[];
  /** The failover timeline, newest first. */
  failovers?: () => FailoverEntry[];
  /** Planned handover; the route exists only when a token is configured. */
  handover?: {
    token: string;
    run: () => Promise<{ handedOver: true; epoch: number } | { handedOver: false; leader: string | null }>;
  };
  /** Serve the dashboard at `/`. */
  dashboard?: boolean;
}

const DASHBOARD_DIR = fileURLToPath(new URL('./dashboard/', import.meta.url));
/** The dashboard's files, all local: no CDN, nothing inline, so the CSP can forbid everything else. */
const DASHBOARD_FILES: Record<string, [file: string, type: string]> = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/dashboard.css': ['dashboard.css', 'text/css; charset=utf-8'],
  '/dashboard.js': ['dashboard.js', 'text/javascript; charset=utf-8'],
};
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Constant-time comparison of a presented bearer token with the configured one. */
export function tokenMatches(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** K8 Highlander's envelope: {"status":"success","data":…}. */
const ok = (data: unknown) => ({ status: 'success', data });

/** The express app: probes, K8 Highlander's routes and ours, live events, handover, dashboard, metrics. */
export function createApp(deps: HttpDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  probeRoutes(app, deps);
  jsonRoutes(app, deps);
  if (deps.events) eventStreamRoute(app, deps.events);
  if (deps.handover) handoverRoute(app, deps.handover);
  if (deps.dashboard) dashboardRoutes(app);
  app.get('/metrics', (_req, res, next) => {
    deps.metrics
      .metrics()
      .then((text) => res.type(deps.metrics.contentType).send(text))
      .catch(next);
  });
  // Unknown routes and failures answer in the API's JSON shape, not express's HTML pages.
  app.use((req, res) => {
    res.status(404).json({ status: 'error', error: `no route ${req.method} ${req.path}` });
  });
  const onError: express.ErrorRequestHandler = (err, _req, res, _next) => {
    res.status(500).json({ status: 'error', error: err instanceof Error ? err.message : String(err) });
  };
  app.use(onError);
  return app;
}

/** The liveness and readiness probes. */
function probeRoutes(app: express.Express, deps: HttpDeps): void {
  // Probes answer K8 Highlander's plain text ("ok", "not ready - <reasons>") unless JSON is asked for.
  app.get('/healthz', (_req, res) => {
    res.format({
      'text/plain': () => res.send('ok'),
      'application/json': () => res.json({ status: 'ok' }),
    });
  });
  app.get(['/readyz', '/health'], (_req, res) => {
    const r = deps.ready();
    res.status(r.ready ? 200 : 503).format({
      'text/plain': () => res.send(r.ready ? 'ok' : `not ready - ${r.reasons.join('; ')}`),
      'application/json': () => res.json({ status: r.ready ? 'ready' : 'not ready', reasons: r.reasons }),
    });
  });
}

/** The read-only JSON routes: K8 Highlander's shapes at its paths, ours under /api/v1. */
function jsonRoutes(app: express.Express, deps: HttpDeps): void {
  /** A read-only JSON route in the envelope, present only when its data source is. */
  const serve = (path: string | string[], data: (() => unknown) | undefined): void => {
    if (data) {
      app.get(path, (_req, res) => {
        res.json(ok(data()));
      });
    }
  };
  const { compat, workloads } = deps;
  if (compat) {
    serve(['/status', '/api/status'], () => compat.status());
    serve('/api/workloads', () => compat.workloads());
    serve('/api/workload-names', () => Object.keys(compat.workloads()));
    serve('/api/dbinfo', () => compat.dbinfo());
    // K8 Highlander's message for an unknown name, verbatim: its clients may match on it.
    app.get('/api/workloads/:name', (req, res) => {
      answerLookup(res, compat.find(req.params.name), req.params.name, 'workload not found');
    });
  }
  serve('/api/v1/status', deps.status);
  serve('/api/v1/dbinfo', deps.dbinfo);
  serve('/debug/status', deps.debug);
  serve(['/api/pods', '/api/v1/pods'], deps.pods);
  serve(['/api/failovers', '/api/v1/failovers'], deps.failovers);
  if (workloads) {
    serve('/api/v1/workloads', () => workloads.all());
    serve('/api/v1/workload-names', () => Object.keys(workloads.all()).sort());
    app.get('/api/v1/workloads/:name', (req, res) => {
      answerLookup(res, workloads.find(req.params.name), req.params.name, `workload ${req.params.name} not found`);
    });
    // The namespaced route is ours alone, so it keeps its older path too.
    const namespaced: express.RequestHandler<{ namespace: string; name: string }> = (req, res) => {
      const { namespace, name } = req.params;
      answerLookup(res, workloads.find(name, namespace), name, `workload ${namespace}/${name} not found`);
    };
    app.get('/api/v1/workloads/:namespace/:name', namespaced);
    app.get('/api/workloads/:namespace/:name', namespaced);
  }
}

/** Server-Sent Events: a snapshot, then every change and a lease heartbeat. */
function eventStreamRoute(app: express.Express, events: NonNullable<HttpDeps['events']>): void {
  let clients = 0;
  app.get(['/api/events', '/api/v1/events'], (req, res) => {
    if (clients >= (events.maxClients ?? 64)) {
      res.status(503).json({ status: 'error', error: 'too many open event streams' });
      return;
    }
    clients += 1;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    let id = 0;
    const send = (event: string, data: unknown): void => {
      id += 1;
      res.write(`id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    res.write('retry: 2000\n\n');
    send('snapshot', events.snapshot());
    const off = events.hub.subscribe((e) => send(e.type, e));
    const beat = setInterval(() => send('lease', events.heartbeat()), events.heartbeatMs ?? 1000);
    req.on('close', () => {
      clients -= 1;
      off();
      clearInterval(beat);
    });
  });
}

/** The planned handover, for a bearer of the configured token. */
function handoverRoute(app: express.Express, handover: NonNullable<HttpDeps['handover']>): void {
  app.post(['/api/leader/handover', '/api/v1/leader/handover'], (req, res, next) => {
    const auth = req.get('authorization');
    const presented = auth?.startsWith('Bearer ') ? auth.slice('Bearer '.length) : undefined;
    if (presented === undefined) {
      res
        .status(401)
        .set('WWW-Authenticate', 'Bearer')
        .json({ status: 'error', error: 'a bearer token is required (Authorization: Bearer <token>)' });
      return;
    }
    if (!tokenMatches(presented, handover.token)) {
      res.status(403).json({ status: 'error', error: 'the token does not match http.handoverToken' });
      return;
    }
    handover
      .run()
      .then((r) => {
        if (r.handedOver) res.json(ok({ handedOver: true, releasedEpoch: r.epoch }));
        else
          res.status(409).json({
            status: 'error',
            error: `this replica is not the leader${r.leader ? `; the leader is ${r.leader}` : ''}`,
            leader: r.leader,
          });
      })
      .catch(next);
  });
}

/** The dashboard's files, under the strict CSP. */
function dashboardRoutes(app: express.Express): void {
  for (const [route, [file, type]] of Object.entries(DASHBOARD_FILES)) {
    const body = readFileSync(`${DASHBOARD_DIR}${file}`);
    app.get(route, (_req, res) => {
      res.set({
        'Content-Type': type,
        'Content-Security-Policy': CSP,
        'X-Content-Type-Options': 'nosniff',
        'Referrer-Policy': 'no-referrer',
        'Cache-Control': 'no-cache',
      });
      res.send(body);
    });
  }
}

/** Answers a workload lookup: the entry, 409 naming the candidates, or 404 with `notFound`. */
function answerLookup(res: express.Response, r: Lookup, name: string, notFound: string): void {
  if ('found' in r) res.json(ok(r.found));
  else if ('ambiguous' in r) {
    res.status(409).json({
      status: 'error',
      error: `several workloads are named ${name} (${r.ambiguous.join(', ')}); use /api/v1/workloads/<namespace>/<name>`,
    });
  } else res.status(404).json({ status: 'error', error: notFound });
}

/**
 * Listens on host:port (port 0 picks a free one); resolves with the bound port and a manager
 * part that closes the server when the manager stops (it serves on every replica).
 */
export async function serveHttp(
  app: express.Express,
  host: string,
  port: number,
): Promise<{ port: number; runnable: Runnable }> {
  const { server, port: bound } = await listen(app, host, port);
  return {
    port: bound,
    runnable: {
      name: 'http',
      needsLeadership: false,
      async run({ signal }) {
        await aborted(signal);
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      },
    },
  };
}

/** Listens on host:port (port 0 picks a free one) and resolves with the bound port. */
export function listen(app: express.Express, host: string, port: number): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, (err?: Error) => {
      if (err) {
        reject(err);
        return;
      }
      const addr = server.address();
      resolve({ server, port: typeof addr === 'object' && addr ? addr.port : port });
    });
    server.on('error', reject);
  });
}
