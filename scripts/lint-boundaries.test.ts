// The layer rule really refuses an upward import, naming the rule, and lets a downward one pass.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { ALLOWED, boundaries } from './lint-boundaries.mjs';

const eslint = new ESLint({
  overrideConfigFile: true,
  overrideConfig: [{ files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } }, ...boundaries],
});

async function problems(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: file });
  return (result?.messages ?? []).map((m) => m.message);
}

test('an upward import fails with a message naming the boundary', async () => {
  const found = await problems('election/leader-gate.ts', "import { OperatorMetrics } from '../server/metrics.ts';\n");
  assert.equal(found.length, 1);
  assert.match(found[0]!, /layer boundary: election\/ may import locks\/, runtime\//);
  assert.equal((await problems('controllers/shared/apply.ts', "import '../../operator/run.ts';\n")).length, 1);
  assert.equal((await problems('api/types.ts', "import '../runtime/clock.ts';\n")).length, 1);
  assert.equal((await problems('runtime/informer.ts', "import '../testkit/kube.ts';\n")).length, 1);
  // The application's election library stands on the election core alone, never on the operator.
  const lib = await problems('app-election/election.ts', "import '../operator/run.ts';\n");
  assert.equal(lib.length, 1);
  assert.match(lib[0]!, /layer boundary: app-election\/ may import config\/, election\/, locks\/, runtime\//);
});

test('every allowed import passes, and each folder may import its own files', async () => {
  for (const [layer, allowed] of Object.entries(ALLOWED)) {
    for (const target of [...allowed, layer]) {
      const found = await problems(`${layer}/a/b.ts`, `import '../../${target}/x.ts';\n`);
      assert.deepEqual(found, [], `${layer} → ${target}`);
    }
  }
});
