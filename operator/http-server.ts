// The operator's HTTP surface. Served by every replica: it does not need leadership.
import type { Server } from 'node:http';
import express from 'express';
import type { Registry } from 'prom-client';

/** What the HTTP handlers read. */
export interface HttpDeps {
  metrics: Registry;
  /** Whether this replica can serve: lock store reachable and caches synced. */
  ready: () => { ready: boolean; reasons: string[] };
  /** K8 Highlander's /status data (leadership, cluster, workloads). */
  status?: () => Record<string, unknown>;
  /** Workloads keyed by name, and the lookup of one. */
  workloads?: {
    all(): Record<string, unknown>;
    find(name: string, namespace?: string): { found: unknown } | { ambiguous: string[] } | { missing: true };
  };
  /** The lock store, with secrets redacted. */
  dbinfo?: () => Record<string, unknown>;
  /** Everything above plus the redacted configuration. */
  debug?: () => Record<string, unknown>;
}

/** K8 Highlander's envelope: {"status":"success","data":…}. */
const ok = (data: unknown) => ({ status: 'success', data });

/** The express app with the health and metrics routes. */
export function createApp(deps: HttpDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', (_req, res) => {
    const r = deps.ready();
    res.status(r.ready ? 200 : 503).json({ status: r.ready ? 'ready' : 'not ready', reasons: r.reasons });
  });
  const { status, workloads, dbinfo, debug } = deps;
  if (status) {
    app.get(['/status', '/api/status'], (_req, res) => {
      res.json(ok(status()));
    });
  }
  if (workloads) {
    app.get('/api/workloads', (_req, res) => {
      res.json(ok(workloads.all()));
    });
    const one = (res: express.Response, name: string, namespace?: string): void => {
      const r = workloads.find(name, namespace);
      const where = namespace ? `${namespace}/${name}` : name;
      if ('found' in r) res.json(ok(r.found));
      else if ('ambiguous' in r) {
        res.status(409).json({
          status: 'error',
          error: `several workloads are named ${name} (${r.ambiguous.join(', ')}); use /api/workloads/<namespace>/<name>`,
        });
      } else res.status(404).json({ status: 'error', error: `workload ${where} not found` });
    };
    app.get('/api/workloads/:name', (req, res) => one(res, req.params.name));
    app.get('/api/workloads/:namespace/:name', (req, res) => one(res, req.params.name, req.params.namespace));
  }
  if (dbinfo) {
    app.get('/api/dbinfo', (_req, res) => {
      res.json(ok(dbinfo()));
    });
  }
  if (debug) {
    app.get('/debug/status', (_req, res) => {
      res.json(ok(debug()));
    });
  }
  app.get('/metrics', (_req, res, next) => {
    deps.metrics
      .metrics()
      .then((text) => res.type(deps.metrics.contentType).send(text))
      .catch(next);
  });
  return app;
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
