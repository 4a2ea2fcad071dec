// The chaos suite's short run inside `make test`: on each lock store, three real operator replicas
// and workloads of all four kinds go through one round of each kind of fault (in turn, not at
// random, so every kind is covered), and the checker must find no stale write accepted, no two
// pods of one singleton running at once, every round converged and every CR Ready at the end.
// `make chaos ROUNDS=200` is the long run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Fault } from './faults.ts';
import { runChaos } from './run.ts';

// Every fault but the minute-long every-node-NotReady one (`make chaos SLOW=1`). Each store gets
// the sequence from a different starting point, so a fault meets each store in a different state.
const SEQUENCE: Fault[] = [
  'kill',
  'stall-both',
  'pause',
  'cut-store',
  'store-restart',
  'term',
  'cut-api',
  'stall-api',
  'api-restart',
  'cut-both',
  'pod-delete',
];
const ROUNDS = 6;
const STORES = ['kubernetes', 'redis', 'db', 'spanner'] as const;

test(
  'chaos smoke: every store keeps exactly one writer and one running pod per singleton',
  { timeout: 1_500_000 },
  async () => {
    const lines: Record<string, unknown>[] = [];
    for (const [i, store] of STORES.entries()) {
      const sequence = [...SEQUENCE.slice(i * 3), ...SEQUENCE.slice(0, i * 3)];
      lines.push(...(await runChaos({ rounds: ROUNDS, stores: [store], seed: 1, slow: false, sequence })));
    }
    for (const line of lines) {
      const { store, diag } = line as { store: string; diag: { rounds_not_converged: number; fault_errors: number } };
      const report = JSON.stringify(line);
      assert.equal(line.stale_writes_accepted, 0, `${store}: a superseded writer's write was accepted: ${report}`);
      assert.equal(line.double_running_ms, 0, `${store}: two pods of one singleton ran at once: ${report}`);
      assert.equal(line.not_ready_at_end, 0, `${store}: CRs left not Ready: ${report}`);
      assert.equal(diag.rounds_not_converged, 0, `${store}: a round did not converge within 90 s: ${report}`);
      assert.equal(diag.fault_errors, 0, `${store}: a fault could not be injected: ${report}`);
    }
  },
);
