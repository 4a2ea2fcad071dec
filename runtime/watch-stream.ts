// One watch request: GET ?watch=true, and a callback per event line the API server streams.
// The contract is client-node's Watch.watch (the informer, the fence and the Lease store were
// written against it): resolves once the server has answered, with a handle that ends the watch;
// `onDone` is called exactly once, with null when the server closed the stream and with the
// error otherwise (an error with `statusCode` when the answer was not 200).
import { request } from 'node:https';
import type { RequestOptions } from 'node:https';
import { STATUS_CODES } from 'node:http';
import { AgentPool } from './agent-pool.ts';
import type { KubeAccess } from './kube-access.ts';

// Watches end every few minutes (the server's timeout) and start again at once: keeping their
// connections alive saves a TLS handshake each time.
const agents = new AgentPool();

/** Starts watching `path` (a collection) with `query`. */
export async function watchStream(
  access: KubeAccess,
  path: string,
  query: Record<string, string | number | boolean | undefined>,
  onEvent: (type: string, obj: unknown) => void,
  onDone: (err: unknown) => void,
): Promise<{ abort(): void }> {
  const server = access.getCurrentCluster()?.server;
  if (!server) throw new Error('kubeconfig has no current cluster');
  const url = new URL(path, server);
  url.searchParams.set('watch', 'true');
  for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
  const opts: RequestOptions = { method: 'GET', headers: { Accept: 'application/json' } };
  await access.applyToHTTPSOptions(opts);
  opts.agent = agents.for(opts);
  const controller = new AbortController();
  let done = false;
  const finish = (err: unknown): void => {
    if (done) return;
    done = true;
    controller.abort();
    onDone(err);
  };
  await new Promise<void>((answered) => {
    const req = request(url, { ...opts, signal: controller.signal }, (res) => {
      answered();
      if (res.statusCode !== 200) {
        res.resume();
        const status = res.statusCode ?? 0;
        finish(Object.assign(new Error(STATUS_CODES[status] ?? `HTTP ${status}`), { statusCode: status }));
        return;
      }
      // A silent watch on a dead connection is found by the informer's watchdog; probes help
      // the kernel notice sooner.
      res.socket.setKeepAlive(true, 30_000);
      res.setEncoding('utf8');
      let partial = '';
      // A callback that throws ends the watch with its error (the caller starts another).
      const deliverAll = (lines: string[]): void => {
        try {
          for (const line of lines) deliver(line, onEvent);
        } catch (err) {
          finish(err);
        }
      };
      res.on('data', (chunk: string) => {
        if (done) return;
        const lines = (partial + chunk).split('\n');
        partial = lines.pop()!;
        deliverAll(lines);
      });
      res.on('end', () => {
        if (!done) deliverAll([partial]);
        finish(null);
      });
      res.on('error', finish);
      res.on('close', () => finish(null));
    });
    req.on('error', (err) => {
      answered();
      finish(err);
    });
    req.end();
  });
  return controller;
}

/** Hands one event line to `onEvent`; a line that is not an event is skipped, as client-node does. */
function deliver(line: string, onEvent: (type: string, obj: unknown) => void): void {
  if (!line.trim()) return;
  let event: { type?: unknown; object?: unknown };
  try {
    event = JSON.parse(line) as typeof event;
  } catch {
    return;
  }
  onEvent(String(event.type), event.object);
}
