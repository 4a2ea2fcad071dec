// What of the configuration may be shown: no passwords, no tokens, no credentials in URLs.
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

/** A URL with its password replaced by ***** (unparseable URLs are hidden entirely). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '*****';
    return u.toString();
  } catch {
    return '<unparseable URL hidden>';
  }
}
