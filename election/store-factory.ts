// Builds the configured lock store: the one place that knows every backend.
import type { KubeConfig } from '@kubernetes/client-node';
import type { LockStore } from '../locks/lock-store.ts';
import type { HighlanderConfig } from '../config/config.ts';

/** The Lease's name for a tenant (one election per tenant). */
export const leaseName = (tenant: string): string => `highlander-leader-${tenant}`;

/**
 * Each store call's deadline: long enough for a slow store, short enough that a hung call
 * leaves the leader time to retry before its renew deadline.
 */
export function storeCallTimeoutMs(cfg: Pick<HighlanderConfig, 'leaderElection'>): number {
  return Math.min(5000, Math.max(250, Math.floor(cfg.leaderElection.renewDeadlineMs / 2)));
}

/**
 * Creates the store `cfg.storageType` names (the config has already checked its settings).
 * Only that store's client library is loaded: the Spanner client alone costs tens of MB.
 */
export async function createLockStore(
  cfg: HighlanderConfig,
  deps: { kubeConfig: () => KubeConfig },
): Promise<LockStore> {
  const timeoutMs = storeCallTimeoutMs(cfg);
  switch (cfg.storageType) {
    case 'kubernetes': {
      const { LeaseStore } = await import('../locks/lease/lease-store.ts');
      return new LeaseStore({
        kubeConfig: deps.kubeConfig(),
        namespace: cfg.leaderElection.leaseNamespace,
        lockName: leaseName(cfg.tenant),
        timeoutMs,
      });
    }
    case 'redis': {
      const { RedisStore } = await import('../locks/redis/redis-store.ts');
      return new RedisStore({ ...cfg.redis!, tenant: cfg.tenant, timeoutMs });
    }
    case 'db': {
      const { PostgresStore } = await import('../locks/postgres/postgres-store.ts');
      return new PostgresStore({ databaseURL: cfg.databaseURL!, tenant: cfg.tenant, timeoutMs });
    }
    case 'spanner': {
      const { SpannerStore } = await import('../locks/spanner/spanner-store.ts');
      return new SpannerStore({ ...cfg.spanner!, tenant: cfg.tenant, timeoutMs });
    }
  }
}
