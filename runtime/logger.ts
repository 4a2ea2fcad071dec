// Structured JSON logs (pino). Secrets are redacted by path wherever they appear.
import { pino } from 'pino';
import type { Logger } from 'pino';

export type { Logger } from 'pino';

/** What a component writes its logs to (fields, then a message): pino's Logger fits, and so does a test's recorder. */
export interface Log {
  debug(fields: object, msg: string): void;
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
  error(fields: object, msg: string): void;
}

/** Paths whose values never reach a log line. */
const REDACT = ['password', '*.password', 'databaseURL', '*.databaseURL', 'redis.password', 'token', '*.token'];

/** A JSON logger at `level`, writing to stdout (or `destination`, for tests). */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const opts = { level, base: { pid: process.pid }, redact: { paths: REDACT, censor: '*****' } };
  return destination ? pino(opts, destination) : pino(opts);
}
