// One candidate in an application's election: the operator's leader gate (fenced epochs, the
// step-down-before-takeover rule, instant handover on release) behind a small event API.
import { EventEmitter } from 'node:events';
import { holderIdentity } from '../election/identity.ts';
import { LeaderGate } from '../election/leader-gate.ts';
import type { GateObserver, LeaderCallbacks, LeadingContext, StopReason } from '../election/leader-gate.ts';
import { combineObservers } from '../election/observers.ts';
import { createLockStore } from '../election/store-factory.ts';
import type { LockStore } from '../locks/lock-store.ts';
import type { Clock } from '../runtime/clock.ts';
import { loadKubeConfig } from '../runtime/kubeconfig.ts';
import type { ElectOptions } from './options.ts';
import { resolveOptions } from './options.ts';

/** One term of leadership, as the leader's code sees it. */
export interface Term {
  /** The fencing token: larger than every earlier term's. Send it with every write. */
  readonly epoch: number;
  /** Aborts when the term ends; its reason is the {@link StopReason}, or 'shutdown' on stop(). */
  readonly signal: AbortSignal;
  /** Milliseconds left before the renew deadline (0 once the term ended): check it before each write. */
  budgetMs(): number;
  /** Milliseconds until another candidate may be granted the lock; counts on after the term ended. */
  leaseRemainingMs(): number;
}

/** The events of an {@link Election} and what each listener receives. */
export interface ElectionEvents {
  /** This candidate leads. A listener added while it leads is called at once for the current term. */
  elected: [Term];
  /** This candidate's term ended (the signal has aborted). */
  deposed: [{ epoch: number; reason: StopReason }];
  /** Another holder (or none, `holder: null`) was seen in the store, or this candidate took the lock. */
  leader: [{ holder: string | null; epoch: number }];
  /** A store call failed; the election keeps trying (as a leader until its renew deadline). */
  storeError: [unknown];
}

/** The leader's work in {@link runWhileLeader}: runs for one term and settles once `signal` aborted. */
export type LeaderWork<T> = (signal: AbortSignal, epoch: number, term: Term) => Promise<T>;

/** Test hooks: a fake clock and a fixed jitter. */
export interface ElectionInternals {
  clock?: Clock;
  random?: () => number;
  /** Extra gate hooks (logs, metrics). */
  observer?: GateObserver;
}

type Listener<K extends keyof ElectionEvents> = (...args: ElectionEvents[K]) => void;

/** A campaigning candidate. Made by {@link elect}; stop() it to leave the election. */
export class Election {
  readonly #gate: LeaderGate;
  readonly #store: LockStore;
  readonly #ownsStore: boolean;
  readonly #events = new EventEmitter();
  readonly #work: LeaderWork<unknown> | undefined;
  /** Aborted by stop() so that work winds down while the lock is still held and renewed. */
  readonly #shutdown = new AbortController();
  #term: Term | undefined;
  #working: Promise<void> = Promise.resolve();
  #finished: (outcome: { value: unknown } | { error: unknown }) => void = () => undefined;
  /** Settles when work returned or threw on its own (not because its term ended). */
  readonly finished: Promise<{ value: unknown } | { error: unknown }>;

  /** @internal use {@link elect}. */
  constructor(
    store: LockStore,
    ownsStore: boolean,
    gate: (callbacks: LeaderCallbacks, observer: GateObserver) => LeaderGate,
    work: LeaderWork<unknown> | undefined,
  ) {
    this.#store = store;
    this.#ownsStore = ownsStore;
    this.#work = work;
    this.finished = new Promise((resolve) => (this.#finished = resolve));
    this.#gate = gate(
      {
        onStartedLeading: (ctx) => this.#lead(ctx),
        onStoppedLeading: (info) => {
          this.#term = undefined;
          this.#events.emit('deposed', info);
        },
        onNewLeader: (leader) => this.#events.emit('leader', leader),
      },
      {
        attemptFailed: (err) => this.#events.emit('storeError', err),
        renewFailed: (err) => this.#events.emit('storeError', err),
      },
    );
    this.#events.on('newListener', (event: string, listener: Listener<'elected'>) => {
      const term = this.#term;
      if (event === 'elected' && term) queueMicrotask(() => this.#term === term && listener(term));
    });
  }

