// Keeps docs/ true to the code: every config key and variable, every metric and every HTTP route
// the code defines is documented, nothing documented is invented, and the README links each page.
// The checks are pure functions over the docs' text, so each one is also shown to fail on a doc
// that lacks what it looks for.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { reconcileMetrics, workqueueMetrics } from '../runtime/metrics.ts';
import { EventHub } from '../server/event-hub.ts';
import { createApp } from '../server/http-server.ts';
import { OperatorMetrics } from '../server/metrics.ts';

const root = new URL('../', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, root), 'utf8');
const DOCS = [
  'architecture.md',
  'configuration.md',
  'development.md',
  'exactly-once.md',
  'http-api.md',
  'metrics.md',
  'operations.md',
];

/** The cells of every Markdown table row, trimmed (header and separator rows included). */
function tableRows(md: string): string[][] {
  return md
    .split('\n')
    .filter((l) => l.startsWith('|'))
    .map((l) =>
      l
        .slice(1, l.trimEnd().endsWith('|') ? l.trimEnd().length - 1 : undefined)
        .split(/(?<!\\)\|/)
        .map((c) => c.trim()),
    );
}

/** The backticked names in the first cell of each table row (`a`, `b` → a, b). */
function firstCellNames(md: string): Set<string> {
  const names = new Set<string>();
  for (const [first] of tableRows(md)) for (const m of (first ?? '').matchAll(/`([^`]+)`/g)) names.add(m[1]!);
  return names;
}

/** Items of `wanted` missing from `have`. */
const missing = (wanted: Iterable<string>, have: ReadonlySet<string>): string[] =>
  [...new Set(wanted)].filter((w) => !have.has(w)).sort();

// ---- configuration ----------------------------------------------------------------------------

interface SchemaNode {
  properties?: Record<string, SchemaNode>;
  $defs?: Record<string, SchemaNode>;
  items?: SchemaNode;
  allOf?: SchemaNode[];
}
const schema = JSON.parse(read('config/config.schema.json')) as SchemaNode;

/** Top-level keys, and `parent.key` for the sub-keys of the settings that are mappings. */
function schemaKeys(s: SchemaNode): string[] {
  const top = Object.keys(s.properties ?? {});
  const nested = ['leaderElection', 'redis', 'spanner', 'cluster', 'http', 'workloads'].flatMap((parent) =>
    Object.keys(s.properties?.[parent]?.properties ?? {}).map((k) => `${parent}.${k}`),
  );
  return [...top, ...nested];
}

/** Every property name anywhere in the schema (workload item fields included). */
function allPropertyNames(s: SchemaNode, out = new Set<string>()): Set<string> {
  for (const [k, v] of Object.entries(s.properties ?? {})) {
    out.add(k);
    allPropertyNames(v, out);
  }
  for (const v of Object.values(s.$defs ?? {})) allPropertyNames(v, out);
  for (const v of s.allOf ?? []) allPropertyNames(v, out);
  if (s.items) allPropertyNames(s.items, out);
  return out;
}

/** The source of the config layer (config.ts and the modules beside it), tests excluded. */
const configSource = readdirSync(new URL('config/', root))
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
  .map((f) => read(`config/${f}`))
  .join('\n');

/** Variables the config layer reads: HIGHLANDER_* names, quoted variable names, `env.NAME`. */
function envVariables(source: string): string[] {
  const found = new Set<string>();
  for (const m of source.matchAll(/\bHIGHLANDER_[A-Z0-9_]*[A-Z0-9]\b/g)) found.add(m[0]);
  for (const m of source.matchAll(/'([A-Z][A-Z0-9]*_[A-Z0-9_]*[A-Z0-9])'/g)) found.add(m[1]!);
  for (const m of source.matchAll(/\benv\.([A-Z][A-Z0-9_]*)/g)) found.add(m[1]!);
  return [...found].sort();
}

/** What the configuration page fails to document, and what it documents that does not exist. */
function checkConfiguration(md: string): { undocumented: string[]; invented: string[] } {
  const rows = firstCellNames(md);
  const vars = envVariables(configSource);
  const stores = (schema.properties?.storageType as { enum?: string[] } | undefined)?.enum ?? [];
  const known = new Set([...schemaKeys(schema), ...allPropertyNames(schema), ...stores, ...vars]);
  const mentioned = new Set([...md.matchAll(/\bHIGHLANDER_[A-Z0-9_]*[A-Z0-9]\b/g)].map((m) => m[0]));
  return {
    undocumented: missing([...schemaKeys(schema), ...vars], rows),
    invented: [...missing(rows, known), ...missing(mentioned, new Set(vars))],
  };
}

describe('docs/configuration.md', () => {
  const md = read('docs/configuration.md');

  test('finds the settings and variables it checks', () => {
    const keys = schemaKeys(schema);
    for (const k of ['id', 'storageType', 'leaderElection.renewDeadline', 'redis.tls', 'http.handoverToken'])
      assert.ok(keys.includes(k), k);
    const vars = envVariables(configSource);
    for (const v of ['HIGHLANDER_ID', 'HIGHLANDER_WATCH_NAMESPACES', 'CONFIG_PATH', 'POD_NAMESPACE'])
      assert.ok(vars.includes(v), v);
  });

  test('documents every key of config.schema.json and every variable, in a table row', () => {
    assert.deepEqual(checkConfiguration(md).undocumented, []);
  });

  test('documents no key or variable that the code does not have', () => {
    assert.deepEqual(checkConfiguration(md).invented, []);
  });

  test('the checks fail on a page that lacks a key or invents one', () => {
    const withoutKey = md.replace(/^\| `leaderElection\.retryPeriod` \|.*\n/m, '');
    assert.deepEqual(checkConfiguration(withoutKey).undocumented, ['leaderElection.retryPeriod']);
    const withoutVar = md.replace(/^\| `HIGHLANDER_REDIS_TLS` \|.*\n/m, '');
    assert.deepEqual(checkConfiguration(withoutVar).undocumented, ['HIGHLANDER_REDIS_TLS']);
    const invented = `${md}\n| \`redis.magic\` | string | | | — | |\n\nSet HIGHLANDER_MAGIC to 1.\n`;
    assert.deepEqual(checkConfiguration(invented).invented, ['redis.magic', 'HIGHLANDER_MAGIC']);
  });
});

