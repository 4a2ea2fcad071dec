// Manifest files: every YAML document checked, each problem placed at its line.
import { LineCounter, isMap, isScalar, isSeq, parseAllDocuments } from 'yaml';
import type { Document } from 'yaml';
import type { Segment } from '../runtime/values.ts';
import type { CrValidator } from './cr-validate.ts';
import { isObject } from './schema.ts';

/** The outcome for one YAML document of a manifest file. */
export interface DocResult {
  /** 1-based position in the file. */
  doc: number;
  kind?: string;
  namespace?: string;
  name?: string;
  problems: { path: string; line: number | undefined; message: string }[];
}

/**
 * Validates every document of a (multi-document) YAML or JSON manifest. Empty documents are
 * skipped, as kubectl does; every other one must be a Highlander custom resource.
 */
export function validateManifests(text: string, v: CrValidator): DocResult[] {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (!Array.isArray(docs)) return []; // an empty stream
  const lineAt = (offset: number | undefined): number | undefined =>
    offset === undefined ? undefined : lines.linePos(offset).line;
  const results: DocResult[] = [];
  docs.forEach((d, i) => {
    const r: DocResult = { doc: i + 1, problems: [] };
    if (d.errors.length) {
      r.problems = d.errors.map((e) => ({
        path: '',
        line: lineAt(e.pos[0]),
        message: `YAML: ${e.message.split('\n')[0]}`,
      }));
      results.push(r);
      return;
    }
    const obj = d.toJS({ maxAliasCount: 100 }) as unknown;
    if (obj === null || obj === undefined) return; // an empty document, skipped as kubectl does
    if (isObject(obj)) {
      if (typeof obj.kind === 'string') r.kind = obj.kind;
      const meta = isObject(obj.metadata) ? obj.metadata : {};
      if (typeof meta.name === 'string') r.name = meta.name;
      else if (typeof meta.generateName === 'string') r.name = `${meta.generateName}*`;
      if (typeof meta.namespace === 'string') r.namespace = meta.namespace;
    }
    r.problems = v
      .validate(obj)
      .map((p) => ({ path: formatPath(p.path), line: lineAt(locate(d, p.path).offset), message: p.message }));
    results.push(r);
  });
  return results;
}

/**
 * The start offset of the node at `path` in `doc` (of its key, for a mapping entry), or of the
 * nearest parent found, and how many steps of `path` were found.
 */
export function locate(doc: Document, path: readonly Segment[]): { offset: number | undefined; found: number } {
  let node: unknown = doc.contents;
  let offset = (node as { range?: [number] } | null)?.range?.[0];
  let found = 0;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      offset = (pair.key as { range?: [number] }).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number' && node.items[seg]) {
      node = node.items[seg];
      offset = (node as { range?: [number] }).range?.[0] ?? offset;
    } else break;
    found += 1;
  }
  return { offset, found };
}

/** ['spec', 'ports', 0, 'name'] → "spec.ports[0].name"; keys that are not plain names go in brackets. */
export function formatPath(path: readonly Segment[]): string {
  let out = '';
  for (const s of path) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(s)) out += out ? `.${s}` : s;
    else out += `[${s}]`;
  }
  return out;
}

/** "schedule: unknown macro" at spec.schedule reads "spec.schedule: unknown macro". */
export function stripPrefix(path: string, message: string): string {
  const colon = message.indexOf(': ');
  if (colon < 0) return message;
  const head = message.slice(0, colon);
  return path === head || path.endsWith(`.${head}`) ? message.slice(colon + 2) : message;
}
