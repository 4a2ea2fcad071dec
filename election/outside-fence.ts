// What a candidate knows about the fence outside the lock store (the operator's fence Lease,
// which the API server compares every managed write with): how high it has seen it, and the
// last release whose holder vouched that none of its writes can still land. The leader gate asks
// it whether a grant may be used as it is, or the fence must go up first.
import type { LeaderGateOptions } from './leader-gate-types.ts';

export class OutsideFence {
  readonly #raise: NonNullable<LeaderGateOptions['beforeAcquire']>;
  readonly #seen: () => number;
  /** The highest epoch the fence is known to have reached (raised here, or seen); only goes up. */
  #to = 0;
  /** The epoch of the last release whose holder vouched that none of its writes can still land. */
  #cleanRelease: number | undefined;

  constructor(raise: NonNullable<LeaderGateOptions['beforeAcquire']>, seen: () => number = () => 0) {
    this.#raise = raise;
    this.#seen = seen;
  }

  /** The highest epoch the fence is known to have reached. */
  get epoch(): number {
    this.#to = Math.max(this.#to, this.#seen());
    return this.#to;
  }

  /** Raises the fence to `epoch` (nothing is sent when it is known to be there already). */
  async raise(epoch: number, signal: AbortSignal): Promise<void> {
    if (this.epoch >= epoch) return;
    await this.#raise(epoch, { signal });
    this.#to = Math.max(this.#to, epoch);
  }

  /** A release was announced as clean. */
  noteCleanRelease(epoch: number): void {
    this.#cleanRelease = Math.max(this.#cleanRelease ?? 0, epoch);
  }

  /**
   * Whether a grant of `epoch` needs no fence raised first: the fence is at it already, or the
   * grant directly follows (no grant between) a clean release of `epoch - 1`, whose holder has no
   * write left to land, and the fence already refuses every epoch below that one. Epochs only
   * grow with grants, so `epoch - 1` is that release's.
   */
  covers(epoch: number): boolean {
    if (epoch <= this.epoch) return true;
    const c = this.#cleanRelease;
    return c !== undefined && epoch === c + 1 && this.#to >= c;
  }
}
