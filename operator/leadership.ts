// What this replica tells about leadership as it happens: log lines, the live event stream and
// the failover timeline. The gate's own hooks (metrics, status tracker) are added beside these.
import type { GateObserver } from '../election/leader-gate.ts';
import type { Log } from '../runtime/logger.ts';
import type { EventHub, FailoverRecorder } from '../server/event-hub.ts';
import type { StatusTracker } from '../server/status-tracker.ts';

const now = (): string => new Date().toISOString();

/** One log line per leadership change; renewals at debug. */
export function logObserver(log: Log): GateObserver {
  return {
    acquired: ({ epoch, previousHolder, failoverMs, requestedAgoMs }) => {
      const now = Date.now();
      log.info(
        { epoch, previousLeader: previousHolder, failoverMs, leaderAt: now, grantRequestedAt: now - requestedAgoMs },
        'became leader',
      );
    },
    epochRaised: ({ from, to }) => log.info({ from, to, raisedAt: Date.now() }, 'epoch raised'),
    stopped: ({ epoch, reason, heldMs }) => log.info({ epoch, reason, heldMs }, 'leadership ended'),
    attemptFailed: (err) => log.warn({ err: String(err) }, 'lock store call failed while campaigning'),
    renewed: ({ epoch, latencyMs }) => log.debug({ epoch, latencyMs, renewSentAt: Date.now() - latencyMs }, 'renewed'),
    renewFailed: (err) => log.warn({ err: String(err) }, 'renewal failed; retrying until the renew deadline'),
    released: ({ epoch, ok, clean }) =>
      log.info({ epoch, released: ok, clean, releasedAt: Date.now() }, 'lock released'),
    workFailed: (err) => log.error({ err: String(err) }, 'leader work failed'),
  };
}

/** This replica's own leadership changes, on the hub and in the failover timeline. */
export function hubObserver(identity: string, hub: EventHub, failovers: FailoverRecorder): GateObserver {
  return {
    acquired: ({ epoch, previousHolder, failoverMs }) => {
      hub.publish({ type: 'leadership', at: now(), change: 'acquired', leader: identity, epoch });
      failovers.acquired(epoch, previousHolder, failoverMs);
    },
    stopped: ({ epoch, reason }) => {
      failovers.stopped();
      hub.publish({ type: 'leadership', at: now(), change: 'stopped', leader: null, epoch, reason });
    },
    released: ({ epoch, ok }) => {
      if (ok) hub.publish({ type: 'leadership', at: now(), change: 'released', leader: null, epoch });
    },
  };
}

/** The gate's onNewLeader: another holder (or none) was seen in the store. */
export function newLeaderSeen(o: {
  identity: string;
  tracker: StatusTracker;
  failovers: FailoverRecorder;
  hub: EventHub;
  log: Log;
}): (leader: { holder: string | null; epoch: number }) => void {
  return ({ holder, epoch }) => {
    o.tracker.newLeader(holder, epoch);
    o.failovers.holderSeen(holder, epoch);
    if (holder === o.identity) return;
    o.log.info({ leader: holder, epoch }, holder ? 'new leader observed' : 'lock is free');
    o.hub.publish({ type: 'leadership', at: now(), change: holder ? 'observed' : 'free', leader: holder, epoch });
  };
}
