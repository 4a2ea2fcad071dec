// A leader's delete is conditional on the version it saw (uid and resourceVersion preconditions
// in the request's DeleteOptions): a delete of a child that was replaced or changed meanwhile is
// refused by the API server. Found by the namesake test: Node sends a DELETE's body unframed
// unless given its length, so the server saw an unconditional delete and then read the options as
// the next request on the connection (400 Bad Request). Talks to the real API server.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CoreV1Api } from '@kubernetes/client-node';
import type { V1Service } from '@kubernetes/client-node';
import { childWriter } from '../../controllers/shared/apply.ts';
import { KubeApiError, KubeClient } from '../../runtime/kube-client.ts';
import { unguarded } from '../../runtime/write-guard.ts';
import { createTestNamespace, loadKubeConfig, mergePatch, statusOf } from '../../testkit/kube.ts';
import type { TestNamespace } from '../../testkit/kube.ts';

const kc = loadKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const client = new KubeClient(kc);
const writer = childWriter(client);
let ns: TestNamespace;

before(async () => {
  ns = await createTestNamespace(kc, 'delpre');
});
after(async () => {
  client.close();
  await ns?.remove();
});

const seen = async (name: string): Promise<V1Service> => {
  const svc = await core.readNamespacedService({ name, namespace: ns.name });
  return { ...svc, apiVersion: 'v1', kind: 'Service' };
};

test('a delete with a uid or resourceVersion the object no longer has is refused, and the connection stays usable', async () => {
  // A headless Service: a child kind the writer knows, with no address to it.
  const spec = { clusterIP: 'None', selector: { app: 'c' }, ports: [{ port: 80 }] };
  await core.createNamespacedService({ namespace: ns.name, body: { metadata: { name: 'c' }, spec } });
  const before = await seen('c');

  const refusal = async (obj: V1Service, what: RegExp) => {
    await assert.rejects(writer.delete(obj, unguarded(1)), (err: unknown) => {
      assert.ok(err instanceof KubeApiError, String(err));
      assert.equal(err.code, 409, err.message);
      assert.match(err.message, what);
      return true;
    });
    // The object is still there, and the next request on the client's connections is answered.
    assert.equal(
      (await client.send<V1Service>({ method: 'GET', path: `/api/v1/namespaces/${ns.name}/services/c` })).metadata
        ?.name,
      'c',
    );
  };
  await refusal({ ...before, metadata: { ...before.metadata, uid: '00000000-0000-0000-0000-000000000000' } }, /UID/i);
  await core.patchNamespacedService(
    { name: 'c', namespace: ns.name, body: { metadata: { labels: { changed: 'yes' } } } },
    mergePatch,
  );
  await refusal(before, /ResourceVersion/i);

  await writer.delete(await seen('c'), unguarded(1));
  await assert.rejects(seen('c'), (err: unknown) => statusOf(err) === 404);
});
