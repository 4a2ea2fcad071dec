// Several gate observers as one: metrics, logs, the status tracker and the live views each
// keep their own hooks.
import type { GateObserver } from './leader-gate.ts';

/** Calls every observer's hook in turn. */
export function combineObservers(...observers: GateObserver[]): GateObserver {
  const hook =
    <K extends keyof GateObserver>(k: K) =>
    (arg: Parameters<NonNullable<GateObserver[K]>>[0]): void => {
      for (const o of observers) (o[k] as ((a: typeof arg) => void) | undefined)?.(arg);
    };
  return {
    acquired: hook('acquired'),
    stopped: hook('stopped'),
    attemptFailed: hook('attemptFailed'),
    renewed: hook('renewed'),
    renewFailed: hook('renewFailed'),
    released: hook('released'),
    workFailed: hook('workFailed'),
    epochRaised: hook('epochRaised'),
  };
}
