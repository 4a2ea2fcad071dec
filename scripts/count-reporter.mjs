// A node:test reporter that keeps only the run's closing counts, as JSON, so that
// `make test` can print one combined "N passed, N failed" line over several runs.
export default async function* countReporter(source) {
  const counts = {};
  for await (const event of source) {
    if (event.type !== 'test:diagnostic' || event.data.nesting !== 0) continue;
    const m = /^(tests|suites|pass|fail|cancelled|skipped|todo) (\d+)$/.exec(event.data.message);
    if (m) counts[m[1]] = Number(m[2]);
  }
  yield `${JSON.stringify(counts)}\n`;
}
