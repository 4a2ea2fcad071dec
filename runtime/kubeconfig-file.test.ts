import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { RequestOptions } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import YAML from 'yaml';
import { StaticAccess, inClusterAccess } from './kube-access.ts';
import { readKubeconfig } from './kubeconfig-file.ts';

const dir = mkdtempSync(join(tmpdir(), 'hl-kubeconfig-'));

/** A kubeconfig with one context, `user` and `cluster` merged over a minimal one. */
function kubeconfig(user: Record<string, unknown>, cluster: Record<string, unknown> = {}): string {
  const path = join(dir, `config-${Math.random().toString(36).slice(2)}`);
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': 'dev',
    contexts: [
      { name: 'other', context: { cluster: 'nowhere', user: 'nobody' } },
      { name: 'dev', context: { cluster: 'local', user: 'me' } },
    ],
    clusters: [{ name: 'local', cluster: { server: 'https://127.0.0.1:6443', ...cluster } }],
    users: [{ name: 'me', user }],
  };
  writeFileSync(path, YAML.stringify(doc));
  return path;
}

const settingsOf = (path: string) => {
  const read = readKubeconfig(path);
  assert.ok('settings' in read, JSON.stringify(read));
  return read.settings;
};

test('inline certificate data is decoded; the current context picks the cluster and the user', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const s = settingsOf(
    kubeconfig(
      { 'client-certificate-data': b64('CERT'), 'client-key-data': b64('KEY') },
      { 'certificate-authority-data': b64('CA'), 'tls-server-name': 'kubernetes' },
    ),
  );
  assert.deepEqual(
    [s.server, s.ca?.toString(), s.cert?.toString(), s.key?.toString(), s.tlsServerName],
    ['https://127.0.0.1:6443', 'CA', 'CERT', 'KEY', 'kubernetes'],
  );
});

test('file paths are read relative to the kubeconfig', () => {
  writeFileSync(join(dir, 'ca.crt'), 'CA FROM FILE');
  const s = settingsOf(kubeconfig({ token: 't0k' }, { 'certificate-authority': 'ca.crt' }));
  assert.equal(s.ca?.toString(), 'CA FROM FILE');
  assert.equal(s.token, 't0k');
});

test('a token, a token file or a password becomes the Authorization header', async () => {
  writeFileSync(join(dir, 'token'), 'from-file\n');
  const header = async (user: Record<string, unknown>, cluster?: Record<string, unknown>) => {
    const opts: RequestOptions = {};
    await new StaticAccess(settingsOf(kubeconfig(user, cluster))).applyToHTTPSOptions(opts);
    return [(opts.headers as Record<string, string> | undefined)?.Authorization, opts.rejectUnauthorized];
  };
  assert.deepEqual(await header({ token: 'abc' }), ['Bearer abc', true]);
  assert.deepEqual(await header({ tokenFile: 'token' }), ['Bearer from-file', true]);
  assert.deepEqual(await header({ username: 'u', password: 'p' }, { 'insecure-skip-tls-verify': true }), [
    `Basic ${Buffer.from('u:p').toString('base64')}`,
    false,
  ]);
});

test('exec plugins, auth providers and proxies are left to client-node', () => {
  assert.deepEqual(readKubeconfig(kubeconfig({ exec: { command: 'aws' } })), { needsClientNode: 'user.exec' });
  assert.deepEqual(readKubeconfig(kubeconfig({ 'auth-provider': { name: 'oidc' } })), {
    needsClientNode: 'user.auth-provider',
  });
  assert.deepEqual(readKubeconfig(kubeconfig({}, { 'proxy-url': 'http://127.0.0.1:3128' })), {
    needsClientNode: 'cluster.proxy-url',
  });
});

test('a kubeconfig without a usable current context says what is missing', () => {
  const path = join(dir, 'broken');
  writeFileSync(path, YAML.stringify({ 'current-context': 'gone', contexts: [] }));
  assert.throws(() => readKubeconfig(path), /current-context gone is not among its contexts/);
  writeFileSync(path, YAML.stringify({ contexts: [] }));
  assert.throws(() => readKubeconfig(path), /current-context is not set/);
  const noServer = kubeconfig({}, { server: '' });
  assert.throws(() => readKubeconfig(noServer), /context dev's cluster local has no server/);
});

test('in a pod: the server from KUBERNETES_SERVICE_*, the mounted CA and token (IPv6 in brackets)', async () => {
  const sa = mkdtempSync(join(tmpdir(), 'hl-sa-'));
  writeFileSync(join(sa, 'ca.crt'), 'POD CA');
  writeFileSync(join(sa, 'token'), 'pod-token');
  const access = inClusterAccess(sa, { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' });
  assert.equal(access.getCurrentCluster().server, 'https://[fd00::1]:443');
  const opts: RequestOptions = {};
  await access.applyToHTTPSOptions(opts);
  const headers = opts.headers as Record<string, string>;
  assert.deepEqual([String(opts.ca), headers.Authorization], ['POD CA', 'Bearer pod-token']);
  assert.throws(() => inClusterAccess(sa, {}), /KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are unset/);
});
