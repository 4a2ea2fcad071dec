import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { CommanderError } from 'commander';
import { buildProgram } from './main.ts';
import { packageVersion } from './version.ts';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

test('packageVersion reads package.json from the sources and from one level deeper (dist/cli/)', () => {
  assert.equal(packageVersion(), pkg.version);
  // dist/ need not exist: the search only asks each folder above for a package.json.
  assert.equal(packageVersion(new URL('../dist/cli/main.js', import.meta.url)), pkg.version);
});

test('highlander --version prints the package version and exits 0', async () => {
  let out = '';
  const program = buildProgram({}).configureOutput({ writeOut: (s) => (out += s) });
  await assert.rejects(program.parseAsync(['--version'], { from: 'user' }), (err: unknown) => {
    assert.ok(err instanceof CommanderError);
    assert.equal(err.exitCode, 0);
    return true;
  });
  assert.equal(out, `${pkg.version}\n`);
});
