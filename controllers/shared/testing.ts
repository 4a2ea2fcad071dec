// Test fixtures for controller unit tests.

/** Minimal CR metadata for a workload named `name`. */
export function meta(name: string, extra: Record<string, unknown> = {}) {
  return { name, namespace: 'ns', uid: `uid-${name}`, generation: 1, ...extra };
}
