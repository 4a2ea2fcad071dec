// Lists a collection as plain JSON, the same shape watch events have (client-node's typed
// list calls turn timestamps into Dates and drop each item's apiVersion and kind).
import { request } from 'node:https';
import type { RequestOptions } from 'node:https';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { ListOptions, ListResult } from './informer-options.ts';
import type { KubeAccess } from './kube-access.ts';

/** A list function for an {@link Informer} on `path` (e.g. `/api/v1/pods`). */
export function rawLister<T extends KubernetesObject>(kc: KubeAccess, path: string) {
  return async (opts: ListOptions): Promise<ListResult<T>> => {
    const server = kc.getCurrentCluster()?.server;
    if (!server) throw new Error('kubeconfig has no current cluster');
    const url = new URL(path, server);
    if (opts.labelSelector) url.searchParams.set('labelSelector', opts.labelSelector);
    const reqOpts: RequestOptions = { method: 'GET', headers: { Accept: 'application/json' } };
    await kc.applyToHTTPSOptions(reqOpts);
    const body = await new Promise<string>((resolve, reject) => {
      const req = request(url, { ...reqOpts, ...(opts.signal ? { signal: opts.signal } : {}) }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if ((res.statusCode ?? 0) >= 300)
            reject(
              Object.assign(new Error(`list ${path}: HTTP ${res.statusCode}: ${text.slice(0, 200)}`), {
                code: res.statusCode,
              }),
            );
          else resolve(text);
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
    const list = JSON.parse(body) as {
      apiVersion?: string;
      kind?: string;
      items?: T[];
      metadata?: { resourceVersion?: string };
    };
    const kind = list.kind?.replace(/List$/, '');
    return {
      items: (list.items ?? []).map((i) => ({ apiVersion: list.apiVersion, kind, ...i })),
      ...(list.metadata ? { metadata: list.metadata } : {}),
    };
  };
}
