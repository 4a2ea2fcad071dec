// `highlander await [flags] -- CMD ARGS…`: campaigns, runs CMD while this process leads, and
// stops it before anyone else can take over. One term, one run of CMD, with the term's epoch in
// its environment (HIGHLANDER_EPOCH) so that it can fence its own writes.
import type { Election, Term } from '../app-election/election.ts';
import { runWhileLeader } from '../app-election/run-while-leader.ts';
import { logObserver } from '../operator/leadership.ts';
import type { Logger } from '../runtime/logger.ts';
import { GatedChild } from './await-child.ts';
import type { ChildExit } from './await-child.ts';
import type { AwaitSettings } from './await-settings.ts';
import { AwaitMetrics, serveStatus } from './await-status.ts';
import type { AwaitState } from './await-status.ts';

/** Signals passed on to the command as they come. */
const FORWARDED: NodeJS.Signals[] = ['SIGHUP', 'SIGUSR1', 'SIGUSR2'];
/** Signals that end `await` (the command is stopped with the same signal, then the lock released). */
const SHUTDOWN: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

/** Hooks run at each grant and on each end of a term (Service routing). */
export interface TermHooks {
  elected?(term: Term, identity: string): Promise<void> | void;
}

/**
 * The margin kept between killing the command and the earliest moment another candidate may be
 * granted the lock: the kill and the reaping of the process take a few milliseconds.
 */
export function killMarginMs(leaseDurationMs: number, renewDeadlineMs: number): number {
  return Math.max(50, Math.min(500, (leaseDurationMs - renewDeadlineMs) / 4));
}

/** Runs `await`; resolves with the exit status `highlander` should end with. */
export async function runAwait(
  s: AwaitSettings,
  command: string[],
  log: Logger,
  hooks: TermHooks = {},
): Promise<number> {
  const [file, ...args] = command;
  if (!file) throw new Error('await needs a command to run: highlander await [flags] -- CMD ARGS…');
  if (!s.election) return runUngated(file, args, log);

  const shutdown = new AbortController();
  let stopWith: NodeJS.Signals = 'SIGTERM';
  let child: GatedChild | undefined;
  let last: ChildExit | undefined;
  let election: Election | undefined;
  const state = (): AwaitState => ({
    name: s.name,
    lock: s.elect.lock,
    store: s.config.storageType,
    identity: election?.identity ?? '',
    isLeader: election?.isLeader() ?? false,
    leader: election?.leader().holder ?? null,
    epoch: election?.leader().epoch ?? 0,
    leaseRemainingMs: election?.leaseRemainingMs() ?? null,
    child: child ? { pid: child.pid, running: child.running } : null,
  });
  const metrics = new AwaitMetrics(state);
  const status = s.status ? await serveStatus(s.status.host, s.status.port, state, metrics) : undefined;
  if (status) log.info({ host: s.status!.host, port: status.port }, 'status endpoint listening');
  const onSignal = (sig: NodeJS.Signals): void => {
    if (SHUTDOWN.includes(sig) && !shutdown.signal.aborted) {
      log.info({ signal: sig }, 'shutting down: stopping the command, then releasing the lock');
      stopWith = sig;
      shutdown.abort();
    } else child?.signal(sig);
  };
  for (const sig of [...SHUTDOWN, ...FORWARDED]) process.on(sig, onSignal);

  const { leaseDurationMs, renewDeadlineMs } = s.config.leaderElection;
  const margin = killMarginMs(leaseDurationMs, renewDeadlineMs);
  try {
    const own = await runWhileLeader(
      {
        ...s.elect,
        signal: shutdown.signal,
        onElection: (e) => {
          election = e;
          log.info(
            { name: s.name, identity: e.identity, store: s.config.storageType, lock: e.lockName },
            'campaigning for leadership',
          );
          e.on('leader', ({ holder, epoch }) => {
            if (holder !== e.identity)
              log.info({ leader: holder, epoch }, holder ? 'new leader observed' : 'lock is free');
          });
          e.on('storeError', () => metrics.storeErrors.inc());
        },
      },
      async (signal, epoch, term) => {
        metrics.terms.inc();
        await hooks.elected?.(term, election!.identity);
        child = startChild(file, args, { epoch, leader: election!.identity, lock: election!.lockName }, log);
        const stop = (): void => {
          const reason = String(signal.reason);
          // Shutdown: the command's own grace period, the lock still held. Lost lease: it must be
          // gone before a successor may be granted the lock; taken away: at once.
          const killAfterMs =
            reason === 'shutdown'
              ? s.config.terminationGracePeriodMs
              : reason === 'lost'
                ? 0
                : Math.max(0, term.leaseRemainingMs() - margin);
          log.info({ epoch, reason, childPid: child?.pid, killAfterMs }, 'stopping the command');
          void child?.stop(reason === 'shutdown' ? stopWith : 'SIGTERM', killAfterMs);
        };
        signal.addEventListener('abort', stop, { once: true });
        if (signal.aborted) stop(); // the term ended while the command was being started
        last = await child.exited;
        signal.removeEventListener('abort', stop);
        const why = signal.aborted ? (String(signal.reason) === 'shutdown' ? 'shutdown' : 'term-ended') : 'own';
        metrics.childExits.inc({ reason: why });
        log.info(
          { epoch, childPid: child.pid, status: last.status, signal: last.signal, reason: why },
          'command exited',
        );
        return last.status;
      },
      { observer: logObserver(log) },
    );
    return own ?? last?.status ?? 0;
  } finally {
    for (const sig of [...SHUTDOWN, ...FORWARDED]) process.off(sig, onSignal);
    await status?.close();
  }
}

/** Starts the command for one term, with the term in its environment. */
function startChild(
  file: string,
  args: string[],
  term: { epoch: number; leader: string; lock: string },
  log: Logger,
): GatedChild {
  const env = {
    ...process.env,
    HIGHLANDER_EPOCH: String(term.epoch),
    HIGHLANDER_LEADER: term.leader,
    HIGHLANDER_LOCK: term.lock,
  };
  const child = new GatedChild(file, args, env, (err) =>
    log.error({ err: err.message, command: file }, 'cannot start the command'),
  );
  log.info({ epoch: term.epoch, childPid: child.pid, command: file }, 'command started');
  return child;
}

/** No election (K8S_AWAIT_ELECTION_ENABLED unset): the command runs at once, every signal passed on. */
async function runUngated(file: string, args: string[], log: Logger): Promise<number> {
  log.info({ command: file }, 'not running with leader election: starting the command');
  const child = new GatedChild(file, args, process.env, (err) =>
    log.error({ err: err.message, command: file }, 'cannot start the command'),
  );
  const pass = (sig: NodeJS.Signals): void => child.signal(sig);
  for (const sig of [...SHUTDOWN, ...FORWARDED]) process.on(sig, pass);
  try {
    return (await child.exited).status;
  } finally {
    for (const sig of [...SHUTDOWN, ...FORWARDED]) process.off(sig, pass);
  }
}
