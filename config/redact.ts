// What of the configuration may be shown: no passwords, no tokens, no credentials in URLs.
import { redactUrl } from '../runtime/redact.ts';
import type { HighlanderConfig } from './config.ts';

/** Settings whose values never appear in messages. */
export const SECRET_PATHS = new Set(['redis.password', 'databaseURL', 'http.handoverToken']);

/** A copy of the configuration that is safe to show: no passwords, no credentials in URLs. */
export function redactConfig(c: HighlanderConfig): HighlanderConfig {
  return {
    ...c,
    ...(c.redis ? { redis: { ...c.redis, ...(c.redis.password ? { password: '*****' } : {}) } } : {}),
    ...(c.databaseURL ? { databaseURL: redactUrl(c.databaseURL) } : {}),
    ...(c.handoverToken ? { handoverToken: '*****' } : {}),
  };
}
