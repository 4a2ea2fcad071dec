/**
 * Creates the Spanner emulator's instance and database that the tests use. Run by
 * e2e/services/up.sh with its settings in the environment; running it again is harmless.
 */
import { Spanner } from '@google-cloud/spanner';

/** gRPC status code of a create whose target is already there. */
const ALREADY_EXISTS = 6;

function setting(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is not set`);
  return value;
}

function isAlreadyExists(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && err.code === ALREADY_EXISTS;
}

const emulatorHost = setting('SPANNER_EMULATOR_HOST');
// Without an emulator address the client would go to real Cloud Spanner with whatever
// credentials it finds; refuse anything but a local emulator.
if (!/^127\.0\.0\.1:\d+$/.test(emulatorHost)) {
  throw new Error(`SPANNER_EMULATOR_HOST must be 127.0.0.1:PORT, got ${emulatorHost}`);
}
const projectId = setting('SPANNER_PROJECT_ID');
const instanceId = setting('SPANNER_INSTANCE_ID');
const databaseId = setting('SPANNER_DATABASE_ID');

// An explicit universe domain keeps google-auth-library from looking for default
// credentials, which probes the GCE metadata server (169.254.169.254) over the network.
const spanner = new Spanner({ projectId, universeDomain: 'googleapis.com', disableBuiltInMetrics: true });
// The admin clients, not spanner.instance().createDatabase(): that returns a Database whose
// session pool starts creating sessions at once and emits an unhandled 'error' event when
// the client is closed under it.
const instanceAdmin = spanner.getInstanceAdminClient();
const databaseAdmin = spanner.getDatabaseAdminClient();
try {
  try {
    const [operation] = await instanceAdmin.createInstance({
      parent: instanceAdmin.projectPath(projectId),
      instanceId,
      instance: {
        config: instanceAdmin.instanceConfigPath(projectId, 'emulator-config'),
        nodeCount: 1,
        displayName: instanceId,
      },
    });
    await operation.promise();
    console.log(`created instance ${instanceId}`);
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    console.log(`instance ${instanceId} already exists`);
  }
  try {
    const [operation] = await databaseAdmin.createDatabase({
      parent: databaseAdmin.instancePath(projectId, instanceId),
      createStatement: `CREATE DATABASE \`${databaseId}\``,
    });
    await operation.promise();
    console.log(`created database ${databaseId}`);
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    console.log(`database ${databaseId} already exists`);
  }
} finally {
  await spanner.close();
}
