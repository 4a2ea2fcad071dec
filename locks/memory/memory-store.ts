// An in-memory LockStore on an injected clock, for unit tests of the gate's timing rules.
// The real stores are tested against real servers by the same contract (e2e/locks/).
import type { Clock } from '../../runtime/clock.ts';
import type { AcquireResult, Grant, LockEvent, LockState, LockStore } from '../lock-store.ts';
import { LockStoreError } from '../lock-store.ts';

/** A lock kept in memory, shared by every {@link MemoryLockStore.client} made from it. */
export class MemoryLock {
  holder: string | null = null;
  epoch = 0;
  expiresAt = 0;
  readonly log: string[] = [];
  readonly #listeners = new Set<(e: LockEvent) => void>();

  constructor(readonly clock: Clock) {}

  /** A client of this lock; `down()` makes that client's calls fail as if the store were unreachable. */
  client(opts: { announcesCleanRelease?: boolean } = {}): MemoryLockStore {
    return new MemoryLockStore(this, opts);
  }

  state(): LockState {
    const now = this.clock.now();
    if (this.holder === null || now >= this.expiresAt) return { holder: null, epoch: this.epoch, remainingMs: 0 };
    return { holder: this.holder, epoch: this.epoch, remainingMs: this.expiresAt - now };
  }

  emit(e: LockEvent): void {
    for (const l of this.#listeners) l(e);
  }

  listen(l: (e: LockEvent) => void): () => void {
    this.#listeners.add(l);
    return () => this.#listeners.delete(l);
  }
}

/** One client of a {@link MemoryLock}. */
export class MemoryLockStore implements LockStore {
  readonly backend = 'kubernetes' as const;
  /** Its release events carry `clean` (false: behave as Spanner, whose polls cannot). */
  readonly announcesCleanRelease: boolean;
  readonly lockName = 'memory';
  #down = false;
  calls = { acquire: 0, renew: 0, raise: 0, release: 0 };

  constructor(
    readonly lock: MemoryLock,
    opts: { announcesCleanRelease?: boolean } = {},
  ) {
    this.announcesCleanRelease = opts.announcesCleanRelease ?? true;
  }

  /** Makes this client's calls fail (true) or work again (false). */
  down(isDown = true): void {
    this.#down = isDown;
  }

  #check(): void {
    if (this.#down) throw new LockStoreError('unavailable', 'kubernetes', 'memory store is down');
  }

  tryAcquire(holder: string, ttlMs: number): Promise<AcquireResult> {
    this.calls.acquire += 1;
    this.#check();
    const s = this.lock.state();
    if (s.holder !== null && s.holder !== holder) return Promise.resolve({ acquired: false, state: s });
    const l = this.lock;
    l.holder = holder;
    l.epoch += 1;
    l.expiresAt = l.clock.now() + ttlMs;
    l.log.push(`${l.clock.now()} acquire ${holder} ${l.epoch}`);
    l.emit({ type: 'acquired', holder, epoch: l.epoch });
    return Promise.resolve({ acquired: true, epoch: l.epoch, remainingMs: ttlMs });
  }

  renew(holder: string, epoch: number, ttlMs: number): Promise<Grant | null> {
    this.calls.renew += 1;
    this.#check();
    const s = this.lock.state();
    if (s.holder !== holder || s.epoch !== epoch) return Promise.resolve(null);
    this.lock.expiresAt = this.lock.clock.now() + ttlMs;
    return Promise.resolve({ epoch, remainingMs: ttlMs });
  }

  raiseEpoch(holder: string, epoch: number, minEpoch: number, ttlMs: number): Promise<Grant | null> {
    this.calls.raise += 1;
    this.#check();
    const s = this.lock.state();
    if (s.holder !== holder || s.epoch !== epoch) return Promise.resolve(null);
    const l = this.lock;
    l.epoch = Math.max(epoch, minEpoch);
    l.expiresAt = l.clock.now() + ttlMs;
    l.log.push(`${l.clock.now()} raise ${holder} ${epoch}->${l.epoch}`);
    return Promise.resolve({ epoch: l.epoch, remainingMs: ttlMs });
  }

  release(holder: string, epoch: number, opts?: { clean?: boolean }): Promise<boolean> {
    this.calls.release += 1;
    this.#check();
    const s = this.lock.state();
    if (s.holder !== holder || s.epoch !== epoch) return Promise.resolve(false);
    this.lock.holder = null;
    this.lock.log.push(`${this.lock.clock.now()} release ${holder} ${epoch}`);
    this.lock.emit(
      opts?.clean && this.announcesCleanRelease
        ? { type: 'released', epoch, clean: true }
        : { type: 'released', epoch },
    );
    return Promise.resolve(true);
  }

  read(): Promise<LockState> {
    this.#check();
    return Promise.resolve(this.lock.state());
  }

  subscribe(listener: (event: LockEvent) => void): Promise<() => Promise<void>> {
    const off = this.lock.listen(listener);
    return Promise.resolve(() => {
      off();
      return Promise.resolve();
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
