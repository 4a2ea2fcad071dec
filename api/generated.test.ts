// api/generated.ts must be what api/generate.ts makes of the CRDs as they are: a CRD edited
// without `make api-types` fails here, naming the fix.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { GENERATED_PATH, renderGeneratedTypes } from './generate.ts';

test('api/generated.ts matches the CRDs (run `make api-types` after changing one)', async () => {
  assert.equal(
    readFileSync(GENERATED_PATH, 'utf8'),
    await renderGeneratedTypes(),
    'api/generated.ts is stale: run `make api-types`',
  );
});
