// `npm run build` (scripts/build.mjs), into a folder of its own: the tree it makes holds every
// production module as JavaScript with its declarations, none of the tests or their helpers,
// the files the code reads at run time, and runs with plain node (no TypeScript loader).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../', import.meta.url));
const PRODUCTION = [
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
];
/** Test helpers that sit beside production code and must stay out of the build. */
const HELPERS = ['runtime/fake-clock', 'locks/memory/memory-store', 'api/generate', 'api/testing', 'validate/testing'];

/** Files under `dir`, relative to `base`. */
function walk(dir: string, base: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, base, out);
    else out.push(relative(base, path));
  }
  return out;
}

let out: string;
let files: string[];
before(async () => {
  // Inside the repository, so that the built modules resolve node_modules/ as dist/ would.
  mkdirSync(join(root, '.cluster'), { recursive: true });
  out = mkdtempSync(join(root, '.cluster', 'build-test-'));
  await run(process.execPath, [join(root, 'scripts/build.mjs'), '--out', out], { cwd: root });
  files = walk(out, out);
});
after(() => rmSync(out, { recursive: true, force: true }));

describe('npm run build', () => {
  test('every production module becomes .js and .d.ts; tests and test helpers do not', () => {
    const sources = PRODUCTION.flatMap((d) => walk(join(root, d), root)).filter(
      (f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('/testing.ts'),
    );
    const modules = sources.map((f) => f.slice(0, -3)).filter((m) => !HELPERS.includes(m));
    assert.ok(modules.includes('cli/main') && modules.length > 50, `${modules.length} modules`);
    for (const m of modules) {
      assert.ok(files.includes(`${m}.js`), `${m}.js`);
      assert.ok(files.includes(`${m}.d.ts`), `${m}.d.ts`);
    }
    const strays = files.filter(
      (f) =>
        /\.test\.|testing\.|\.ts$/.test(f.replace(/\.d\.ts$/, '')) ||
        HELPERS.some((h) => f.startsWith(`${h}.`)) ||
        f.startsWith('locks/memory/'),
    );
    assert.deepEqual(strays, []);
  });

  test('the compiled modules import .js, never .ts', () => {
    for (const f of files.filter((f) => f.endsWith('.js') && !f.startsWith('server/dashboard/'))) {
      assert.doesNotMatch(readFileSync(join(out, f), 'utf8'), /from ['"][^'"]+\.ts['"]/, f);
    }
  });

  test('the files read at run time are copied beside the modules that read them', () => {
    for (const f of ['config/config.schema.json', 'server/dashboard/index.html', 'crds/workloadprocesses.yaml']) {
      assert.ok(existsSync(join(out, f)), f);
      assert.equal(readFileSync(join(out, f), 'utf8'), readFileSync(join(root, f), 'utf8'), f);
    }
  });

  test('runs with plain node: --version, and validate reading the CRDs and the config schema from the build', async () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    const main = join(out, 'cli/main.js');
    const env = { PATH: process.env.PATH ?? '' };
    assert.equal((await run(process.execPath, [main, '--version'], { env })).stdout, `${pkg.version}\n`);
    const seed = join(root, 'testkit/fixtures/seed/cr-sample-cronjob.yaml');
    const { stdout } = await run(process.execPath, [main, 'validate', '-f', seed], { env });
    assert.match(stdout, /WorkloadCronJob default\/sample-cronjob ok/);
  });

  test('the election library imports from plain node by the package name, with its declarations', async () => {
    // An app's node_modules/highlander: the package.json, the build as dist/, the dependencies.
    // Outside the checkout: inside it, the name would resolve to the checkout itself (a package
    // may import itself by name through its exports), not to node_modules/highlander.
    const app = mkdtempSync(join(tmpdir(), 'highlander-build-test-app-'));
    try {
      const pkg = join(app, 'node_modules', 'highlander');
      mkdirSync(pkg, { recursive: true });
      copyFileSync(join(root, 'package.json'), join(pkg, 'package.json'));
      symlinkSync(out, join(pkg, 'dist'));
      symlinkSync(join(root, 'node_modules'), join(pkg, 'node_modules'));
      const probe = [
        "import * as lib from 'highlander/election';",
        'console.log(Object.keys(lib).sort().join(","));',
        "await lib.elect({ store: { type: 'redis', addr: 'nowhere' }, lock: 'x' }).catch((e) => console.log(e.name, e.problems.join('; ')));",
      ].join('\n');
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', probe], {
        cwd: app,
        env: { PATH: process.env.PATH ?? '' },
      });
      assert.equal(
        stdout,
        'ConfigError,Election,elect,runWhileLeader\nConfigError store.addr: must be host:port (got "nowhere")\n',
      );
      const types = readFileSync(join(out, 'app-election/index.d.ts'), 'utf8');
      assert.match(types, /export \{ elect, Election \}/);
      assert.match(readFileSync(join(out, 'app-election/options.d.ts'), 'utf8'), /export interface ElectOptions/);
    } finally {
      rmSync(app, { recursive: true, force: true });
    }
  });
});

describe('the image build', () => {
  test('the Dockerfile copies, and .dockerignore lets in, every folder the build compiles', () => {
    const build = JSON.parse(readFileSync(join(root, 'tsconfig.build.json'), 'utf8')) as { include: string[] };
    const folders = build.include.map((glob) => glob.split('/')[0]!);
    const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
    const ignore = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n');
    const missing = folders.filter((f) => !dockerfile.includes(`COPY ${f} ./${f}\n`) || !ignore.includes(`!${f}/`));
    assert.deepEqual(missing, [], 'compiled by npm run build but left out of the image');
  });
});
