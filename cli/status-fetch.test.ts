// `status` against real HTTP servers on loopback: today's app (/api/v1), and an older operator
// that served our shapes under /api only.
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { after, test } from 'node:test';
import express from 'express';
import { Registry } from 'prom-client';
import { createApp, listen } from '../server/http-server.ts';
import { fetchStatusReport } from './status.ts';

const servers: Server[] = [];
after(() => Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())))));

async function serve(app: express.Express): Promise<string> {
  const { server, port } = await listen(app, '127.0.0.1', 0);
  servers.push(server);
  return `http://127.0.0.1:${port}`;
}

const status = { isLeader: true, leaderID: 'a_1', epoch: 4, tenant: 't', uptime: '1m0s' };
const workloads = { api: { kind: 'WorkloadService', namespace: 'n', name: 'api', active: true, healthy: true } };
const dbinfo = { storageType: 'redis', lockName: 'highlander-leader-lock:t', reachable: true };

test('asks /api/v1 for our shapes, never the K8 Highlander routes of the same name', async () => {
  const url = await serve(
    createApp({
      metrics: new Registry(),
      ready: () => ({ ready: true, reasons: [] }),
      status: () => status,
      workloads: { all: () => workloads, find: () => ({ missing: true }) },
      dbinfo: () => dbinfo,
      failovers: () => [],
      compat: {
        status: () => ({ isLeader: false }),
        workloads: () => ({}),
        find: () => ({ missing: true }),
        dbinfo: () => ({ type: 'kubernetes', connected: false }),
      },
    }),
  );
  const { report, raw } = await fetchStatusReport(url, { timeoutMs: 5000 });
  assert.deepEqual(Object.keys(raw).sort(), [
    '/api/v1/dbinfo',
    '/api/v1/failovers',
    '/api/v1/status',
    '/api/v1/workloads',
    '/readyz',
  ]);
  assert.deepEqual([report.status.isLeader, report.status.epoch, report.status.tenant], [true, 4, 't']);
  assert.deepEqual([report.lockStore.storageType, report.lockStore.reachable], ['redis', true]);
  assert.deepEqual(
    report.workloads.map((w) => w.name),
    ['api'],
  );
  assert.deepEqual(report.failovers, []);
});

test('falls back to /api for an operator without /api/v1', async () => {
  const old = express();
  const ok = (data: unknown) => ({ status: 'success', data });
  old.get('/api/status', (_q, r) => void r.json(ok(status)));
  old.get('/api/workloads', (_q, r) => void r.json(ok(workloads)));
  old.get('/api/dbinfo', (_q, r) => void r.json(ok(dbinfo)));
  old.get('/readyz', (_q, r) => void r.json({ status: 'ready', reasons: [] }));
  old.use((_q, r) => void r.status(404).json({ status: 'error', error: 'no route' }));
  const { report, raw } = await fetchStatusReport(await serve(old), { timeoutMs: 5000 });
  assert.deepEqual(Object.keys(raw).sort(), [
    '/api/dbinfo',
    '/api/failovers',
    '/api/status',
    '/api/workloads',
    '/readyz',
  ]);
  assert.equal(raw['/api/failovers'], null);
  assert.deepEqual([report.status.epoch, report.lockStore.storageType, report.failovers], [4, 'redis', undefined]);
});
