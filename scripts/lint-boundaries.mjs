// The layer rule of `make lint`, kept apart so a test can run it on its own.
// Layers as folders, imports only downward: each folder may import only the folders listed for
// it (docs/architecture.md draws the same picture). A wrong import fails `make lint` naming the rule.
export const LAYERS = {
  api: [],
  runtime: [],
  locks: ['runtime'],
  election: ['locks', 'runtime'],
  config: ['api', 'election', 'locks', 'runtime'],
  'app-election': ['config', 'election', 'locks', 'runtime'],
  controllers: ['api', 'config', 'runtime'],
  validate: ['api', 'runtime'],
  server: ['api', 'election', 'locks', 'runtime'],
  operator: ['api', 'config', 'controllers', 'election', 'locks', 'runtime', 'server', 'validate'],
  cli: [
    'api',
    'app-election',
    'config',
    'controllers',
    'election',
    'locks',
    'operator',
    'runtime',
    'server',
    'validate',
  ],
};
const PRODUCT = Object.keys(LAYERS);
const ALL = [...PRODUCT, 'testkit', 'e2e', 'bench', 'scripts'];
export const ALLOWED = {
  ...LAYERS,
  testkit: PRODUCT,
  e2e: [...PRODUCT, 'testkit'],
  bench: [...PRODUCT, 'testkit'],
  scripts: [...PRODUCT, 'testkit'],
};

/** One no-restricted-imports rule per folder: the folders it must not import, at any depth. */
export const boundaries = Object.entries(ALLOWED).map(([layer, allowed]) => {
  const forbidden = ALL.filter((l) => l !== layer && !allowed.includes(l));
  const may = allowed.length ? allowed.map((l) => `${l}/`).join(', ') : 'no other layer';
  return {
    files: [`${layer}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: forbidden.map((l) => ({
            group: [1, 2, 3, 4].map((depth) => `${'../'.repeat(depth)}${l}/**`),
            message: `layer boundary: ${layer}/ may import ${may} (imports point only downward; see docs/architecture.md).`,
          })),
        },
      ],
    },
  };
});
