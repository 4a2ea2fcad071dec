// The leader gate: campaigns for one lock, runs the leader's work only while the lock is
// held, and stops that work before anyone else can take over.
//
// Safety rests on one inequality. A hold lasts leaseDuration from the moment the leader
// *sent* its last successful renewal; the leader stops acting renewDeadline after that same
// moment, on its own monotonic clock. Since renewDeadline < leaseDuration, the old leader has
// stopped before the store will grant the lock to anyone else. A process that was paused
// (SIGSTOP, a long GC) checks the same clock synchronously (budgetMs) before every write,
// and its writes carry the epoch, which the next leader's grant has made stale.
import type { Clock, TimerHandle } from '../runtime/clock.ts';
import { sleep, systemClock } from '../runtime/clock.ts';
import type { LeaderTimings } from './timings.ts';
import { JITTER_FACTOR, validateTimings } from './timings.ts';
import { OutsideFence } from './outside-fence.ts';
import type { LockEvent, LockState, LockStore } from '../locks/lock-store.ts';

import type {
  StopReason,
  LeadingContext,
  LeaderCallbacks,
  GateObserver,
  LeaderGateOptions,
} from './leader-gate-types.ts';
export type {
  StopReason,
  LeadingContext,
  LeaderCallbacks,
  GateObserver,
  LeaderGateOptions,
} from './leader-gate-types.ts';

interface Leading {
  epoch: number;
  /** When the last successful renewal (or the grant) was sent. */
  renewedAt: number;
  since: number;
  ac: AbortController;
  deadline: TimerHandle | undefined;
  work: Promise<void>;
  /** The store call in flight for this hold (renewals and raises never overlap: each changes the grant). */
  storeCall: Promise<unknown>;
  /** A write of this hold got no definite answer: it may still land (see LeadingContext.unanswered). */
  unanswered: boolean;
}

/** After the computed expiry, wait this much more so the store surely agrees. */
const EXPIRY_MARGIN_MS = 2;

/** One candidate in one election. */
export class LeaderGate {
  readonly #store: LockStore;
  readonly #id: string;
  readonly #t: LeaderTimings;
  readonly #cb: LeaderCallbacks;
  readonly #obs: GateObserver;
  readonly #clock: Clock;
  readonly #random: () => number;
  /** The fence outside the store (LeaderGateOptions.beforeAcquire), when there is one. */
  readonly #outside: OutsideFence | undefined;
  #running = false;
  #stopping = new AbortController();
  #leading: Leading | undefined;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #unsubscribe: (() => Promise<void>) | undefined;
  #seen: { holder: string | null; epoch: number } = { holder: null, epoch: -1 };
  /** When the current holder's lock became free as far as we know (release seen, or expiry). */
  #freeAt: number | undefined;
  /** Waiters of {@link handover}, told once the lock is released. */
  readonly #handedOver = new Set<() => void>();

  constructor(opts: LeaderGateOptions) {
    this.#t = validateTimings(opts.timings);
    this.#store = opts.store;
    this.#id = opts.identity;
    this.#cb = opts.callbacks;
    this.#obs = opts.observer ?? {};
    this.#clock = opts.clock ?? systemClock;
    this.#random = opts.random ?? Math.random;
    this.#outside = opts.beforeAcquire ? new OutsideFence(opts.beforeAcquire, opts.fenceSeen) : undefined;
  }

  /** This candidate's identity. */
  get identity(): string {
    return this.#id;
  }

  /** True only while this process holds the lock and is within its renew deadline. */
  isLeader(): boolean {
    const l = this.#leading;
    return !!l && !l.ac.signal.aborted && this.#clock.now() - l.renewedAt < this.#t.renewDeadlineMs;
  }

  /** The epoch of the current hold, or undefined when not leading. */
  epoch(): number | undefined {
    return this.isLeader() ? this.#leading?.epoch : undefined;
  }

