// A manual clock for tests: time moves only when the test advances it.
import type { Clock, TimerHandle } from './clock.ts';

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
}

/** A {@link Clock} whose time moves only through {@link FakeClock.advance}. */
export class FakeClock implements Clock {
  #now = 0;
  #seq = 0;
  #timers = new Map<number, Timer>();

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const seq = ++this.#seq;
    this.#timers.set(seq, { at: this.#now + Math.max(0, ms), seq, fn });
    return { seq } as unknown as TimerHandle;
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (handle) this.#timers.delete((handle as unknown as { seq: number }).seq);
  }

  /** Number of timers still pending. */
  get pending(): number {
    return this.#timers.size;
  }

  /**
   * Moves time forward by `ms` without firing any timer: what a process sees right after its
   * event loop was blocked (a long GC, SIGSTOP) — the clock has moved, overdue timers have not run.
   */
  jump(ms: number): void {
    this.#now += ms;
  }

  /**
   * Moves time forward by `ms`, firing due timers in order and letting the promise
   * callbacks they start run to completion between timers (as the event loop would).
   */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    for (;;) {
      await flush();
      const next = [...this.#timers.values()]
        .filter((t) => t.at <= end)
        .sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next) break;
      this.#timers.delete(next.seq);
      this.#now = next.at;
      next.fn();
    }
    this.#now = end;
    await flush();
  }
}

/** Lets pending promise callbacks run (several turns, for chains of awaits). */
export async function flush(): Promise<void> {
  for (let i = 0; i < 20; i += 1) await new Promise<void>((r) => setImmediate(r));
}