// ---- metrics ----------------------------------------------------------------------------------

/** Every metric the operator registers, with its type: OperatorMetrics and one kind's controller metrics. */
async function registeredMetrics(): Promise<Map<string, string>> {
  const m = new OperatorMetrics({ processMetrics: false });
  // controllers/workload-controllers.ts registers these for every kind into the same registry.
  workqueueMetrics(m.registry, 'WorkloadProcess');
  reconcileMetrics(m.registry, 'WorkloadProcess');
  return new Map((await m.registry.getMetricsAsJSON()).map((j) => [j.name, String(j.type)]));
}

/** prom-client's default metrics with their types, as a default OperatorMetrics registers them. */
async function processMetrics(): Promise<Map<string, string>> {
  const ours = await registeredMetrics();
  const all = await new OperatorMetrics().registry.getMetricsAsJSON();
  return new Map(all.filter((j) => !ours.has(j.name)).map((j) => [j.name, String(j.type)]));
}

/** The source of server/ (tests excluded): where the K8 Highlander metrics are defined. */
const serverSource = readdirSync(new URL('server/', root))
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
  .map((f) => read(`server/${f}`))
  .join('\n');

/** Metric names written in the sources (`${P}name` in server/, quoted names in runtime/). */
function sourceMetricNames(): string[] {
  const server = [...serverSource.matchAll(/`\$\{P\}([a-z_]+)`/g)].map((m) => `k8_highlander_${m[1]}`);
  const runtime = [...read('runtime/metrics.ts').matchAll(/'((?:workqueue|controller_runtime)_[a-z_]+)'/g)].map(
    (m) => m[1]!,
  );
  return [...server, ...runtime];
}