  /**
   * How long the current hold has left, as this process knows it: for the leader, from its last
   * renewal's send time; for a follower, from the store's last answer. Null when unknown or free.
   */
  leaseRemainingMs(): number | null {
    const now = this.#clock.now();
    const l = this.#leading;
    if (l && !l.ac.signal.aborted) return Math.max(0, l.renewedAt + this.#t.leaseDurationMs - now);
    if (this.#seen.holder !== null && this.#freeAt !== undefined) return Math.max(0, this.#freeAt - now);
    return null;
  }

  /**
   * Planned handover: the leader stops its work, releases the lock (followers are told at once
   * and take it), and stays out of the election for one lease duration. Resolves with the
   * released epoch, or null when this process was not leading.
   */
  async handover(): Promise<number | null> {
    const l = this.#leading;
    if (!l || !this.isLeader()) return null;
    const released = new Promise<void>((resolve) => this.#handedOver.add(resolve));
    this.#end(l, 'handover');
    await released;
    return l.epoch;
  }

  /** The last holder seen in the store (this process when leading). */
  lastSeenLeader(): { holder: string | null; epoch: number } {
    return { ...this.#seen };
  }

  /** Starts campaigning. Resolves once the campaign is under way. */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    this.#stopping = new AbortController();
    try {
      this.#unsubscribe = await this.#store.subscribe((e) => this.#onStoreEvent(e));
    } catch (err) {
      // Without notifications the gate still takes over at expiry; only releases are slower.
      this.#obs.attemptFailed?.(err);
    }
    this.#loop = this.#run();
  }

  /**
   * Stops: a leader stops its work first, waits for it, and only then releases the lock,
   * so the next leader never overlaps with this one's teardown.
   */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#stopping.abort();
    this.#wake?.();
    const l = this.#leading;
    if (l) this.#end(l, 'shutdown');
    await this.#loop;
    await this.#unsubscribe?.().catch(() => undefined);
  }

  async #run(): Promise<void> {
    while (this.#running) {
      const grant = await this.#campaign();
      if (!grant) break;
      const l = this.#lead(grant.epoch, grant.sentAt);
      await this.#renewUntilEnded(l);
      const reason = l.ac.signal.reason as StopReason;
      if (reason === 'shutdown' || reason === 'handover') await this.#stepAside(l);
      else await l.work; // the hold is over already: nothing to release
      if (reason === 'handover') {
        for (const done of this.#handedOver) done();
        this.#handedOver.clear();
        // Stand aside so a follower takes the lock; campaign again after one lease duration.
        await sleep(this.#clock, this.#t.leaseDurationMs, this.#stopping.signal);
      }
    }
  }

  /**
   * Stepping aside (stop, handover): releases once our work has drained. When every write of ours
   * was answered, none can land later, so there is nothing for a fence to refuse: the release
   * says so (clean) and the successor starts without fencing us out. Otherwise our own epoch is
   * fenced out first — while the work drains when a write was already left unanswered, since
   * what the fence can still refuse is a request of ours in flight, or when the store cannot
   * carry `clean` to the successor. Worth it only while the hold
   * is ours: after our renew deadline followers raise it.
   */
  async #stepAside(l: Leading): Promise<void> {
    const fenceOut = () => this.#fence(l.epoch + 1, l.renewedAt + this.#t.renewDeadlineMs - this.#clock.now(), false);
    // A store that cannot tell the successor the release was clean (Spanner) leaves it to fence
    // us out before it acquires: cheaper done here, while the work drains.
    const announced = this.#store.announcesCleanRelease === true;
    const fenced = l.unanswered || !announced ? fenceOut() : undefined;
    await l.work;
    const clean = !!this.#outside && announced && !l.unanswered;
    if (!clean) await (fenced ?? fenceOut());
    await this.#release(l.epoch, clean);
  }

  /** Tries until the lock is ours (undefined when stopped first). */
  async #campaign(): Promise<{ epoch: number; sentAt: number } | undefined> {
    let failures = 0;
    while (this.#running) {
      let waitMs: number;
      try {
        await this.#fenceIfFree();
        const sentAt = this.#clock.now();
        const r = await this.#store.tryAcquire(this.#id, this.#t.leaseDurationMs, { signal: this.#stopping.signal });
        if (r.acquired) {
          if (!this.#running) {
            await this.#release(r.epoch); // stopped while the call was in flight
            return undefined;
          }
          // After a clean release the fence may be one below our grant: the leader's work raises
          // it to our epoch before its first write (the operator's takeover), as after every grant.
          if (!this.#outside || this.#outside.covers(r.epoch)) return { epoch: r.epoch, sentAt };
          // Someone held (and lost) an epoch between our fence and our grant: the fence is below
          // this grant, so that holder's late writes would pass. Give it back and go round again.
          await this.#release(r.epoch);
          this.#seen = { holder: null, epoch: r.epoch }; // so the next attempt reads the store first
          waitMs = 0;
        } else {
          failures = 0;
          this.#noteHolder(r.state);
          this.#freeAt = r.state.holder === null ? this.#freeAt : this.#clock.now() + r.state.remainingMs;
          waitMs = await this.#waitForHold(r.state);
        }
      } catch (err) {
        failures += 1;
        this.#obs.attemptFailed?.(err);
        waitMs =
          Math.min(this.#t.retryPeriodMs * 2 ** (failures - 1), this.#t.leaseDurationMs) *
          (1 + (JITTER_FACTOR - 1) * this.#random());
      }
      await this.#sleepUnlessWoken(waitMs);
    }
    return undefined;
  }

  /**
   * Raises the outside fence when the store says the lock is free (never while someone holds it).
   * Nothing to do when it already covers the next grant: raised early, by the releasing holder,
   * or not needed after a clean release (see OutsideFence.covers).
   */
  async #fenceIfFree(): Promise<void> {
    const o = this.#outside;
    if (!o || (this.#seen.epoch >= 0 && o.covers(this.#seen.epoch + 1))) return;
    const state = await this.#store.read({ signal: this.#stopping.signal });
    if (state.holder === null && !o.covers(state.epoch + 1)) await o.raise(state.epoch + 1, this.#stopping.signal);
  }

  /**
   * How long to wait before the next attempt while `state.holder` holds the lock: until the hold
   * expires, unless a release wakes us sooner. With an outside fence, first until the holder's
   * renew deadline has passed: a holder that has not renewed for renewDeadline has stopped acting
   * (see the top of this file), so the fence can go up then, off the takeover's critical path.
   */
  async #waitForHold(state: LockState): Promise<number> {
    if (state.holder === null) return this.#t.retryPeriodMs;
    const untilExpiry = state.remainingMs + EXPIRY_MARGIN_MS;
    if (!this.#outside || this.#outside.epoch > state.epoch || state.holder === this.#id) return untilExpiry;
    const untilDeadline = state.remainingMs - (this.#t.leaseDurationMs - this.#t.renewDeadlineMs) + EXPIRY_MARGIN_MS;
    if (untilDeadline > 0) return untilDeadline;
    const before = this.#clock.now();
    await this.#fence(state.epoch + 1, untilExpiry, true);
    return Math.max(0, untilExpiry - (this.#clock.now() - before));
  }

  /**
   * Raises the outside fence to `epoch`, giving up after `withinMs` (a failure is only noted:
   * the attempt at a free lock raises it again, and is the one that must succeed).
   */
  async #fence(epoch: number, withinMs: number, endsWithStop: boolean): Promise<void> {
    if (!this.#outside || this.#outside.epoch >= epoch || withinMs <= 0) return;
    try {
      // A stopping leader's own raise is made after stop() began: only a follower's ends with it.
      const timeout = AbortSignal.timeout(Math.ceil(withinMs));
      const signal = endsWithStop ? AbortSignal.any([this.#stopping.signal, timeout]) : timeout;
      await this.#outside.raise(epoch, signal);
    } catch (err) {
      this.#obs.attemptFailed?.(err);
    }
  }

  #lead(epoch: number, sentAt: number): Leading {
    const previous = this.#seen.holder !== this.#id ? this.#seen.holder : null;
    const now = this.#clock.now();
    const failoverMs = previous !== null && this.#freeAt !== undefined ? Math.max(0, now - this.#freeAt) : undefined;
    const ac = new AbortController();
    const l: Leading = {
      epoch,
      renewedAt: sentAt,
      since: now,
      ac,
      deadline: undefined,
      work: Promise.resolve(),
      storeCall: Promise.resolve(),
      unanswered: false,
    };
    this.#leading = l;
    this.#armDeadline(l);
    this.#noteHolder({ holder: this.#id, epoch, remainingMs: this.#t.leaseDurationMs });
    this.#obs.acquired?.({ epoch, previousHolder: previous, failoverMs, requestedAgoMs: now - sentAt });
    l.work = (async () => {
      try {
        await this.#cb.onStartedLeading(this.#context(l));
      } catch (err) {
        this.#obs.workFailed?.(err);
      }
    })();
    return l;
  }

  /** Renews every retryPeriod until the hold is lost, the deadline passes, or we stop. */
  async #renewUntilEnded(l: Leading): Promise<void> {
    while (!l.ac.signal.aborted) {
      await sleep(this.#clock, this.#t.retryPeriodMs, l.ac.signal);
      if (l.ac.signal.aborted) break;
      const sentAt = this.#clock.now();
      try {
        const g = await this.#serial(l, () =>
          this.#store.renew(this.#id, l.epoch, this.#t.leaseDurationMs, { signal: l.ac.signal }),
        );
        if (l.ac.signal.aborted) break;
        if (!g) {
          this.#end(l, 'lost');
          break;
        }
        // The deadline passed while the renewal was in flight (its timer not yet run): the hold
        // counts as ended, as followers judge it (they may have raised the fence already).
        if (this.#clock.now() - l.renewedAt >= this.#t.renewDeadlineMs) {
          this.#end(l, 'renew-deadline');
          break;
        }
        l.renewedAt = sentAt;
        this.#armDeadline(l);
        this.#obs.renewed?.({ epoch: l.epoch, latencyMs: this.#clock.now() - sentAt });
      } catch (err) {
        // Keep trying every retryPeriod; the deadline timer ends leadership if none succeeds.
        this.#obs.renewFailed?.(err);
      }
    }
  }

  /** The context the leader's work gets for hold `l`. */
  #context(l: Leading): LeadingContext {
    return {
      signal: l.ac.signal,
      get epoch() {
        return l.epoch;
      },
      budgetMs: () =>
        l.ac.signal.aborted ? 0 : Math.max(0, l.renewedAt + this.#t.renewDeadlineMs - this.#clock.now()),
      leaseRemainingMs: () => Math.max(0, l.renewedAt + this.#t.leaseDurationMs - this.#clock.now()),
      raiseEpoch: (min) => this.#raise(l, min),
      unanswered: () => {
        l.unanswered = true;
      },
    };
  }

  /** Raises hold `l`'s epoch to at least `min`; the raise renews the hold too. */
  async #raise(l: Leading, min: number): Promise<number> {
    if (min <= l.epoch) return l.epoch;
    const sentAt = this.#clock.now();
    const from = l.epoch;
    const g = await this.#serial(l, () =>
      this.#store.raiseEpoch(this.#id, l.epoch, min, this.#t.leaseDurationMs, { signal: l.ac.signal }),
    );
    if (!g) {
      this.#end(l, 'lost');
      throw new Error(`raising the epoch from ${from} to ${min}: the lock is no longer held`);
    }
    l.epoch = g.epoch;
    if (!l.ac.signal.aborted) {
      l.renewedAt = sentAt;
      this.#armDeadline(l);
    }
    this.#noteHolder({ holder: this.#id, epoch: l.epoch, remainingMs: g.remainingMs });
    this.#obs.epochRaised?.({ from, to: l.epoch });
    return l.epoch;
  }

  /** Runs `call` after the hold's previous store call has settled. */
  #serial<T>(l: Leading, call: () => Promise<T>): Promise<T> {
    const next = l.storeCall.then(call, call);
    l.storeCall = next.catch(() => undefined);
    return next;
  }

  /** (Re)arms the timer that ends leadership renewDeadline after the last renewal was sent. */
  #armDeadline(l: Leading): void {
    this.#clock.clearTimeout(l.deadline);
    const left = l.renewedAt + this.#t.renewDeadlineMs - this.#clock.now();
    l.deadline = this.#clock.setTimeout(() => this.#end(l, 'renew-deadline'), left);
  }

  #end(l: Leading, reason: StopReason): void {
    if (l.ac.signal.aborted) return;
    this.#clock.clearTimeout(l.deadline);
    l.ac.abort(reason);
    if (this.#leading === l) this.#leading = undefined;
    if (this.#seen.holder === this.#id) this.#seen = { holder: null, epoch: l.epoch };
    this.#freeAt = undefined;
    this.#obs.stopped?.({ epoch: l.epoch, reason, heldMs: this.#clock.now() - l.since });
    this.#cb.onStoppedLeading({ epoch: l.epoch, reason });
  }

  async #release(epoch: number, clean = false): Promise<void> {
    let ok = false;
    try {
      ok = await this.#store.release(this.#id, epoch, { clean });
    } catch (err) {
      this.#obs.attemptFailed?.(err);
    }
    this.#obs.released?.({ epoch, ok, clean });
  }

  #onStoreEvent(e: LockEvent): void {
    if (e.type === 'released') {
      if (e.epoch >= this.#seen.epoch && this.#seen.holder !== null && this.#seen.holder !== this.#id) {
        this.#freeAt = this.#clock.now();
      }
      if (e.clean) this.#outside?.noteCleanRelease(e.epoch);
      this.#wake?.();
    } else if (e.holder !== this.#id) {
      this.#noteHolder({ holder: e.holder, epoch: e.epoch, remainingMs: this.#t.leaseDurationMs });
    }
  }

  #noteHolder(state: LockState): void {
    if (state.holder === this.#seen.holder && state.epoch === this.#seen.epoch) return;
    this.#seen = { holder: state.holder, epoch: state.epoch };
    this.#cb.onNewLeader?.({ holder: state.holder, epoch: state.epoch });
  }

  #sleepUnlessWoken(ms: number): Promise<void> {
    // Stopped while a store call was in flight: its wake-up came before this sleep began.
    if (!this.#running) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.#clock.clearTimeout(timer);
        if (this.#wake === done) this.#wake = undefined;
        resolve();
      };
      const timer = this.#clock.setTimeout(done, Math.max(1, ms));
      this.#wake = done;
    });
  }
}
