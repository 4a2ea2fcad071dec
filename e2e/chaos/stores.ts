// The lock store of a chaos run, and how a round restarts it: the Lease is deleted (its epoch
// starts again at 1); a Redis without persistence is restarted empty (its epoch counter is lost);
// the shared PostgreSQL is frozen, then restarted (every connection drops); the Spanner emulator
// is frozen for longer than the lease (restarting it would lose its instance and database).
import { CoordinationV1Api } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Backend } from '../../locks/lock-store.ts';
import { repoRoot } from '../../testkit/kube.ts';
import { startRedis } from '../../testkit/redis-server.ts';
import { loadServicesEnv } from '../../testkit/services.ts';
import { frozenServer, sharedPostgres } from '../../testkit/store-control.ts';
import type { StoreEnv } from './replicas.ts';
import { CHAOS_TIMINGS } from './replicas.ts';

/** A chaos run's store. */
export interface ChaosStore {
  backend: Backend;
  /** host:port of the store, or undefined when it is the API server (the Lease). */
  upstream: string | undefined;
  /** The operator settings that reach the store through a proxy listening at `listen`. */
  env: StoreEnv;
  /** What `restart` does, for the report. */
  restartKind: string;
  restart(): Promise<void>;
  cleanup(): Promise<void>;
}

/** Sets up `backend` for tenant `tenant`. */
export async function chaosStore(backend: Backend, kc: KubeConfig, tenant: string): Promise<ChaosStore> {
  const outage = CHAOS_TIMINGS.leaseMs + 1000;
  switch (backend) {
    case 'kubernetes': {
      const leases = kc.makeApiClient(CoordinationV1Api);
      return {
        backend,
        upstream: undefined,
        env: () => ({}),
        restartKind: 'Lease deleted',
        async restart() {
          await leases
            .deleteNamespacedLease({ name: `highlander-leader-${tenant}`, namespace: 'default' })
            .catch(() => undefined);
        },
        cleanup: () => Promise.resolve(),
      };
    }
    case 'redis': {
      const redis = await startRedis({ persist: false });
      return {
        backend,
        upstream: redis.addr,
        env: (listen) => ({ HIGHLANDER_REDIS_ADDR: listen }),
        restartKind: 'Redis restarted without persistence',
        async restart() {
          await redis.stop();
          await redis.start();
        },
        cleanup: redis.cleanup,
      };
    }
    case 'db': {
      const url = new URL(loadServicesEnv().databaseUrl);
      const pg = sharedPostgres();
      return {
        backend,
        upstream: `${url.hostname}:${url.port}`,
        env: (listen) => {
          const u = new URL(url);
          u.host = listen;
          return { HIGHLANDER_DATABASE_URL: u.toString() };
        },
        restartKind: 'PostgreSQL frozen, then restarted',
        async restart() {
          await pg.stop();
          await sleep(outage);
          await pg.start();
        },
        cleanup: () => pg.cleanup(),
      };
    }
    case 'spanner': {
      const emulator = frozenServer(`${repoRoot}.cluster/services/spanner.pid`);
      return {
        backend,
        upstream: loadServicesEnv().spanner.emulatorHost,
        env: (listen) => ({ SPANNER_EMULATOR_HOST: listen }),
        restartKind: 'Spanner emulator frozen',
        async restart() {
          await emulator.stop();
          await sleep(outage);
          await emulator.start();
        },
        cleanup: () => emulator.cleanup(),
      };
    }
  }
}