/** Metrics the page names as not exported: two of controller-runtime's. */
const NOT_EXPORTED = ['workqueue_unfinished_work_seconds', 'workqueue_longest_running_processor_seconds'];

/** A histogram's series name back to the metric's name. */
const baseName = (series: string): string => series.replace(/_(bucket|sum|count)$/, '');

function checkMetrics(
  md: string,
  registered: ReadonlyMap<string, string>,
  processNames: ReadonlyMap<string, string>,
): { undocumented: string[]; wrongType: string[]; invented: string[] } {
  const typeOf = new Map<string, string>();
  for (const cells of tableRows(md)) {
    const name = /^`([a-z0-9_]+)`$/.exec(cells[0] ?? '')?.[1];
    if (name && cells[1]) typeOf.set(name, cells[1]);
  }
  const wrongType = [...registered]
    .filter(([name, type]) => typeOf.has(name) && typeOf.get(name) !== type)
    .map(([name, type]) => `${name}: documented as ${typeOf.get(name)}, registered as ${type}`);
  const histograms = new Set(
    [...registered, ...processNames].filter(([, type]) => type === 'histogram').map(([n]) => n),
  );
  /** Names matching `re` that are neither in `allowed` nor a series of one of its histograms. */
  const unknown = (re: RegExp, allowed: ReadonlySet<string>): string[] =>
    [...new Set([...md.matchAll(re)].map((m) => m[0]))]
      .filter((n) => !allowed.has(n) && !(allowed.has(baseName(n)) && histograms.has(baseName(n))))
      .sort();
  return {
    undocumented: missing(registered.keys(), new Set(typeOf.keys())),
    wrongType,
    invented: [
      ...unknown(
        /\b(?:k8_highlander|controller_runtime|workqueue)_[a-z0-9_]*[a-z0-9]\b/g,
        new Set([...registered.keys(), ...NOT_EXPORTED]),
      ),
      ...unknown(/\b(?:process|nodejs)_[a-z0-9_]*[a-z0-9]\b/g, new Set(processNames.keys())),
    ],
  };
}

describe('docs/metrics.md', () => {
  const md = read('docs/metrics.md');

  test('the registry holds every metric the sources name, and none of the not-exported ones', async () => {
    const registered = await registeredMetrics();
    assert.deepEqual(missing(sourceMetricNames(), new Set(registered.keys())), []);
    assert.ok(registered.size >= 50, `only ${registered.size} metrics registered`);
    assert.ok(sourceMetricNames().includes('k8_highlander_db_lock_ttl_seconds'), 'names outside metrics.ts are found');
    assert.deepEqual(
      NOT_EXPORTED.filter((n) => registered.has(n)),
      [],
    );
    assert.ok((await processMetrics()).has('process_resident_memory_bytes'));
  });

  test('documents every registered metric in a table row with its type', async () => {
    const r = checkMetrics(md, await registeredMetrics(), await processMetrics());
    assert.deepEqual(r.undocumented, []);
    assert.deepEqual(r.wrongType, []);
  });

  test('names no metric the operator does not export, except those listed as not exported', async () => {
    assert.deepEqual(checkMetrics(md, await registeredMetrics(), await processMetrics()).invented, []);
  });

  test('the checks fail on a page that lacks a metric, mistypes one or invents one', async () => {
    const registered = await registeredMetrics();
    const proc = await processMetrics();
    const without = md.replace(/^\| `workqueue_retries_total` \|.*\n/m, '');
    assert.deepEqual(checkMetrics(without, registered, proc).undocumented, ['workqueue_retries_total']);
    const mistyped = md.replace('| `k8_highlander_is_leader` | gauge |', '| `k8_highlander_is_leader` | counter |');
    assert.equal(checkMetrics(mistyped, registered, proc).wrongType.length, 1);
    const invented = `${md}\n\`k8_highlander_magic_total\` and \`nodejs_magic_seconds\`\n`;
    assert.deepEqual(checkMetrics(invented, registered, proc).invented, [
      'k8_highlander_magic_total',
      'nodejs_magic_seconds',
    ]);
  });
});

