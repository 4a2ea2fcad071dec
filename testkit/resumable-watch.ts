// A watch kept open for a whole test run: it resumes from the last resourceVersion whenever the
// server ends it, and reports each event with the moment it arrived.
import { Watch } from '@kubernetes/client-node';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';

/** A running watch: `opened` resolves once the server has answered the first request. */
export interface Watching {
  opened: Promise<void>;
  stop(): void;
}

/** Watches one collection for the whole run, resuming from the last resourceVersion if a watch ends. */
export function watchCollection(
  kc: KubeConfig,
  path: string,
  onEvent: (type: string, obj: KubernetesObject, at: number) => void,
  log?: (msg: string) => void,
): Watching {
  const watch = new Watch(kc);
  let markOpen = (): void => undefined;
  const opened = new Promise<void>((resolve) => (markOpen = resolve));
  let rv: string | undefined;
  let stopped = false;
  let ctl: AbortController | undefined;
  const open = async (): Promise<void> => {
    const c = await watch.watch(
      path,
      { allowWatchBookmarks: true, ...(rv ? { resourceVersion: rv } : {}) },
      (type: string, obj: KubernetesObject) => {
        const at = performance.now();
        if (type === 'ERROR') {
          rv = undefined; // 410 Gone: start over; ADDED replays are ignored (first sighting counts)
          return;
        }
        if (obj.metadata?.resourceVersion) rv = obj.metadata.resourceVersion;
        if (type !== 'BOOKMARK') onEvent(type, obj, at);
      },
      (err: unknown) => {
        if (stopped) return;
        if (err) log?.(`watch ${path} ended: ${err instanceof Error ? err.message : JSON.stringify(err)}; resuming`);
        reopen(err ? 500 : 0);
      },
    );
    ctl = c;
    markOpen();
    if (stopped) c.abort();
  };
  const reopen = (delayMs: number): void => {
    setTimeout(() => {
      open().catch((err: unknown) => {
        log?.(`watch ${path} could not start: ${String(err)}; retrying`);
        reopen(1000);
      });
    }, delayMs);
  };
  reopen(0);
  return {
    opened,
    stop() {
      stopped = true;
      ctl?.abort();
    },
  };
}
