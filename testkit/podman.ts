// podman for the tests that run the image: installed and configured by
// scripts/image/ensure-podman.sh, the image built (or reused) by scripts/image/build.sh.
import { runCommand } from './run-command.ts';
import type { Run } from './run-command.ts';

/** A cold build (base rootfs, npm ci, tsc) takes minutes on a 2-core machine. */
export const BUILD_MS = 30 * 60_000;

/** podman with the repository's containers.conf, and the image under test. */
export interface Podman {
  /** Environment for spawning podman yourself (it carries CONTAINERS_CONF). */
  env: NodeJS.ProcessEnv;
  /** The image's tag, localhost/highlander:<hash>. */
  image: string;
  /** Runs podman; throws unless it exits 0 when `ok`. */
  run(args: string[], ok?: boolean): Promise<Run>;
}

/** Installs podman when missing, builds the image when its inputs changed, and returns both. */
export async function podmanWithImage(): Promise<Podman> {
  const conf = await runCommand('bash', ['scripts/image/ensure-podman.sh']);
  if (conf.code !== 0) throw new Error(`ensure-podman.sh exited ${conf.code}: ${conf.stderr}`);
  const env = { ...process.env, CONTAINERS_CONF: /^CONTAINERS_CONF=(.*)$/m.exec(conf.stdout)![1]! };
  const built = await runCommand('bash', ['scripts/image/build.sh']);
  if (built.code !== 0) throw new Error(`build.sh exited ${built.code}: ${built.stderr.slice(-3000)}`);
  const image = built.stdout.trim().split('\n').at(-1)!;
  if (!/^localhost\/highlander:[0-9a-f]{12}$/.test(image)) throw new Error(`build.sh printed ${image}`);
  return {
    env,
    image,
    async run(args, ok = true) {
      const r = await runCommand('podman', args, '', env);
      if (ok && r.code !== 0) throw new Error(`podman ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
      return r;
    },
  };
}
