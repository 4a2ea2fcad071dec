// Unit tests for the e2e helpers that need no cluster.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { clusterVersions, loadKubeConfig, waitFor } from './kube.ts';

test('waitFor returns the first defined value', async () => {
  let calls = 0;
  const v = await waitFor(() => Promise.resolve(++calls >= 3 ? calls : undefined), {
    what: 'three calls',
    intervalMs: 1,
  });
  assert.equal(v, 3);
});

test('waitFor times out naming what it waited for and the last error', async () => {
  await assert.rejects(
    waitFor(() => Promise.reject(new Error('boom')), { what: 'the impossible', timeoutMs: 20, intervalMs: 5 }),
    /waiting for the impossible: last error: boom/,
  );
});

test('loadKubeConfig refuses a server that is not on 127.0.0.1', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hl-kc-'));
  const path = join(dir, 'kubeconfig');
  writeFileSync(
    path,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{name: c, cluster: {server: "https://10.0.0.1:6443"}}]',
      'users: [{name: u, user: {token: t}}]',
      'contexts: [{name: x, context: {cluster: c, user: u}}]',
      'current-context: x',
    ].join('\n'),
  );
  assert.throws(() => loadKubeConfig(path), /points at https:\/\/10\.0\.0\.1:6443; tests use 127\.0\.0\.1 only/);
  assert.throws(() => loadKubeConfig(join(dir, 'missing')), /run `make cluster-up` first/);
});

test('clusterVersions reads the pinned versions', () => {
  const v = clusterVersions();
  assert.match(v.K8S_VERSION ?? '', /^1\.(3[3-9]|[4-9]\d)\.\d+$/);
  assert.match(v.ETCD_VERSION ?? '', /^3\.5\.\d+$/);
});
