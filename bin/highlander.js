#!/usr/bin/env node
// Entry point of the `highlander` command. Runs the compiled JavaScript in dist/ (`npm run
// build`; what the image ships) when it is there. HIGHLANDER_DEV=1, or a checkout without
// dist/, runs the TypeScript sources instead, through tsx: a devDependency, so that path exists
// only where dev dependencies are installed. Tests and the demo set HIGHLANDER_DEV=1, so that
// they run the sources they were written against, never a dist/ built from older ones.
import { existsSync } from 'node:fs';

const dist = new URL('../dist/cli/main.js', import.meta.url);
const fromSources = process.env.HIGHLANDER_DEV === '1' || !existsSync(dist);

async function loadSources() {
  try {
    const { register } = await import('tsx/esm/api');
    register();
  } catch (err) {
    if (err?.code !== 'ERR_MODULE_NOT_FOUND') throw err;
    process.stderr.write('highlander: dist/ is missing and tsx is not installed: run `npm run build` first\n');
    process.exit(1);
  }
  return import('../cli/main.ts');
}

const { main } = fromSources ? await loadSources() : await import(dist.href);
process.exitCode = await main(process.argv.slice(2), process.env);