  /** The identity this candidate holds the lock under (the configured name plus a random suffix). */
  get identity(): string {
    return this.#gate.identity;
  }

  /** The lock's name in its store. */
  get lockName(): string {
    return this.#store.lockName;
  }

  on<K extends keyof ElectionEvents>(event: K, listener: Listener<K>): this {
    this.#events.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  off<K extends keyof ElectionEvents>(event: K, listener: Listener<K>): this {
    this.#events.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  /** True only while this candidate holds the lock and is within its renew deadline. */
  isLeader(): boolean {
    return this.#gate.isLeader();
  }

  /** The current term's epoch, or undefined when not leading. */
  epoch(): number | undefined {
    return this.#gate.epoch();
  }

  /** The holder last seen in the store (this candidate while it leads). */
  leader(): { holder: string | null; epoch: number } {
    return this.#gate.lastSeenLeader();
  }

  /** How long the current hold has left as this process knows it; null when unknown or free. */
  leaseRemainingMs(): number | null {
    return this.#gate.leaseRemainingMs();
  }

  /**
   * Planned handover: ends this term, releases the lock so a follower takes it at once, and stays
   * out for one lease duration. Resolves with the released epoch, or null when not leading.
   */
  handover(): Promise<number | null> {
    return this.#gate.handover();
  }

  /** Starts campaigning (elect() does). */
  start(): Promise<void> {
    return this.#gate.start();
  }

  /**
   * Leaves the election: the leader's work is told to stop (signal reason 'shutdown') and
   * awaited while the lock is still renewed; then the lock is released, and the store closed
   * when this election opened it.
   */
  async stop(): Promise<void> {
    this.#shutdown.abort('shutdown');
    await this.#working;
    await this.#gate.stop();
    if (this.#ownsStore) await this.#store.close();
  }

  async #lead(ctx: LeadingContext): Promise<void> {
    const signal = this.#work ? AbortSignal.any([ctx.signal, this.#shutdown.signal]) : ctx.signal;
    const term: Term = {
      epoch: ctx.epoch,
      signal,
      budgetMs: () => ctx.budgetMs(),
      leaseRemainingMs: () => ctx.leaseRemainingMs(),
    };
    this.#term = term;
    this.#events.emit('elected', term);
    if (!this.#work) return aborted(ctx.signal);
    const work = this.#work;
    const running = Promise.resolve()
      .then(() => work(signal, term.epoch, term))
      .then(
        (value) => (signal.aborted ? undefined : this.#finished({ value })),
        (error: unknown) => this.#finished({ error }),
      );
    this.#working = running;
    await running;
  }
}

const aborted = (signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });

/** Checks the options, opens the store and builds the candidate (not started). */
export async function openElection(
  opts: ElectOptions,
  work?: LeaderWork<unknown>,
  internals: ElectionInternals = {},
): Promise<Election> {
  const o = resolveOptions(opts);
  const store = o.store ?? (await createLockStore(o.settings!, { kubeConfig: () => loadKubeConfig(o.kubeconfig) }));
  const identity = holderIdentity(o.identity);
  return new Election(
    store,
    !o.store,
    (callbacks, observer) =>
      new LeaderGate({
        store,
        identity,
        timings: o.timings,
        callbacks,
        observer: combineObservers(observer, internals.observer ?? {}),
        ...(internals.clock ? { clock: internals.clock } : {}),
        ...(internals.random ? { random: internals.random } : {}),
      }),
    work,
  );
}

/**
 * Joins the election and starts campaigning. Listen for 'elected' (the term's signal aborts when
 * it ends) and 'deposed'; stop() leaves the election and releases the lock.
 */
export async function elect(opts: ElectOptions): Promise<Election> {
  const election = await openElection(opts);
  await election.start();
  return election;
}
