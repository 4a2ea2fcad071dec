// The operator's HTTP surface. Served by every replica: it does not need leadership.
import type { Server } from 'node:http';
import express from 'express';
import type { Registry } from 'prom-client';

/** What the HTTP handlers read. */
export interface HttpDeps {
  metrics: Registry;
  /** Whether this replica can serve: lock store reachable (and, later, caches synced). */
  ready: () => { ready: boolean; reasons: string[] };
}

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
