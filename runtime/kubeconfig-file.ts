// Reads a kubeconfig file into the settings of its current context: the cluster's server and CA,
// the user's client certificate, token or password. Credentials that need a program or a proxy
// (exec plugins, auth-provider, proxy-url) are not handled here: the caller hands those files to
// client-node, which supports them all.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import YAML from 'yaml';
import { TokenFile } from './kube-access.ts';
import type { AccessSettings } from './kube-access.ts';

/** A kubeconfig's current context, or why it needs client-node. */
export type KubeconfigRead = { settings: AccessSettings } | { needsClientNode: string };

type Fields = Record<string, unknown>;

/** Parses kubeconfig `text` (from the file at `path`, against which relative paths resolve). */
export function readKubeconfig(path: string, text = readFileSync(path, 'utf8')): KubeconfigRead {
  const doc = (YAML.parse(text) ?? {}) as Fields;
  const at = (section: string, name: string | undefined, field: string): Fields | undefined => {
    const list = (doc[section] ?? []) as Fields[];
    const entry = list.find((e) => e.name === name);
    return entry?.[field] as Fields | undefined;
  };
  const contextName = doc['current-context'] as string | undefined;
  if (!contextName) throw new Error(`kubeconfig ${path}: current-context is not set`);
  const context = at('contexts', contextName, 'context');
  if (!context) throw new Error(`kubeconfig ${path}: current-context ${contextName} is not among its contexts`);
  const cluster = at('clusters', context.cluster as string, 'cluster');
  const server = cluster?.server;
  if (!cluster || typeof server !== 'string' || !server)
    throw new Error(`kubeconfig ${path}: context ${contextName}'s cluster ${String(context.cluster)} has no server`);
  const user = at('users', context.user as string, 'user') ?? {};
  for (const field of ['exec', 'auth-provider'] as const) if (user[field]) return { needsClientNode: `user.${field}` };
  if (cluster['proxy-url']) return { needsClientNode: 'cluster.proxy-url' };

  const file = (p: string): Buffer => readFileSync(isAbsolute(p) ? p : join(dirname(path), p));
  /** Inline base64 data, or the file it names. */
  const bytes = (from: Fields, field: string): Buffer | undefined => {
    const data = from[`${field}-data`];
    if (typeof data === 'string') return Buffer.from(data, 'base64');
    const name = from[field];
    return typeof name === 'string' ? file(name) : undefined;
  };
  const settings: AccessSettings = { server };
  const ca = bytes(cluster, 'certificate-authority');
  if (ca) settings.ca = ca;
  const cert = bytes(user, 'client-certificate');
  if (cert) settings.cert = cert;
  const key = bytes(user, 'client-key');
  if (key) settings.key = key;
  if (cluster['insecure-skip-tls-verify'] === true) settings.insecureSkipTLSVerify = true;
  if (typeof cluster['tls-server-name'] === 'string') settings.tlsServerName = cluster['tls-server-name'];
  if (typeof user.token === 'string') settings.token = user.token;
  else if (typeof user.tokenFile === 'string')
    settings.tokenFile = new TokenFile(
      isAbsolute(user.tokenFile) ? user.tokenFile : join(dirname(path), user.tokenFile),
    );
  else if (typeof user.username === 'string')
    settings.basic = { username: user.username, password: typeof user.password === 'string' ? user.password : '' };
  return { settings };
}
