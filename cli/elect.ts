// `highlander elect --election NAME --http ADDR`: the leader-elector sidecar. Each pod's sidecar is
// a candidate under its pod name (--observe: only reports), and answers who leads on its HTTP port
// from the store's notifications and reads, never from memory older than it can vouch for.
import { openElection } from '../app-election/election.ts';
import type { Election } from '../app-election/election.ts';
import { createLockStore } from '../election/store-factory.ts';
import type { LockStore } from '../locks/lock-store.ts';
import { loadKubeConfig } from '../runtime/kubeconfig.ts';
import type { Logger } from '../runtime/logger.ts';
import { ElectMetrics, serveElect } from './elect-http.ts';
import type { ElectState } from './elect-http.ts';
import type { ElectSettings } from './elect-settings.ts';
import { LeaderView } from './leader-view.ts';

/** Test hooks: a store already opened (left open), and the bound port. */
export interface ElectHooks {
  store?: LockStore;
  onListening?: (port: number) => void;
}

/** Runs the sidecar until `signal` aborts; then leaves the election (releasing the lock) and stops. */
export async function runElect(s: ElectSettings, log: Logger, signal: AbortSignal, hooks: ElectHooks = {}) {
  const store = hooks.store ?? (await createLockStore(s.store, { kubeConfig: () => loadKubeConfig(s.kubeconfig) }));
  let election: Election | undefined;
  const state: ElectState = {
    answer: () => view.answer(),
    get identity() {
      return election?.identity ?? null;
    },
    isLeader: () => election?.isLeader() ?? false,
  };
  const metrics = new ElectMetrics(state);
  let failing = false;
  const view: LeaderView = new LeaderView({
    store,
    leaseDurationMs: s.timings.leaseDurationMs,
    pollMs: s.pollMs,
    staleAfterMs: s.staleAfterMs,
    ...(s.observe ? {} : { self: state as { identity: string; isLeader(): boolean } }),
    onReadError: (err) => {
      metrics.readErrors.inc();
      if (!failing) log.warn({ err: err instanceof Error ? err.message : String(err) }, 'cannot read the lock store');
      failing = true;
    },
    onRecovered: () => {
      failing = false;
      log.info('the lock store answers again');
    },
    onChange: (holder, epoch) => {
      metrics.leaderChanges.inc();
      log.info({ leader: holder, epoch }, holder ? 'leader observed' : 'lock is free');
    },
  });
  if (!s.observe) election = await campaign(s, store, view, log);
  try {
    await view.start();
    const server = await serveElect(s.http.host, s.http.port, state, metrics);
    log.info({ host: s.http.host, port: server.port, election: s.election, observe: s.observe }, 'elect listening');
    hooks.onListening?.(server.port);
    await election?.start();
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
    log.info('shutting down: leaving the election');
    // Released first, so a follower takes over at once while this port still answers.
    await election?.stop();
    await view.stop();
    await server.close();
  } finally {
    if (!hooks.store) await store.close();
  }
}

/** The candidate; its own grants reach the view at once, before the store's notification does. */
async function campaign(s: ElectSettings, store: LockStore, view: LeaderView, log: Logger): Promise<Election> {
  const { leaseDurationMs, renewDeadlineMs, retryPeriodMs } = s.timings;
  const election = await openElection({
    store,
    lock: s.election,
    identity: s.id,
    timings: { leaseDuration: leaseDurationMs, renewDeadline: renewDeadlineMs, retryPeriod: retryPeriodMs },
  });
  election.on('elected', (term) => {
    log.info({ identity: election.identity, epoch: term.epoch }, 'elected');
    view.notify({
      type: 'acquired',
      holder: election.identity,
      epoch: term.epoch,
      remainingMs: term.leaseRemainingMs(),
    });
  });
  election.on('deposed', ({ epoch, reason }) => log.info({ epoch, reason }, 'no longer leading'));
  log.info({ identity: election.identity, store: store.backend, lock: store.lockName }, 'campaigning for leadership');
  return election;
}

/** Runs until SIGTERM or SIGINT. */
export async function runElectUntilSignal(s: ElectSettings, log: Logger): Promise<void> {
  const ac = new AbortController();
  const stop = (sig: NodeJS.Signals): void => {
    log.info({ signal: sig }, 'signal received');
    ac.abort();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  try {
    await runElect(s, log, ac.signal);
  } finally {
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
  }
}
