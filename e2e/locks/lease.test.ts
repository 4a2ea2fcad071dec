// The lock-store contract on a real Kubernetes Lease (the local control plane).
import { after, before } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { LeaseStore } from '../../locks/lease/lease-store.ts';
import { createTestNamespace, loadKubeConfig } from '../../testkit/kube.ts';
import type { TestNamespace } from '../../testkit/kube.ts';
import { lockStoreContract } from './contract.ts';

const kc = loadKubeConfig();
let ns: TestNamespace | undefined;
before(async () => {
  ns = await createTestNamespace(kc, 'lease-lock');
});
after(async () => {
  await ns?.remove();
});

lockStoreContract(
  'kubernetes',
  (lockName) => Promise.resolve(new LeaseStore({ kubeConfig: loadKubeConfig(), namespace: ns!.name, lockName })),
  {
    unreachable: () => {
      const dead = new KubeConfig();
      dead.loadFromOptions({
        clusters: [{ name: 'dead', server: 'https://127.0.0.1:1', skipTLSVerify: true }],
        users: [{ name: 'u', token: 'x' }],
        contexts: [{ name: 'dead', cluster: 'dead', user: 'u' }],
        currentContext: 'dead',
      });
      return Promise.resolve(
        new LeaseStore({ kubeConfig: dead, namespace: 'default', lockName: 'x', timeoutMs: 2000 }),
      );
    },
    unreachableDeadlineMs: 2000,
  },
);
