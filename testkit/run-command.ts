// Runs a command for a test, collecting what it printed; never throws on exit codes.
import { spawn } from 'node:child_process';
import { kubeCacheDir, kubeconfigPath, kubectlPath, repoRoot } from './kube.ts';

/** What a command printed, and how it exited. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command in the repository root, feeding `input` on stdin. */
export function runCommand(
  cmd: string,
  args: string[],
  input = '',
  env: NodeJS.ProcessEnv = process.env,
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: repoRoot, env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** Runs the test cluster's kubectl as its admin. */
export function kubectl(args: string[], input = ''): Promise<Run> {
  return runCommand(kubectlPath, ['--kubeconfig', kubeconfigPath, '--cache-dir', kubeCacheDir, ...args], input);
}

/** kubectl that must succeed: returns stdout, or throws with stderr. */
export async function kubectlOk(args: string[], input = ''): Promise<string> {
  const r = await kubectl(args, input);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}
