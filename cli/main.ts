// The `highlander` command line.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/config.ts';
import type { CrValidator } from '../validate/cr-validate.ts';
import { createLogger } from '../runtime/logger.ts';
import { StatusFetchError, defaultStatusUrl, fetchStatusReport, formatStatus } from './status.ts';
import { packageVersion } from './version.ts';
import type { AwaitFlags } from './await-settings.ts';
import { DEFAULT_HTTP } from './elect-settings.ts';
import type { ElectFlags } from './elect-settings.ts';

/** A client of the API server `kubeconfig` names (in-cluster without one). */
async function kubeClient(kubeconfig: string | undefined) {
  const { KubeClient } = await import('../runtime/kube-client.ts');
  const { loadKubeConfig } = await import('../runtime/kubeconfig.ts');
  return new KubeClient(await loadKubeConfig(kubeconfig));
}

/** Exit codes: 2 for bad configuration or usage, 1 for a failure at run time. */
export const EXIT_CONFIG = 2;

/** Ends a command with an exit code after it printed why (no further message). */
class CommandExit extends Error {
  override readonly name = 'CommandExit';
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

// Each command imports what it runs when it runs: `await` and `elect` start in apps' pods and
// need neither the operator nor the CRD validator (CEL and JSON Schema), and `run` needs the
// validator only for a config that lists workloads.
const crValidator = async (): Promise<CrValidator> =>
  (await import('../validate/cr-validate.ts')).CrValidator.fromDirectory();

/** What /status reports as buildInfo: the runtime, and whether this is the build (dist/) or the sources. */
function buildInfo(): string {
  const from = import.meta.url.endsWith('.js') ? 'dist' : 'sources';
  return `node ${process.version} (${from})`;
}

/** Builds the program; `argv` parsing and exiting are left to the caller. */
export function buildProgram(env: Record<string, string | undefined>): Command {
  const program = new Command('highlander')
    .description('Keeps singleton workloads running exactly once, with fenced leader election')
    .version(packageVersion(), '-V, --version', 'print the version and exit')
    .exitOverride()
    .showHelpAfterError()
    // `await`'s own flags end where its command begins: `await --lock x node app.js --port 1`.
    .enablePositionalOptions();

  program
    .command('run')
    .description('run the operator: campaign for leadership and reconcile while leading')
    .option('-c, --config <file>', 'config file (default: $CONFIG_PATH)')
    .option('--kubeconfig <file>', 'kubeconfig (default: cluster.kubeconfig, $HIGHLANDER_KUBECONFIG, in-cluster)')
    .action(async (opts: { config?: string; kubeconfig?: string }) => {
      // The config's workloads are checked against the CRDs before anything starts: a config the
      // API server would refuse exits 2 with every problem, as `highlander validate` reports them.
      const { loadCheckedConfig } = await import('./config-check.ts');
      const cfg = await loadCheckedConfig({ env, ...(opts.config ? { configPath: opts.config } : {}) }, crValidator);
      const log = createLogger(cfg.logLevel);
      const { runOperator } = await import('../operator/run.ts');
      const op = await runOperator(cfg, log, {
        ...(opts.kubeconfig ? { kubeconfig: opts.kubeconfig } : {}),
        version: packageVersion(),
        buildInfo: buildInfo(),
      });
      await waitForSignal(log, () => op.stop(), cfg.terminationGracePeriodMs);
    });

  program
    .command('await')
    .description(
      'run CMD only while this process leads an election (any lock store; K8S_AWAIT_ELECTION_* variables accepted), ' +
        'stop it before anyone else can take over, and exit with its status when it exits on its own',
    )
    .argument('<command...>', 'the command and its arguments (after --)')
    .option('-c, --config <file>', 'config file for the store and timings (default: $CONFIG_PATH)')
    .option('--kubeconfig <file>', 'kubeconfig for the Lease store (default: cluster.kubeconfig, in-cluster)')
    .option('--lock <name>', 'the lock (Lease) name (default: $K8S_AWAIT_ELECTION_LOCK_NAME, else the tenant)')
    .option('--status-addr <host:port>', 'status endpoint and /metrics (default: $K8S_AWAIT_ELECTION_STATUS_ENDPOINT)')
    .passThroughOptions()
    .action(async (command: string[], opts: AwaitFlags) => {
      const { awaitSettings } = await import('./await-settings.ts');
      const { runAwait } = await import('./await.ts');
      const settings = awaitSettings(env, opts);
      const log = createLogger(settings.config.logLevel);
      const kube = settings.service ? await kubeClient(settings.kubeconfig) : undefined;
      const { routingHooks } = await import('./await-routing.ts');
      const hooks = kube
        ? routingHooks(kube, settings.service!, log, settings.config.leaderElection.retryPeriodMs)
        : {};
      const status = await runAwait(settings, command, log, hooks).finally(() => kube?.close());
      // A store client may keep the event loop alive for a while after it closed: do not wait on it.
      setTimeout(() => process.exit(status), 2000).unref();
      throw new CommandExit(status);
    });

  program
    .command('elect')
    .description(
      'the leader-elector sidecar: campaign under this pod\'s name (any lock store) and answer {"name":"<leader>"} ' +
        'on GET /, with epoch and leaseRemainingMs; 503 with name null when the store cannot vouch for the answer',
    )
    .option('--election <name>', 'the election: its Lease, Redis key or row (required)')
    .option('--http <host:port>', `where to answer (default ${DEFAULT_HTTP}; :4040 for every interface)`)
    .option('--id <id>', "this candidate's id, reported as the leader's name (default: $HIGHLANDER_ID, the host name)")
    .option('--election-namespace <ns>', "the Lease's namespace (default: $HIGHLANDER_LEASE_NAMESPACE, the pod's)")
    .option('--observe', 'only report the leader; never campaign')
    .option('--poll-interval <duration>', 'how often to read the store (default: half the retry period)')
    .option(
      '--max-staleness <duration>',
      'answer unknown when the store was not heard from for this long (default: the retry period)',
    )
    .option(
      '--use-cluster-credentials',
      "accepted for the classic sidecar's flags: without --kubeconfig, in-cluster is used",
    )
    .option('-c, --config <file>', 'config file for the store and timings (default: $CONFIG_PATH)')
    .option('--kubeconfig <file>', 'kubeconfig for the Lease store (default: cluster.kubeconfig, in-cluster)')
    .action(async (opts: ElectFlags) => {
      const { electSettings } = await import('./elect-settings.ts');
      const { runElectUntilSignal } = await import('./elect.ts');
      const settings = electSettings(env, opts);
      const log = createLogger(settings.config.logLevel);
      await runElectUntilSignal(settings, log);
      // A store client may keep the event loop alive for a while after it closed: do not wait on it.
      setTimeout(() => process.exit(0), 2000).unref();
    });

  program
    .command('validate')
    .description(
      'check a config file (as run loads it, HIGHLANDER_* variables applied) and custom resource files against the CRDs, ' +
        'as the API server would with strict field validation; exit 2 on any problem',
    )
    .option(
      '-c, --config <file>',
      'config file (default: $CONFIG_PATH; without it and without -f: defaults and environment)',
    )
    .option(
      '-f, --filename <file>',
      'custom resource file or directory, multi-document YAML or JSON; - reads stdin (repeatable)',
      collect,
      [],
    )
    .action(async (opts: { config?: string; filename: string[] }) => {
      const { runValidate } = await import('./validate.ts');
      const { CrValidator } = await import('../validate/cr-validate.ts');
      let validator: CrValidator | undefined;
      const r = await runValidate(
        { ...(opts.config ? { config: opts.config } : {}), files: opts.filename },
        { env, validator: () => (validator ??= CrValidator.fromDirectory()) },
      );
      for (const line of r.out) process.stdout.write(`${line}\n`);
      for (const line of r.err) process.stderr.write(`${line}\n`);
      if (r.exitCode !== 0) throw new CommandExit(r.exitCode);
    });

  program
    .command('status')
    .description(
      "show a running operator's view: this replica's role, the leader, lock store, readiness, workloads, failovers",
    )
    .option('--url <url>', "the operator's HTTP address (default: http://127.0.0.1:$HIGHLANDER_PORT, else port 8080)")
    .option('--timeout <ms>', 'how long to wait for each answer', '5000')
    .option('--json', 'print the raw answers as JSON')
    .action(async (opts: { url?: string; timeout: string; json?: boolean }) => {
      const timeoutMs = Number(opts.timeout);
      if (!Number.isInteger(timeoutMs) || timeoutMs <= 0)
        throw new ConfigError(
          [`--timeout: must be a positive number of milliseconds (got ${opts.timeout})`],
          'command line',
        );
      const url = opts.url ?? defaultStatusUrl(env);
      const { report, raw } = await fetchStatusReport(url, { timeoutMs });
      process.stdout.write(
        opts.json ? `${JSON.stringify({ url: report.url, ...raw }, null, 2)}\n` : formatStatus(report, Date.now()),
      );
    });

  return program;
}

/** Resolves after SIGTERM/SIGINT once `stop` finished; a second signal or the grace period forces exit. */
function waitForSignal(
  log: ReturnType<typeof createLogger>,
  stop: () => Promise<void>,
  graceMs: number,
): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        log.warn({ signal }, 'second signal: exiting now');
        process.exit(1);
      }
      stopping = true;
      log.info({ signal }, 'shutting down: stopping leader work, then releasing the lock');
      setTimeout(() => {
        log.error({ graceMs }, 'shutdown took longer than terminationGracePeriod: exiting');
        process.exit(1);
      }, graceMs).unref();
      stop().then(resolve, (err: unknown) => {
        log.error({ err: String(err) }, 'shutdown failed');
        process.exitCode = 1;
        resolve();
      });
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
}

/** Runs the CLI with `argv`; resolves with the process exit code. */
export async function main(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  try {
    await buildProgram(env).parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`highlander: ${err.message}\n`);
      return EXIT_CONFIG;
    }
    if (err instanceof CommandExit) return err.code;
    if (err instanceof StatusFetchError) {
      process.stderr.write(`highlander status: ${err.message}\n`);
      return 1;
    }
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : EXIT_CONFIG;
    process.stderr.write(`highlander: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

// Run as a program (`node dist/cli/main.js --version`) rather than imported by bin/highlander.js.
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url))
  process.exitCode = await main(process.argv.slice(2), process.env);
