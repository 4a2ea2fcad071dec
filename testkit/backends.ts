// Environment for running `highlander run` against each real lock store in tests.
import { randomUUID } from 'node:crypto';
import type { Backend } from '../locks/lock-store.ts';
import { kubeconfigPath } from './kube.ts';
import { loadServicesEnv } from './services.ts';

/** Every lock-store backend, in the order tests run them. */
export const BACKENDS: readonly Backend[] = ['kubernetes', 'redis', 'db', 'spanner'];

/**
 * How long a fresh operator process may take to start and reach its first election result.
 * Start-up is not what the tests measure, and a loaded 2-core machine can be slow at it.
 */
export const STARTUP_MS = 60_000;

/** Short timings so that failover tests take seconds, not minutes. */
export const FAST_TIMINGS = { leaseMs: 3000, renewDeadlineMs: 2000, retryMs: 500 };

/** A tenant name no other test uses (one lock per tenant). */
export const uniqueTenant = (prefix = 't'): string => `${prefix}-${randomUUID().slice(0, 8)}`;

/** Environment variables that point an operator process at `backend` on this machine. */
export function operatorEnv(
  backend: Backend,
  tenant: string,
  timings = FAST_TIMINGS,
  overrides: Record<string, string> = {},
): Record<string, string> {
  const env: Record<string, string> = {
    HIGHLANDER_TENANT: tenant,
    HIGHLANDER_STORAGE_TYPE: backend,
    HIGHLANDER_PORT: '0',
    HIGHLANDER_HTTP_HOST: '127.0.0.1',
    HIGHLANDER_LOG_LEVEL: 'info',
    HIGHLANDER_KUBECONFIG: kubeconfigPath,
    HIGHLANDER_LEASE_NAMESPACE: 'default',
    HIGHLANDER_LEASE_DURATION: `${timings.leaseMs}ms`,
    HIGHLANDER_RENEW_DEADLINE: `${timings.renewDeadlineMs}ms`,
    HIGHLANDER_RETRY_PERIOD: `${timings.retryMs}ms`,
  };
  if (backend !== 'kubernetes') {
    const s = loadServicesEnv();
    if (backend === 'redis') env.HIGHLANDER_REDIS_ADDR = s.redisAddr;
    if (backend === 'db') env.HIGHLANDER_DATABASE_URL = s.databaseUrl;
    if (backend === 'spanner') {
      Object.assign(env, {
        HIGHLANDER_SPANNER_PROJECT_ID: s.spanner.projectId,
        HIGHLANDER_SPANNER_INSTANCE_ID: s.spanner.instanceId,
        HIGHLANDER_SPANNER_DATABASE_ID: s.spanner.databaseId,
        SPANNER_EMULATOR_HOST: s.spanner.emulatorHost,
        GOOGLE_CLOUD_SPANNER_MULTIPLEXED_SESSIONS: 'false',
        METADATA_SERVER_DETECTION: 'none',
      });
    }
  }
  return { ...env, ...overrides };
}
