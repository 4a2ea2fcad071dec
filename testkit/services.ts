/**
 * Where the tests find the lock-store servers that e2e/services/up.sh (`make services-up`)
 * starts: it writes their addresses to .cluster/services.env.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Addresses of the local Redis, PostgreSQL and Spanner emulator, all on 127.0.0.1. */
export interface ServicesEnv {
  redisAddr: string;
  databaseUrl: string;
  spanner: { emulatorHost: string; projectId: string; instanceId: string; databaseId: string };
}

/** The file up.sh writes, found from this module's location so any working directory works. */
export const DEFAULT_SERVICES_ENV_PATH = fileURLToPath(new URL('../.cluster/services.env', import.meta.url));

/** Parses KEY=value lines; blank lines and # comments are skipped, a value keeps any later `=`. */
export function parseEnvFile(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    vars[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return vars;
}

/** Reads the servers' addresses; throws naming the file and key when something is missing. */
export function loadServicesEnv(path: string = DEFAULT_SERVICES_ENV_PATH): ServicesEnv {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${path}: the lock-store servers are not up; run \`make services-up\``, {
      cause: err,
    });
  }
  const vars = parseEnvFile(text);
  const get = (key: string): string => {
    const value = vars[key];
    if (value === undefined || value === '') {
      throw new Error(`${path} has no ${key}; run \`make services-up\` to start the servers and rewrite it`);
    }
    return value;
  };
  const env: ServicesEnv = {
    redisAddr: get('REDIS_ADDR'),
    databaseUrl: get('DATABASE_URL'),
    spanner: {
      emulatorHost: get('SPANNER_EMULATOR_HOST'),
      projectId: get('SPANNER_PROJECT_ID'),
      instanceId: get('SPANNER_INSTANCE_ID'),
      databaseId: get('SPANNER_DATABASE_ID'),
    },
  };
  // The tests must never reach a real server, least of all real Cloud Spanner.
  assertLoopback(path, 'REDIS_ADDR', `redis://${env.redisAddr}`);
  assertLoopback(path, 'DATABASE_URL', env.databaseUrl);
  assertLoopback(path, 'SPANNER_EMULATOR_HOST', `http://${env.spanner.emulatorHost}`);
  return env;
}

function assertLoopback(path: string, key: string, url: string): void {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    throw new Error(`${path}: ${key} is not a valid address`);
  }
  if (host !== '127.0.0.1') throw new Error(`${path}: ${key} must point at 127.0.0.1, not ${host}`);
}

/** Splits REDIS_ADDR into what ioredis takes. */
export function redisHostPort(env: ServicesEnv): { host: string; port: number } {
  const { hostname, port } = new URL(`redis://${env.redisAddr}`);
  return { host: hostname, port: Number(port) };
}

/** Points the Spanner library at the emulator (tests only); call before `new Spanner()`, which reads these. */
export function useSpannerEmulator(env: ServicesEnv): void {
  process.env.SPANNER_EMULATOR_HOST = env.spanner.emulatorHost;
  // This emulator version does not implement multiplexed sessions.
  process.env.GOOGLE_CLOUD_SPANNER_MULTIPLEXED_SESSIONS = 'false';
  // Otherwise google-auth-library, looking for default credentials, probes the GCE metadata
  // server over the network even though the emulator needs none.
  process.env.METADATA_SERVER_DETECTION = 'none';
}
