// Runs real `highlander run` processes for e2e tests and benchmarks, and reads their JSON logs.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { repoRoot } from './kube.ts';

/** One parsed log line. */
export type LogLine = Record<string, unknown> & { msg?: string; time?: number };

/** A running operator process. */
export class OperatorProcess {
  readonly lines: LogLine[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly #child: ChildProcess;
  readonly #detached: boolean;
  #waiters = new Set<() => void>();

  /**
   * Starts `highlander run ARGS` from the TypeScript sources (HIGHLANDER_DEV=1: the code under
   * test, never a stale dist/), or `command` instead when given (e.g. `podman run` of the image,
   * whose logs arrive on the same stdout).
   */
  constructor(
    readonly name: string,
    env: Record<string, string>,
    args: string[] = [],
    command: readonly string[] = [process.execPath, `${repoRoot}bin/highlander.js`, 'run', ...args],
    /** Its own process group (with its children), as a container's processes are: see {@link signalGroup}. */
    opts: { detached?: boolean } = {},
  ) {
    const [file, ...argv] = command;
    this.#detached = opts.detached ?? false;
    this.#child = spawn(file!, argv, {
      detached: opts.detached ?? false,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        HIGHLANDER_DEV: '1',
        HIGHLANDER_ID: name,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    createInterface({ input: this.#child.stdout! }).on('line', (line) => {
      try {
        this.lines.push(JSON.parse(line) as LogLine);
      } catch {
        this.lines.push({ msg: line });
      }
      for (const w of this.#waiters) w();
    });
    createInterface({ input: this.#child.stderr! }).on('line', (line) => this.stderr.push(line));
    this.exited = new Promise((resolve) => this.#child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  get pid(): number {
    return this.#child.pid!;
  }

  /** Sends a signal (SIGKILL, SIGTERM, SIGSTOP, SIGCONT). */
  signal(sig: NodeJS.Signals): void {
    this.#child.kill(sig);
  }

  /**
   * Signals the whole process group (a detached process and the children it started): SIGKILL
   * or SIGSTOP of a pod's container reaches every process in it, not the first one alone.
   */
  signalGroup(sig: NodeJS.Signals): void {
    process.kill(-this.pid, sig);
  }

  /** Log lines with this message. */
  logs(msg: string): LogLine[] {
    return this.lines.filter((l) => l.msg === msg);
  }

  /** Resolves with the first log line (from index `from` on) matching `match`. */
  waitForLog(match: (l: LogLine) => boolean, timeoutMs: number, from = 0): Promise<LogLine> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const hit = this.lines.slice(from).find(match);
        if (!hit) return false;
        cleanup();
        resolve(hit);
        return true;
      };
      const timer = setTimeout(() => {
        cleanup();
        const tail = this.lines
          .slice(-6)
          .map((l) => JSON.stringify(l))
          .join('\n  ');
        reject(
          new Error(
            `${this.name}: no matching log line within ${timeoutMs} ms; last lines:\n  ${tail}\nstderr: ${this.stderr.slice(-5).join(' | ')}`,
          ),
        );
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(waiter);
      };
      const waiter = (): void => void check();
      if (!check()) this.#waiters.add(waiter);
    });
  }

  /** Waits until this process logs that it became leader; returns that line. */
  becameLeader(timeoutMs: number, from = 0): Promise<LogLine> {
    return this.waitForLog((l) => l.msg === 'became leader', timeoutMs, from);
  }

  /** Kills the process if it still runs and waits for it to exit. */
  async kill(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      this.#child.kill('SIGCONT');
      this.#child.kill('SIGKILL');
    }
    // A detached process's children (its group) go with it.
    if (this.#detached) {
      try {
        process.kill(-this.pid, 'SIGCONT');
        process.kill(-this.pid, 'SIGKILL');
      } catch {
        // The group is gone already.
      }
    }
    await this.exited;
  }
}

/**
 * Starts a leader `a`, then a follower `b` that has seen it; both are added to `track`
 * (so the caller's cleanup kills them even when start-up fails).
 */
export async function leaderAndFollower(
  env: Record<string, string>,
  track: OperatorProcess[],
  startupMs: number,
): Promise<[OperatorProcess, OperatorProcess]> {
  const a = new OperatorProcess('a', env);
  track.push(a);
  await a.becameLeader(startupMs);
  const b = new OperatorProcess('b', env);
  track.push(b);
  await b.waitForLog((l) => l.msg === 'new leader observed', startupMs);
  return [a, b];
}
