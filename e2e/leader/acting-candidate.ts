// A test candidate: the operator's own config, lock store and leader gate, plus a worker that
// "acts" every 10 ms while the gate says it leads, appending {id, epoch, t} lines to a file.
// Usage: node --import tsx acting-candidate.ts ACT_LOG (settings from HIGHLANDER_* variables).
import { appendFileSync } from 'node:fs';
import { loadConfig } from '../../config/config.ts';
import { loadKubeConfig } from '../../runtime/kubeconfig.ts';
import { LeaderGate } from '../../election/leader-gate.ts';
import { createLockStore } from '../../election/store-factory.ts';
import { holderIdentity } from '../../election/identity.ts';

const actLog = process.argv[2];
if (!actLog) throw new Error('usage: acting-candidate.ts ACT_LOG');
const cfg = loadConfig({ env: process.env });
const store = await createLockStore(cfg, { kubeConfig: () => loadKubeConfig(cfg.cluster.kubeconfig) });
const id = holderIdentity(cfg.id);
const gate = new LeaderGate({
  store,
  identity: id,
  timings: cfg.leaderElection,
  callbacks: {
    onStartedLeading: ({ signal, epoch }) => {
      console.log(JSON.stringify({ msg: 'became leader', epoch, id }));
      return new Promise<void>((resolve) => {
        const timer = setInterval(() => {
          // The check a controller makes before every write: leadership, on the monotonic clock.
          if (gate.isLeader()) appendFileSync(actLog, `${JSON.stringify({ id, epoch, t: Date.now() })}\n`);
        }, 10);
        signal.addEventListener('abort', () => {
          clearInterval(timer);
          resolve();
        });
      });
    },
    onStoppedLeading: ({ epoch, reason }) => console.log(JSON.stringify({ msg: 'leadership ended', epoch, reason })),
  },
});
await gate.start();
process.once('SIGTERM', () => {
  void gate
    .stop()
    .then(() => store.close())
    .then(() => process.exit(0));
});