// ---- HTTP routes ------------------------------------------------------------------------------

/** Route paths written in server/http-server.ts, in the docs' form (`:name` → `{name}`). */
function sourceRoutePaths(): string[] {
  const src = read('server/http-server.ts');
  return [...src.matchAll(/'(\/[A-Za-z0-9_.:/-]*)'/g)].map((m) => m[1]!.replace(/:(\w+)/g, '{$1}'));
}

/** Method and path of every route the app registers when every optional part is present. */
function registeredRoutes(): string[] {
  const app = createApp({
    metrics: new OperatorMetrics({ processMetrics: false }).registry,
    ready: () => ({ ready: true, reasons: [] }),
    compat: { status: () => ({}), workloads: () => ({}), find: () => ({ missing: true }), dbinfo: () => ({}) },
    status: () => ({}),
    workloads: { all: () => ({}), find: () => ({ missing: true }) },
    dbinfo: () => ({}),
    debug: () => ({}),
    events: { hub: new EventHub(), snapshot: () => ({}), heartbeat: () => ({}) },
    pods: () => [],
    failovers: () => [],
    handover: { token: 'a-token-of-sixteen', run: () => Promise.resolve({ handedOver: false, leader: null }) },
    dashboard: true,
  });
  const { stack } = (app as unknown as { router: { stack: { route?: RouteInfo }[] } }).router;
  return stack.flatMap(({ route }) => {
    if (!route) return [];
    const paths = Array.isArray(route.path) ? route.path : [route.path];
    return Object.keys(route.methods).flatMap((method) =>
      paths.map((p) => `${method.toUpperCase()} ${p.replace(/:(\w+)/g, '{$1}')}`),
    );
  });
}
interface RouteInfo {
  path: string | string[];
  methods: Record<string, boolean>;
}

/** `METHOD path` of every row of the route table (method cell, then a backticked path cell). */
function documentedRoutes(md: string): Set<string> {
  const out = new Set<string>();
  for (const cells of tableRows(md)) {
    const path = /^`(\/[^`]*)`$/.exec(cells[1] ?? '')?.[1];
    if (path && /^(GET|POST|PUT|PATCH|DELETE)$/.test(cells[0] ?? '')) out.add(`${cells[0]} ${path}`);
  }
  return out;
}

function checkRoutes(md: string, routes: readonly string[], paths: readonly string[]) {
  const documented = documentedRoutes(md);
  const registered = new Set(routes);
  return {
    undocumented: missing(routes, documented),
    pathsNotMentioned: paths.filter((p) => !md.includes(`\`${p}\``)),
    invented: missing(documented, registered),
  };
}

describe('docs/http-api.md', () => {
  const md = read('docs/http-api.md');

  test('finds the routes it checks', () => {
    const routes = registeredRoutes();
    for (const r of [
      'GET /healthz',
      'GET /health',
      'GET /api/workloads/{namespace}/{name}',
      'GET /api/v1/workloads/{namespace}/{name}',
      'GET /status',
      'POST /api/leader/handover',
    ])
      assert.ok(routes.includes(r), r);
    assert.deepEqual(missing(sourceRoutePaths(), new Set(routes.map((r) => r.split(' ')[1]!))), []);
  });

  test('documents every route with its method, and every path string of http-server.ts', () => {
    const r = checkRoutes(md, registeredRoutes(), sourceRoutePaths());
    assert.deepEqual(r.undocumented, []);
    assert.deepEqual(r.pathsNotMentioned, []);
  });

  test('documents no route the server does not register', () => {
    assert.deepEqual(checkRoutes(md, registeredRoutes(), sourceRoutePaths()).invented, []);
  });

  test('the checks fail on a page that lacks a route or invents one', () => {
    const without = md.replace(/^\| GET \| `\/api\/failovers` \|.*\n/m, '').replaceAll('`/api/failovers`', '');
    const r = checkRoutes(without, registeredRoutes(), sourceRoutePaths());
    assert.deepEqual(r.undocumented, ['GET /api/failovers']);
    assert.deepEqual(r.pathsNotMentioned, ['/api/failovers']);
    const invented = `${md}\n| DELETE | \`/api/workloads\` | no | 200 | — |\n`;
    assert.deepEqual(checkRoutes(invented, registeredRoutes(), sourceRoutePaths()).invented, ['DELETE /api/workloads']);
  });
});

