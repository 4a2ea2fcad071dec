#!/usr/bin/env node
// Runs one test suite with node's test runner (TypeScript through tsx) and records its counts.
//   node scripts/run-tests.mjs unit      unit tests: *.test.ts beside the code, no network
//   node scripts/run-tests.mjs e2e       end-to-end tests under e2e/ (needs cluster and services)
//   node scripts/run-tests.mjs summary   one line over the suites recorded since `make test` began
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const resultsDir = join(root, '.cluster', 'results');

const suites = {
  // testkit/ holds what e2e/ and bench/ share; its own tests need no servers.
  unit: {
    roots: [
      'api',
      'runtime',
      'locks',
      'election',
      'config',
      'app-election',
      'controllers',
      'validate',
      'server',
      'operator',
      'cli',
      'testkit',
      'bench',
      'scripts',
    ],
    skip: [],
    args: [],
  },
  e2e: {
    roots: ['e2e'],
    skip: [],
    // One file at a time: they share one control plane on a 2-core machine.
    args: ['--test-concurrency=1', '--test-timeout=600000'],
  },
};

function findTests(dir, skip, out) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (skip.includes(relative(root, path))) continue;
    if (statSync(path).isDirectory()) findTests(path, skip, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, path));
  }
  return out;
}

function summary() {
  const total = { pass: 0, fail: 0, skipped: 0 };
  const parts = [];
  if (existsSync(resultsDir)) {
    // One <suite>.json per suite; other entries (test artifacts such as screenshots) are not counts.
    for (const file of readdirSync(resultsDir)
      .filter((f) => f.endsWith('.json'))
      .sort()) {
      const c = JSON.parse(readFileSync(join(resultsDir, file), 'utf8') || '{}');
      total.pass += c.pass ?? 0;
      total.fail += (c.fail ?? 0) + (c.cancelled ?? 0);
      total.skipped += (c.skipped ?? 0) + (c.todo ?? 0);
      parts.push(`${file.replace(/\.json$/, '')} ${c.pass ?? 0}/${c.tests ?? 0}`);
    }
  }
  console.log(`suites: ${parts.join(', ') || 'none'}`);
  console.log(`tests: ${total.pass} passed, ${total.fail} failed, ${total.skipped} skipped`);
  return total.fail === 0 && total.pass > 0 ? 0 : 1;
}

const which = process.argv[2];
if (which === 'summary') process.exit(summary());
const suite = suites[which];
if (!suite) {
  console.error(`usage: run-tests.mjs unit|e2e|summary (got ${which ?? 'nothing'})`);
  process.exit(2);
}
const files = suite.roots.flatMap((r) => findTests(join(root, r), suite.skip, [])).sort();
const only = process.argv.slice(3);
const selected = only.length ? files.filter((f) => only.some((o) => f.includes(o))) : files;
if (selected.length === 0) {
  console.error(`run-tests: no ${which} test files found`);
  process.exit(1);
}
mkdirSync(resultsDir, { recursive: true });
const res = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    ...suite.args,
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    `--test-reporter=${join(root, 'scripts', 'count-reporter.mjs')}`,
    `--test-reporter-destination=${join(resultsDir, `${which}.json`)}`,
    ...selected,
  ],
  { cwd: root, stdio: 'inherit' },
);
process.exit(res.status ?? 1);
