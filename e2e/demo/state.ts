// What a running demo recorded about itself (demo.env in its state directory): ports, pids,
// tenant, namespace. demo.sh writes it; tests read it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** demo.env as a map (the values the tests read are plain words and numbers). */
export function readDemoState(stateDir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(join(stateDir, 'demo.env'), 'utf8').split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line);
    if (m?.[1]) out[m[1]] = m[2] ?? '';
  }
  return out;
}