// ---- README -----------------------------------------------------------------------------------

function checkReadme(readme: string, docs: readonly string[]) {
  return {
    unlinked: docs.filter((f) => !readme.includes(`](docs/${f})`)),
    outside: [...readme.matchAll(/\]\((\.\.\/[^)]*)\)|\.\.\/shared/g)].map((m) => m[0]),
    commands: ['make demo ', 'make test '].filter((c) => !readme.includes(`\n${c}`)),
  };
}

/** What the README's drop-in tables (routes, then metrics) leave out or invent. */
function checkDropIn(readme: string, routes: readonly string[], metrics: Iterable<string>) {
  const start = readme.indexOf('### Drop-in for K8 Highlander: routes');
  const section = start < 0 ? '' : readme.slice(start, readme.indexOf('\n## ', start));
  const names = firstCellNames(section);
  const metricNames = new Set(metrics);
  const listed = [...names];
  return {
    routesMissing: missing(routes, names),
    metricsMissing: missing(metricNames, names),
    invented: [
      ...missing(
        listed.filter((n) => /^(GET|POST|PUT|PATCH|DELETE) /.test(n)),
        new Set(routes),
      ),
      ...missing(
        listed.filter((n) => /^(k8_highlander|controller_runtime|workqueue)_/.test(n)),
        metricNames,
      ),
    ],
  };
}

describe('README.md', () => {
  const readme = read('README.md');
  const docs = readdirSync(new URL('docs/', root)).filter((f) => f.endsWith('.md'));

  test('docs/ holds the seven pages, each under about 400 lines', () => {
    assert.deepEqual(missing(DOCS, new Set(docs)), []);
    for (const f of docs) {
      const lines = read(`docs/${f}`).split('\n').length;
      assert.ok(lines <= 420, `docs/${f} has ${lines} lines`);
    }
  });

  test('links every page of docs/, points nowhere outside the repository, keeps its two commands', () => {
    assert.deepEqual(checkReadme(readme, docs), { unlinked: [], outside: [], commands: [] });
  });

  test('the drop-in tables list every route and every metric, each with its K8 Highlander counterpart', async () => {
    const metrics = (await registeredMetrics()).keys();
    assert.deepEqual(checkDropIn(readme, registeredRoutes(), metrics), {
      routesMissing: [],
      metricsMissing: [],
      invented: [],
    });
  });

  test('the drop-in check fails on a missing route or metric row, or an invented one', async () => {
    const metrics = [...(await registeredMetrics()).keys()];
    const edited = readme
      .replace(/^\| `GET \/api\/dbinfo` \|.*\n/m, '')
      .replace(/^\| `k8_highlander_system_load` \|.*\n/m, '')
      .replace('| `k8_highlander_is_leader` |', '| `k8_highlander_is_leader`, `k8_highlander_magic`, `GET /magic` |');
    assert.deepEqual(checkDropIn(edited, registeredRoutes(), metrics), {
      routesMissing: ['GET /api/dbinfo'],
      metricsMissing: ['k8_highlander_system_load'],
      invented: ['GET /magic', 'k8_highlander_magic'],
    });
  });

  test('the checks fail on a README without a link, with an outside link, or without a command', () => {
    const r = checkReadme(
      readme.replaceAll('](docs/metrics.md)', '](metrics.md)').replaceAll('\nmake demo ', '\nmake run ') +
        '\n[x](../shared/x.md)\n',
      docs,
    );
    assert.ok(r.unlinked.includes('metrics.md'));
    assert.ok(r.outside.length > 0);
    assert.deepEqual(r.commands, ['make demo ']);
  });
});
