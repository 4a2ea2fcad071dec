// Builds the configured lock store: the one place that knows every backend.
import type { KubeConfig } from '@kubernetes/client-node';
import { LeaseStore } from '../locks/lease/lease-store.ts';
import type { LockStore } from '../locks/lock-store.ts';
import { PostgresStore } from '../locks/postgres/postgres-store.ts';
import { RedisStore } from '../locks/redis/redis-store.ts';
import { SpannerStore } from '../locks/spanner/spanner-store.ts';
import type { HighlanderConfig } from './config.ts';

/** The Lease's name for a tenant (one election per tenant). */
export const leaseName = (tenant: string): string => `highlander-leader-${tenant}`;

/**
 * Each store call's deadline: long enough for a slow store, short enough that a hung call
 * leaves the leader time to retry before its renew deadline.
 */
export function storeCallTimeoutMs(cfg: Pick<HighlanderConfig, 'leaderElection'>): number {
  return Math.min(5000, Math.max(250, Math.floor(cfg.leaderElection.renewDeadlineMs / 2)));
}

/** Creates the store `cfg.storageType` names (the config has already checked its settings). */
export function createLockStore(cfg: HighlanderConfig, deps: { kubeConfig: () => KubeConfig }): LockStore {
  const timeoutMs = storeCallTimeoutMs(cfg);
  switch (cfg.storageType) {
    case 'kubernetes':
      return new LeaseStore({
        kubeConfig: deps.kubeConfig(),
        namespace: cfg.leaderElection.leaseNamespace,
        lockName: leaseName(cfg.tenant),
        timeoutMs,
      });
    case 'redis':
      return new RedisStore({ ...cfg.redis!, tenant: cfg.tenant, timeoutMs });
    case 'db':
      return new PostgresStore({ databaseURL: cfg.databaseURL!, tenant: cfg.tenant, timeoutMs });
    case 'spanner':
      return new SpannerStore({ ...cfg.spanner!, tenant: cfg.tenant, timeoutMs });
  }
}
