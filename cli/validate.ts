// `highlander validate`: checks a config file exactly as `run` loads it (loadCheckedConfig: the
// settings with the HIGHLANDER_* overrides, and its workloads as the CRs the leader would write,
// all problems at once), and CR manifest files against the CRDs. One line per problem, naming file, line, document and field; nothing
// secret is printed (ConfigError never shows passwords or database URLs, and CR problems never
// show env or annotation values).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { ConfigError } from '../config/config.ts';
import { loadCheckedConfig } from './config-check.ts';
import { locate, validateManifests } from '../validate/manifests.ts';
import type { Segment } from '../runtime/values.ts';
import type { CrValidator } from '../validate/cr-validate.ts';
import type { DocResult } from '../validate/manifests.ts';

/** What to validate. */
export interface ValidateOptions {
  /** A config file; without it, CONFIG_PATH (or, when no CR files are given, defaults and environment). */
  config?: string;
  /** CR manifest files or directories; "-" is standard input. */
  files: string[];
}

/** Where the command reads from; injectable for tests. */
export interface ValidateIO {
  env: Record<string, string | undefined>;
  readFile?: (path: string) => string;
  readStdin?: () => Promise<string>;
  /** The CRDs to check against (loaded lazily: a config-only run does not need them to parse). */
  validator: () => CrValidator;
}

/** What the command prints and how it exits. */
export interface ValidateOutcome {
  out: string[];
  err: string[];
  /** 0: no problems; 2: at least one problem. */
  exitCode: 0 | 2;
}

/** Runs the checks and collects the lines to print. */
export async function runValidate(opts: ValidateOptions, io: ValidateIO): Promise<ValidateOutcome> {
  const read = io.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  const out: string[] = [];
  const err: string[] = [];
  const checkConfig = opts.config !== undefined || !!io.env.CONFIG_PATH || opts.files.length === 0;
  if (checkConfig) await validateConfig(opts.config, io, read, out, err);

  for (const file of opts.files) {
    let sources: { name: string; text: string }[];
    try {
      sources =
        file === '-' ? [{ name: '<stdin>', text: await (io.readStdin ?? readStdin)() }] : readSources(file, read);
    } catch (e) {
      err.push(`${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
      continue;
    }
    for (const { name, text } of sources) {
      const results = validateManifests(text, io.validator());
      if (results.length === 0) err.push(`${name}: no resources found`);
      for (const r of results) {
        if (r.problems.length === 0) out.push(`${name}: ${describeDoc(r, results.length)} ok`);
        for (const p of r.problems)
          err.push(
            `${name}:${p.line ?? 1}: ${describeDoc(r, results.length)}: ${p.path ? `${p.path}: ` : ''}${p.message}`,
          );
      }
    }
  }
  if (opts.files.length > 0) {
    const n = io.validator().unchecked.length;
    if (n > 0)
      out.push(
        `note: ${n} CEL validation rule${n === 1 ? ' is' : 's are'} not checked here; the API server checks them on apply`,
      );
  }
  return { out, err, exitCode: err.length > 0 ? 2 : 0 };
}

async function validateConfig(
  configPath: string | undefined,
  io: ValidateIO,
  read: (p: string) => string,
  out: string[],
  err: string[],
): Promise<void> {
  const path = configPath ?? (io.env.CONFIG_PATH || undefined);
  const name = path ?? '(defaults and environment)';
  const locate = fileLines(path, read);
  let cfg;
  try {
    cfg = await loadCheckedConfig({ env: io.env, readFile: read, ...(path ? { configPath: path } : {}) }, io.validator);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    for (const p of e.problems) err.push(`${name}${lineSuffix(locate, configProblemPath(p))}: ${p}`);
    return;
  }
  const count = Object.values(cfg.workloads as Record<string, unknown[] | undefined>).reduce(
    (n, l) => n + (l?.length ?? 0),
    0,
  );
  out.push(
    `${name}: config ok: id ${cfg.id}, tenant ${cfg.tenant}, storage ${cfg.storageType}${cfg.storageTypeInferred ? ' (inferred)' : ''}, ` +
      `${count} workload${count === 1 ? '' : 's'}`,
  );
}

/** "workloads.cronJobs[0].schedule: must …" → its path, to find the line (not for settings from the environment). */
function configProblemPath(problem: string): Segment[] | undefined {
  const m = /^([A-Za-z_][\w.[\]-]*): /.exec(problem);
  if (!m) return undefined;
  return m[1]!.split(/\.|(?=\[)/).map((s) => (/^\[\d+\]$/.test(s) ? Number(s.slice(1, -1)) : s));
}

type Locate = (path: readonly Segment[]) => number | undefined;

function fileLines(path: string | undefined, read: (p: string) => string): Locate {
  if (!path) return () => undefined;
  try {
    const lines = new LineCounter();
    const doc = parseDocument(read(path), { lineCounter: lines });
    // A setting absent from the file (required, or from the environment) has no line.
    return (p) => {
      const { offset, found } = locate(doc, p);
      return offset === undefined || found === 0 ? undefined : lines.linePos(offset).line;
    };
  } catch {
    return () => undefined;
  }
}

function lineSuffix(locate: Locate, path: readonly Segment[] | undefined): string {
  const line = path ? locate(path) : undefined;
  return line === undefined ? '' : `:${line}`;
}

function describeDoc(r: DocResult, docs: number): string {
  const what = r.kind ? `${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name ?? '(no name)'}` : 'document';
  return docs > 1 ? `doc ${r.doc} ${what}` : what;
}

/** A file's text, or every manifest in a directory (not recursive), as kubectl -f reads them. */
function readSources(path: string, read: (p: string) => string): { name: string; text: string }[] {
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    // not on disk (or an injected reader): read() reports it
  }
  if (!isDir) return [{ name: path, text: read(path) }];
  return readdirSync(path)
    .filter((n) => /\.(ya?ml|json)$/.test(n))
    .sort()
    .map((n) => {
      const p = `${path.replace(/\/$/, '')}/${n}`;
      return { name: p, text: read(p) };
    });
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
