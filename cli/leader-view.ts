// What `highlander elect` knows about the lock: the store's notifications applied the moment they
// arrive, and reads on a fixed beat to confirm them (a notification channel can die silently, and
// only a read proves the store still answers). An answer names a holder only while that knowledge
// is fresh; otherwise it says it does not know, and why. A stale name is worse than none: the app
// asking would act as leader, or stop acting, on the word of a store it can no longer hear.
import type { LockEvent, LockState, LockStore } from '../locks/lock-store.ts';
import type { Clock, TimerHandle } from '../runtime/clock.ts';
import { systemClock } from '../runtime/clock.ts';

/** Why an answer names nobody for certain. */
export type UnknownReason =
  /** No read has succeeded yet. */
  | 'starting'
  /** The last read failed. */
  | 'store-unreachable'
  /** No read has succeeded for longer than the allowed staleness. */
  | 'stale'
  /** The hold as last read has run out; whether it was renewed is not known yet. */
  | 'lease-unconfirmed'
  /** The store still names this process, but its own term ended (renew deadline, lost lock). */
  | 'own-term-ended';

/** One answer about the lock at one moment. */
export type Answer =
  | { known: true; holder: string | null; epoch: number; leaseRemainingMs: number; ageMs: number }
  | { known: false; reason: UnknownReason; error?: string; epoch: number; ageMs: number | null };

/** The candidate in this process, when it campaigns. */
export interface Self {
  identity: string;
  isLeader(): boolean;
}

export interface ViewOptions {
  store: LockStore;
  leaseDurationMs: number;
  /** How often to read the store. */
  pollMs: number;
  /** An answer older than this (since the last successful read or notification) is unknown. */
  staleAfterMs: number;
  self?: Self;
  clock?: Clock;
  /** Called after every read that failed (metrics, logs). */
  onReadError?: (err: unknown) => void;
  /** Called when a read succeeds after one failed. */
  onRecovered?: () => void;
  /** Called when the known holder or epoch changed. */
  onChange?: (holder: string | null, epoch: number) => void;
}

interface Known extends LockState {
  /** When this state was true: a read's send time, or a notification's arrival. */
  at: number;
}

/** The store's state as this process last confirmed it. */
export class LeaderView {
  readonly #o: ViewOptions;
  readonly #clock: Clock;
  #state: Known | undefined;
  /** Last moment the store was heard from: a successful read's send time, or a notification. */
  #heardAt: number | undefined;
  #failure: string | undefined;
  /** Counts notifications, so a read sent before one is not taken as newer than it. */
  #events = 0;
  #running = false;
  #timer: TimerHandle | undefined;
  #reading: Promise<void> | undefined;
  #readAgain = false;
  #unsubscribe: (() => Promise<void>) | undefined;

  constructor(o: ViewOptions) {
    this.#o = o;
    this.#clock = o.clock ?? systemClock;
  }

  /** Subscribes and makes the first read. */
  async start(): Promise<void> {
    this.#running = true;
    try {
      this.#unsubscribe = await this.#o.store.subscribe((e) => this.notify(e));
    } catch (err) {
      // Reads alone still keep the answer true, only less quickly after a change.
      this.#o.onReadError?.(err);
    }
    this.#tick();
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#clock.clearTimeout(this.#timer);
    await this.#reading;
    await this.#unsubscribe?.().catch(() => undefined);
  }

  /** A change the store (or this process's own campaign) reported; read at once to confirm it. */
  notify(e: LockEvent | { type: 'acquired'; holder: string; epoch: number; remainingMs: number }): void {
    const now = this.#clock.now();
    const s = this.#state;
    // An older grant's news arriving late must not undo a newer one.
    if (s && e.epoch < s.epoch) return;
    if (e.type === 'released' && s && e.epoch === s.epoch && s.holder === null) return;
    this.#events += 1;
    const remainingMs = e.type === 'released' ? 0 : 'remainingMs' in e ? e.remainingMs : this.#o.leaseDurationMs;
    this.#set({ holder: e.type === 'released' ? null : e.holder, epoch: e.epoch, remainingMs, at: now });
    this.#heardAt = Math.max(this.#heardAt ?? now, now);
    this.#readNow();
  }

  /** The answer at this moment. */
  answer(): Answer {
    const now = this.#clock.now();
    const s = this.#state;
    const ageMs = this.#heardAt === undefined ? null : now - this.#heardAt;
    const epoch = s?.epoch ?? 0;
    if (!s || ageMs === null) return { known: false, reason: 'starting', epoch, ageMs };
    if (this.#failure !== undefined)
      return { known: false, reason: 'store-unreachable', error: this.#failure, epoch, ageMs };
    if (ageMs > this.#o.staleAfterMs) return { known: false, reason: 'stale', epoch, ageMs };
    if (s.holder === null) return { known: true, holder: null, epoch, leaseRemainingMs: 0, ageMs };
    const left = s.remainingMs - (now - s.at);
    if (left <= 0) return { known: false, reason: 'lease-unconfirmed', epoch, ageMs };
    const self = this.#o.self;
    if (self && s.holder === self.identity && !self.isLeader())
      return { known: false, reason: 'own-term-ended', epoch, ageMs };
    return { known: true, holder: s.holder, epoch, leaseRemainingMs: Math.round(left), ageMs };
  }

  #set(next: Known): void {
    const prev = this.#state;
    this.#state = next;
    if (prev?.holder !== next.holder || prev?.epoch !== next.epoch) this.#o.onChange?.(next.holder, next.epoch);
  }

  /** Reads on a fixed beat from each read's start, so a slow read does not stretch the beat. */
  #tick(): void {
    if (!this.#running) return;
    this.#clock.clearTimeout(this.#timer);
    this.#timer = this.#clock.setTimeout(() => this.#tick(), this.#o.pollMs);
    this.#readNow();
  }

  /** One read at a time; a read asked for while one is in flight follows it. */
  #readNow(): void {
    if (!this.#running) return;
    if (this.#reading) {
      this.#readAgain = true;
      return;
    }
    this.#reading = this.#read().finally(() => {
      this.#reading = undefined;
      if (this.#readAgain) {
        this.#readAgain = false;
        this.#readNow();
      }
    });
  }

  async #read(): Promise<void> {
    const sentAt = this.#clock.now();
    const events = this.#events;
    try {
      const state = await this.#o.store.read();
      if (this.#failure !== undefined) this.#o.onRecovered?.();
      this.#failure = undefined;
      this.#heardAt = Math.max(this.#heardAt ?? sentAt, sentAt);
      // A notification that came while the read was in flight is newer, unless the read shows a later grant.
      if (events === this.#events || state.epoch > (this.#state?.epoch ?? -1)) this.#set({ ...state, at: sentAt });
    } catch (err) {
      this.#failure = err instanceof Error ? err.message : String(err);
      this.#o.onReadError?.(err);
    }
  }
}
