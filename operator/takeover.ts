// What a new leader does once its caches are synced and before its controllers write anything:
// raise its epoch above every epoch it can see written (the epoch floor: CR statuses, children,
// and the fence), then, with a store other than the Lease, raise the fence to that epoch so the
// API server refuses the previous leader's late writes from now on.
import type { WorkloadCaches } from '../controllers/caches.ts';
import { highestEpochSeen } from '../controllers/epoch-floor.ts';
import { fence } from '../controllers/fence.ts';
import type { LeadingContext } from '../election/leader-gate.ts';
import type { Backend } from '../locks/lock-store.ts';
import type { KubeClient } from '../runtime/kube-client.ts';
import type { Log } from '../runtime/logger.ts';

/** What the takeover needs besides the leadership context. */
export interface TakeoverDeps {
  client: KubeClient;
  caches: WorkloadCaches;
  tenant: string;
  identity: string;
  storageType: Backend;
  /** Where the fence Lease lives (the lease namespace). */
  fenceNamespace: string;
  log: Log;
}

/** Runs the epoch floor and the fence for the hold in `ctx`. */
export async function takeOver(ctx: LeadingContext, d: TakeoverDeps): Promise<void> {
  const own =
    d.storageType === 'kubernetes' ? undefined : fence(d.client, { namespace: d.fenceNamespace, tenant: d.tenant });
  // A written epoch equal to the granted one means a previous holder had it too (the counter was
  // lost). The fence is raised to the next epoch before each grant (LeaderGate.beforeAcquire), or
  // is one below it after a clean release, so a fence up to the granted epoch is this grant's own
  // or its predecessor's; only one above it shows a lost counter.
  const fenceEpoch = own ? await own.epoch() : 0;
  const floor = Math.max(highestEpochSeen(d.caches, d.tenant), fenceEpoch > ctx.epoch ? fenceEpoch : 0);
  if (floor >= ctx.epoch) {
    const from = ctx.epoch;
    await ctx.raiseEpoch(floor + 1);
    d.log.warn(
      { from, floor },
      `the lock store granted epoch ${from}, below one already written (its counter was lost): raised to ${ctx.epoch}`,
    );
  }
  await own?.raise(ctx, d.identity);
}
