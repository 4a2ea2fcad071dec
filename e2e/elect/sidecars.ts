// Real `highlander elect` processes for the e2e test, each reaching the store through a Toxiproxy
// proxy of its own; a sampler of their answers on GET /; and the store's own holder, read directly
// (no proxy) as the truth the answers are checked against.
import { resolveOptions } from '../../app-election/options.ts';
import type { StoreOptions } from '../../app-election/options.ts';
import { createLockStore } from '../../election/store-factory.ts';
import type { Backend, LockStore } from '../../locks/lock-store.ts';
import { loadKubeConfig } from '../../runtime/kubeconfig.ts';
import { FAST_TIMINGS, STARTUP_MS, operatorEnv } from '../../testkit/backends.ts';
import { kubeconfigPath, repoRoot } from '../../testkit/kube.ts';
import { OperatorProcess } from '../../testkit/operator-process.ts';
import { loadServicesEnv, useSpannerEmulator } from '../../testkit/services.ts';
import type { Toxiproxy } from '../../testkit/toxiproxy.ts';
import { storeRoute } from '../await/candidates.ts';

/** One answer of a sidecar: when it was asked and answered, and what it said (status 0: no answer). */
export interface Sample {
  sent: number;
  got: number;
  status: number;
  holder: string | null;
  name: string | null;
  epoch: number;
  unknown?: string;
}

/** One run of one sidecar slot (a, b, c): the process, its port, and everything it answered. */
export interface Sidecar {
  slot: string;
  process: OperatorProcess;
  port: number;
  listeningAt: number;
  /** When the test signalled it or cut its store: from then on it is not held to follow changes. */
  offAt?: number;
  samples: Sample[];
  stopSampling(): Promise<void>;
}

/** Starts `highlander elect` for `slot` through proxy `proxy` (made once per slot) and samples it every 20 ms. */
export async function startSidecar(o: {
  tox: Toxiproxy;
  backend: Backend;
  election: string;
  slot: string;
  dir: string;
  proxies: Map<string, string>;
}): Promise<Sidecar> {
  const route = storeRoute(o.backend, o.dir, o.slot);
  let listen = o.proxies.get(o.slot);
  if (!listen) {
    const p = await o.tox.createProxy(`elect-${o.backend}-${o.slot}-${o.election}`.slice(0, 63), route.upstream);
    o.proxies.set(o.slot, (listen = p.listen));
    o.proxies.set(`${o.slot}:name`, p.name);
  }
  const env = operatorEnv(o.backend, o.election, FAST_TIMINGS, route.env(listen));
  const args = ['elect', '--election', o.election, '--http', '127.0.0.1:0', '--id', o.slot];
  const p = new OperatorProcess(o.slot, env, [], [process.execPath, `${repoRoot}bin/highlander.js`, ...args], {
    detached: true,
  });
  const line = await p.waitForLog((l) => l.msg === 'elect listening', STARTUP_MS);
  const s: Sidecar = {
    slot: o.slot,
    process: p,
    port: line.port as number,
    listeningAt: Date.now(),
    samples: [],
    stopSampling: () => Promise.resolve(),
  };
  let on = true;
  const loop = (async () => {
    while (on) {
      s.samples.push(await ask(s.port));
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  s.stopSampling = async () => {
    on = false;
    await loop;
  };
  return s;
}

async function ask(port: number): Promise<Sample> {
  const sent = Date.now();
  try {
    const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1000) });
    const b = (await res.json()) as { holder: string | null; name: string | null; epoch: number; unknown?: string };
    const got = Date.now();
    return { sent, got, status: res.status, holder: b.holder, name: b.name, epoch: b.epoch, unknown: b.unknown };
  } catch {
    return { sent, got: Date.now(), status: 0, holder: null, name: null, epoch: -1 };
  }
}

/** One read of the store by the test itself: its holder between `sent` and `got`. */
export interface Truth {
  sent: number;
  got: number;
  holder: string | null;
  epoch: number;
}

/** Opens the store directly (no proxy) and reads the lock every 20 ms until stopped. */
export async function readTruth(
  backend: Backend,
  election: string,
): Promise<{ reads: Truth[]; stop(): Promise<void> }> {
  const s = loadServicesEnv();
  if (backend === 'spanner') useSpannerEmulator(s);
  const { leaseMs, renewDeadlineMs, retryMs } = FAST_TIMINGS;
  const options: Record<Backend, StoreOptions> = {
    kubernetes: { type: 'kubernetes', namespace: 'default', kubeconfig: kubeconfigPath },
    redis: { type: 'redis', addr: s.redisAddr },
    db: { type: 'postgres', url: s.databaseUrl },
    spanner: {
      type: 'spanner',
      projectID: s.spanner.projectId,
      instanceID: s.spanner.instanceId,
      databaseID: s.spanner.databaseId,
      emulatorHost: s.spanner.emulatorHost,
    },
  };
  const timings = { leaseDuration: leaseMs, renewDeadline: renewDeadlineMs, retryPeriod: retryMs };
  const r = resolveOptions({ store: options[backend], lock: election, timings });
  const store: LockStore = await createLockStore(r.settings!, { kubeConfig: () => loadKubeConfig(r.kubeconfig) });
  const reads: Truth[] = [];
  let on = true;
  const loop = (async () => {
    while (on) {
      const sent = Date.now();
      try {
        const st = await store.read();
        reads.push({ sent, got: Date.now(), holder: st.holder, epoch: st.epoch });
      } catch {
        // A missed read only leaves a gap; the checks look at the reads that succeeded.
      }
      await new Promise((res) => setTimeout(res, 20));
    }
  })();
  return {
    reads,
    stop: async () => {
      on = false;
      await loop;
      await store.close();
    },
  };
}
