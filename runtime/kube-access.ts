// How a request reaches the API server: its address, and the TLS settings and credentials each
// request carries. client-node's KubeConfig has this shape too, so tests and the few kubeconfigs
// read below through client-node pass where ours does.
//
// Why not client-node's KubeConfig for everything: importing it loads every generated API class
// and model (about 80 MB of resident memory, and part of a second at start-up) for a process that
// only ever needs an address, a CA, a client certificate or a token.
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import type { RequestOptions } from 'node:https';

/** The API server a {@link KubeAccess} reaches. */
export interface KubeCluster {
  /** e.g. https://127.0.0.1:6443 */
  server: string;
}

/** Everything a request to the API server needs. */
export interface KubeAccess {
  /** The server requests go to (null: the kubeconfig names no current cluster). */
  getCurrentCluster(): KubeCluster | null;
  /** Sets the CA, client certificate, TLS verification and Authorization header of one request. */
  applyToHTTPSOptions(opts: RequestOptions): Promise<void>;
}

/** Where a pod's service-account credentials are mounted. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** A file-backed bearer token, read again at most once a minute (kubelet rotates bound tokens). */
export class TokenFile {
  #token: string | undefined;
  #readAt = -Infinity;
  constructor(readonly path: string) {}

  async token(): Promise<string> {
    if (this.#token === undefined || performance.now() - this.#readAt > 60_000) {
      this.#token = (await readFile(this.path, 'utf8')).trim();
      this.#readAt = performance.now();
    }
    return this.#token;
  }
}

/** TLS settings and credentials of one cluster and user. */
export interface AccessSettings {
  server: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  insecureSkipTLSVerify?: boolean;
  tlsServerName?: string;
  token?: string;
  tokenFile?: TokenFile;
  basic?: { username: string; password: string };
}

/** A {@link KubeAccess} with fixed settings. */
export class StaticAccess implements KubeAccess {
  constructor(readonly settings: AccessSettings) {}

  getCurrentCluster(): KubeCluster {
    return { server: this.settings.server };
  }

  async applyToHTTPSOptions(opts: RequestOptions): Promise<void> {
    const s = this.settings;
    if (s.ca) opts.ca = s.ca;
    if (s.cert) opts.cert = s.cert;
    if (s.key) opts.key = s.key;
    if (s.tlsServerName) opts.servername = s.tlsServerName;
    opts.rejectUnauthorized = !s.insecureSkipTLSVerify;
    const token = s.tokenFile ? await s.tokenFile.token() : s.token;
    const authorization = token
      ? `Bearer ${token}`
      : s.basic
        ? `Basic ${Buffer.from(`${s.basic.username}:${s.basic.password}`).toString('base64')}`
        : undefined;
    if (authorization) opts.headers = { ...opts.headers, Authorization: authorization };
  }
}

/**
 * The pod's own service account, as client-go's rest.InClusterConfig finds it: the server from
 * KUBERNETES_SERVICE_HOST and _PORT, the CA and the token from the mounted files.
 */
export function inClusterAccess(dir = SERVICE_ACCOUNT_DIR, env = process.env): StaticAccess {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port)
    throw new Error(
      'no kubeconfig given and not in a pod (KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are unset): set --kubeconfig, cluster.kubeconfig or HIGHLANDER_KUBECONFIG',
    );
  return new StaticAccess({
    server: `https://${isIPv6(host) ? `[${host}]` : host}:${port}`,
    ca: readFileSync(`${dir}/ca.crt`),
    tokenFile: new TokenFile(`${dir}/token`),
  });
}
