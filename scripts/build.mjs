#!/usr/bin/env node
// `npm run build`: compiles the production folders to JavaScript and declarations with tsc
// (tsconfig.build.json), then copies beside them the files the code reads at run time, at the
// same paths relative to the modules that read them. dist/ is then a self-contained tree:
// `new URL('../crds/', import.meta.url)` finds the same thing from the sources and from dist/,
// no code needs to know which it runs from, and the image copies dist/ alone.
//   node scripts/build.mjs [--out DIR]   DIR defaults to dist/ (tests build elsewhere)
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Files and folders, relative to the repository, that the built code reads at run time. */
const ASSETS = ['config/config.schema.json', 'server/dashboard', 'crds'];

const at = process.argv.indexOf('--out');
const out = at > 0 && process.argv[at + 1] ? resolve(process.argv[at + 1]) : join(root, 'dist');

// A clean tree each time: a source deleted since the last build leaves no module behind.
rmSync(out, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const res = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', out], {
  stdio: 'inherit',
});
if (res.status !== 0) process.exit(res.status ?? 1);
for (const asset of ASSETS) {
  mkdirSync(dirname(join(out, asset)), { recursive: true });
  cpSync(join(root, asset), join(out, asset), { recursive: true });
}
console.log(`build: ${out}`);
