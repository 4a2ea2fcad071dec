// The election library's example app (examples/report-job) as a user runs it: the package built
// to JavaScript, installed as node_modules/highlander, two copies of the app with plain node on
// the real Redis and the real Lease. One leads and writes; SIGTERM hands over to the other at once.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { STARTUP_MS, uniqueTenant } from '../../testkit/backends.ts';
import { kubeconfigPath, repoRoot } from '../../testkit/kube.ts';
import { OperatorProcess } from '../../testkit/operator-process.ts';
import { loadServicesEnv } from '../../testkit/services.ts';
import { termsOf } from './candidates.ts';

let app: string;
const running: OperatorProcess[] = [];

before(async () => {
  // An application folder with the package installed the way npm would lay it out.
  // Outside the checkout: inside it, `highlander/election` would resolve to the checkout itself
  // (a package may import itself by name), not to the installed node_modules/highlander.
  app = mkdtempSync(join(tmpdir(), 'highlander-example-app-'));
  const pkg = join(app, 'node_modules', 'highlander');
  mkdirSync(pkg, { recursive: true });
  await promisify(execFile)(process.execPath, [join(repoRoot, 'scripts/build.mjs'), '--out', join(pkg, 'dist')]);
  copyFileSync(join(repoRoot, 'package.json'), join(pkg, 'package.json'));
  symlinkSync(join(repoRoot, 'node_modules'), join(pkg, 'node_modules'));
  copyFileSync(join(repoRoot, 'examples/report-job/report-job.mjs'), join(app, 'report-job.mjs'));
});
after(async () => {
  await Promise.all(running.splice(0).map((p) => p.kill()));
  rmSync(app, { recursive: true, force: true });
});

const stores: Record<string, () => Record<string, string>> = {
  redis: () => ({ REDIS_ADDR: loadServicesEnv().redisAddr }),
  kubernetes: () => ({ LEASE_NAMESPACE: 'default', KUBECONFIG: kubeconfigPath }),
};

for (const [store, env] of Object.entries(stores)) {
  describe(`the library example on ${store}`, () => {
    test('one copy leads and writes with its epoch; SIGTERM hands over to the other at once', async () => {
      const out = join(app, `${store}.lines`);
      const base = { ...env(), LOCK: uniqueTenant('example') };
      const command = [process.execPath, join(app, 'report-job.mjs'), out];
      const a = new OperatorProcess('a', { ...base, IDENTITY: 'a' }, [], command);
      running.push(a);
      await a.waitForLog((l) => l.msg === 'leading', STARTUP_MS);
      const b = new OperatorProcess('b', { ...base, IDENTITY: 'b' }, [], command);
      running.push(b);
      await b.waitForLog((l) => l.msg === 'campaigning', STARTUP_MS);
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(b.logs('leading').length, 0, 'two leaders');

      const termAt = Date.now();
      a.signal('SIGTERM');
      const led = await b.waitForLog((l) => l.msg === 'leading', 5000);
      const handoverMs = Date.now() - termAt;
      assert.ok(handoverMs < 1000, `handover took ${handoverMs} ms`);
      assert.deepEqual(await a.exited, { code: 0, signal: null }, a.stderr.join('\n'));
      assert.equal(a.logs('stopped leading')[0]?.reason, 'shutdown');
      await new Promise((r) => setTimeout(r, 300));
      const terms = termsOf(out);
      assert.deepEqual(
        terms.map((t) => t.pid),
        [a.pid, b.pid],
      );
      assert.ok(terms[1]!.epoch > terms[0]!.epoch);
      assert.equal(terms[1]!.epoch, led.epoch);
      console.log(JSON.stringify({ store, handoverMs }));
    });
  });
}
