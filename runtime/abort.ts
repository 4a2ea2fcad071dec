// Waiting with AbortSignals: for an abort, or for a promise unless an abort comes first.

/** A promise that resolves once `signal` aborts. */
export function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/** `p`, or a rejection with the signal's reason once `signal` aborts (the caller abandons `p`). */
export function untilAborted<R>(p: Promise<R>, signal: AbortSignal): Promise<R> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      const why: unknown = signal.reason;
      reject(why instanceof Error ? why : new Error(String(why)));
    };
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    const settle =
      <A>(fn: (a: A) => void) =>
      (a: A): void => {
        signal.removeEventListener('abort', onAbort);
        fn(a);
      };
    p.then(settle(resolve), settle(reject));
  });
}
