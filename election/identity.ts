// The identity a candidate holds the lock under.
import { randomBytes } from 'node:crypto';

/**
 * The configured id plus a random suffix, so two replicas given the same id (one ConfigMap for
 * all) can never both believe they hold the lock.
 */
export function holderIdentity(id: string): string {
  return `${id}_${randomBytes(4).toString('hex')}`;
}

/** The configured id inside a holder identity (the random suffix dropped); other identities as they are. */
export function configuredId(identity: string): string {
  return identity.replace(/_[0-9a-f]{8}$/, '');
}
