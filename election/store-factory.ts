// Builds the configured lock store: the one place that knows every backend.
import type { Backend, LockStore } from '../locks/lock-store.ts';
import type { LeaderTimings } from './timings.ts';
import type { KubeAccess } from '../runtime/kube-access.ts';

/** Redis lock-store settings. */
export interface RedisSettings {
  addr: string;
  username?: string;
  password?: string;
  db: number;
  tls: boolean;
}

/** Cloud Spanner lock-store settings. */
export interface SpannerSettings {
  projectID: string;
  instanceID: string;
  databaseID: string;
  /** host:port of the emulator (SPANNER_EMULATOR_HOST), for tests and local runs. */
  emulatorHost?: string;
}

/** Which store to open and how (the config file's settings, already checked). */
export interface StoreSettings {
  storageType: Backend;
  /** One lock per tenant. */
  tenant: string;
  /**
   * The Lease's name, when it is not `highlander-leader-<tenant>`: an application's election
   * names its Lease itself (k8s-await-election's LOCK_NAME).
   */
  leaseName?: string;
  redis?: RedisSettings;
  databaseURL?: string;
  spanner?: SpannerSettings;
  leaderElection: LeaderTimings & { leaseNamespace: string };
}

/** The Lease's name for a tenant (one election per tenant). */
export const leaseName = (tenant: string): string => `highlander-leader-${tenant}`;

/**
 * Each store call's deadline: long enough for a slow store, short enough that a hung call
 * leaves the leader time to retry before its renew deadline.
 */
export function storeCallTimeoutMs(s: Pick<StoreSettings, 'leaderElection'>): number {
  return Math.min(5000, Math.max(250, Math.floor(s.leaderElection.renewDeadlineMs / 2)));
}

/**
 * Creates the store `s.storageType` names. Only that store's client library is loaded: the
 * Spanner client alone costs tens of MB.
 */
export async function createLockStore(
  s: StoreSettings,
  deps: {
    kubeConfig: () => KubeAccess | Promise<KubeAccess>;
    /** Labels a Lease lock carries. */ leaseLabels?: Record<string, string>;
  },
): Promise<LockStore> {
  const timeoutMs = storeCallTimeoutMs(s);
  const need = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new Error(`storageType ${s.storageType} needs ${what}`);
    return v;
  };
  switch (s.storageType) {
    case 'kubernetes': {
      const { LeaseStore } = await import('../locks/lease/lease-store.ts');
      return new LeaseStore({
        kubeConfig: await deps.kubeConfig(),
        namespace: s.leaderElection.leaseNamespace,
        lockName: s.leaseName ?? leaseName(s.tenant),
        timeoutMs,
        ...(deps.leaseLabels ? { labels: deps.leaseLabels } : {}),
      });
    }
    case 'redis': {
      const { RedisStore } = await import('../locks/redis/redis-store.ts');
      return new RedisStore({ ...need(s.redis, 'redis settings'), tenant: s.tenant, timeoutMs });
    }
    case 'db': {
      const { PostgresStore } = await import('../locks/postgres/postgres-store.ts');
      return new PostgresStore({ databaseURL: need(s.databaseURL, 'databaseURL'), tenant: s.tenant, timeoutMs });
    }
    case 'spanner': {
      const { SpannerStore } = await import('../locks/spanner/spanner-store.ts');
      return new SpannerStore({ ...need(s.spanner, 'spanner settings'), tenant: s.tenant, timeoutMs });
    }
  }
}
