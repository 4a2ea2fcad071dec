// Small helpers over parsed JSON/YAML documents, shared by the config loader and the CR validator.

/** One step of a path into a document: a key or a list index. */
export type Segment = string | number;

/** The value at `path` in `root`, or undefined when a step is missing. */
export function valueAt(root: unknown, path: readonly Segment[]): unknown {
  let v = root;
  for (const s of path) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[s] : undefined;
  return v;
}

/** The steps of a JSON Pointer ("/workloads/cronJobs/0/schedule"), unescaped. */
export function pointerPath(pointer: string): string[] {
  return pointer === ''
    ? []
    : pointer
        .split('/')
        .slice(1)
        .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** `xs` without repeats (by `key`), first occurrence kept, order kept. */
export function uniqueBy<T>(xs: readonly T[], key: (x: T) => string = String): T[] {
  const seen = new Set<string>();
  return xs.filter((x) => {
    const k = key(x);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
