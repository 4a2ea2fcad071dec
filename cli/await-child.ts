// The command `highlander await` gates: started once per term, stopped with a signal and, when it
// outlives its deadline, killed. Its exit is reported the way a shell reports it (128 + signal).
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { constants } from 'node:os';

/** How the command ended. */
export interface ChildExit {
  /** The exit status as a shell reports it: the code, or 128 + the signal's number. */
  status: number;
  signal: NodeJS.Signals | null;
}

/** The exit status a shell gives a process that ended with `code` or was killed by `signal`. */
export function shellStatus(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  return 128 + (signal ? (constants.signals[signal] ?? 0) : 0);
}

/** One run of the command. */
export class GatedChild {
  readonly exited: Promise<ChildExit>;
  readonly #child: ChildProcess;
  #running = true;
  #killTimer: NodeJS.Timeout | undefined;
  #killAt = Infinity;
  #sent = new Set<NodeJS.Signals>();

  /** Starts `command` with `args`, sharing this process's stdin, stdout and stderr. */
  constructor(command: string, args: readonly string[], env: NodeJS.ProcessEnv, onSpawnError: (err: Error) => void) {
    this.#child = spawn(command, args, { stdio: 'inherit', env });
    this.exited = new Promise((resolve) => {
      this.#child.once('error', (err: NodeJS.ErrnoException) => {
        // Not started at all: the statuses a shell gives (127 not found, 126 not executable).
        onSpawnError(err);
        this.#ended();
        resolve({ status: err.code === 'ENOENT' ? 127 : 126, signal: null });
      });
      this.#child.once('exit', (code, signal) => {
        this.#ended();
        resolve({ status: shellStatus(code, signal), signal });
      });
    });
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  get running(): boolean {
    return this.#running;
  }

  /** Passes a signal on (ignored once the command has exited). */
  signal(sig: NodeJS.Signals): void {
    if (this.#running) this.#child.kill(sig);
  }

  /**
   * Asks the command to stop with `sig` (sent once) and kills it with SIGKILL if it still runs
   * `killAfterMs` from now. A later call with a nearer deadline brings the kill forward.
   */
  stop(sig: NodeJS.Signals, killAfterMs: number): Promise<ChildExit> {
    if (!this.#running) return this.exited;
    if (!this.#sent.has(sig)) {
      this.#sent.add(sig);
      this.#child.kill(sig);
    }
    const at = Date.now() + Math.max(0, killAfterMs);
    if (at < this.#killAt) {
      this.#killAt = at;
      clearTimeout(this.#killTimer);
      this.#killTimer = setTimeout(() => this.signal('SIGKILL'), Math.max(0, killAfterMs));
    }
    return this.exited;
  }

  #ended(): void {
    this.#running = false;
    clearTimeout(this.#killTimer);
  }
}
