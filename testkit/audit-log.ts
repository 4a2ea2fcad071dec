// The local API server's audit log (e2e/cluster/audit-policy.yaml logs the operator ServiceAccount's
// requests): a mark of where it stands, and the requests written since, across log rotation.
import { open, readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { repoRoot } from './kube.ts';
import { SA_USER } from './operator-account.ts';

/** The audit log of the local cluster. */
export const AUDIT_LOG = `${repoRoot}.cluster/cluster/logs/audit.log`;

/** An audit event, as much of it as the count needs. */
export interface AuditEvent {
  stage?: string;
  verb?: string;
  stageTimestamp?: string;
  user?: { username?: string; extra?: Record<string, string[]> };
  objectRef?: { resource?: string; subresource?: string; apiGroup?: string; namespace?: string; name?: string };
  responseStatus?: { code?: number; message?: string };
  /** The request body, for the requests the policy logs at level Request (the operators' writes). */
  requestObject?: unknown;
}

/** Where the audit log stood at a moment: which file (inode) and how long it was. */
export interface AuditMark {
  ino: number;
  size: number;
  atMs: number;
}

/** Where the audit log stands now. */
export async function auditMark(): Promise<AuditMark> {
  const s = await stat(AUDIT_LOG);
  return { ino: s.ino, size: s.size, atMs: Date.now() };
}

/** `path`'s contents from byte `offset` on. */
export async function readFrom(path: string, offset: number): Promise<string> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const buf = Buffer.alloc(Math.max(0, size - offset));
    await fh.read(buf, 0, buf.length, offset);
    return buf.toString('utf8');
  } finally {
    await fh.close();
  }
}

/**
 * Requests by our operators' token that completed in [fromMs, toMs), from the audit text written
 * since `mark`. The API server rotates a full log (100 MB) to audit-<time>.log: the marked file
 * is read from the mark on, files written to after the mark in full.
 */
export async function auditedRequests(
  mark: AuditMark,
  credentialId: string,
  fromMs: number,
  toMs: number,
): Promise<AuditEvent[]> {
  const dir = dirname(AUDIT_LOG);
  const out: AuditEvent[] = [];
  for (const file of (await readdir(dir)).filter((f) => /^audit(-.+)?\.log$/.test(f))) {
    const path = join(dir, file);
    const s = await stat(path);
    if (s.ino !== mark.ino && s.mtimeMs < mark.atMs) continue;
    for (const line of (await readFrom(path, s.ino === mark.ino ? mark.size : 0)).split('\n')) {
      if (!line.includes(SA_USER)) continue;
      let e: AuditEvent;
      try {
        e = JSON.parse(line) as AuditEvent;
      } catch {
        continue; // a line the API server was still writing when the mark was taken: it is before the window
      }
      const at = Date.parse(e.stageTimestamp ?? '');
      if (e.stage !== 'ResponseComplete' || e.user?.username !== SA_USER || at < fromMs || at >= toMs) continue;
      if (!(e.user.extra?.['authentication.kubernetes.io/credential-id'] ?? []).includes(credentialId)) continue;
      out.push(e);
    }
  }
  return out;
}

/** Counts by "verb resource[/subresource][.group]", most frequent first. */
export function breakdown(events: readonly AuditEvent[]): Record<string, number> {
  const counts = new Map<string, number>();
  for (const e of events) {
    const key = `${e.verb ?? '?'} ${resourceOf(e)}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return Object.fromEntries([...counts].sort((a, b) => b[1] - a[1]));
}

/** A request on a Lease. */
export const isLease = (e: AuditEvent): boolean =>
  e.objectRef?.apiGroup === 'coordination.k8s.io' && e.objectRef.resource === 'leases';
/** "resource[/subresource][.group]" of a request. */
export const resourceOf = (e: AuditEvent): string => {
  const r = e.objectRef;
  const name = `${r?.resource ?? '?'}${r?.subresource ? `/${r.subresource}` : ''}`;
  return r?.apiGroup ? `${name}.${r.apiGroup}` : name;
};
