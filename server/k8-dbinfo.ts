// K8 Highlander's /api/dbinfo data: its DBInfo (type, address, connected, details), from the
// same facts as our /api/v1/dbinfo. K8 Highlander's clients read `type` and `connected`; ours
// read `storageType` and `reachable`, so the two answers live at separate paths.
import type { Backend } from '../locks/lock-store.ts';

/** K8 Highlander's DBInfo as JSON. */
export interface K8DbInfo {
  type: Backend;
  /** Where the store is, credentials masked; "" for the Kubernetes Lease (it is the API server). */
  address: string;
  connected: boolean;
  /** Always an object of strings (Go's map[string]string). */
  details: Record<string, string>;
}

/** What the answer is made of (our /api/v1/dbinfo data). */
export interface DbInfoSources {
  storageType: Backend;
  address?: string;
  reachable: boolean;
  lockName: string;
  tenant: string;
}

/** The kind of store as K8 Highlander's details.type named it, where it named one. */
const STORE_KIND: Readonly<Record<Backend, string>> = {
  kubernetes: 'Kubernetes Lease',
  redis: 'Redis',
  db: 'PostgreSQL',
  spanner: 'Cloud Spanner',
};

/** The /api/dbinfo data. */
export function k8DbInfo(s: DbInfoSources): K8DbInfo {
  return {
    type: s.storageType,
    address: s.address ?? '',
    connected: s.reachable,
    details: { type: STORE_KIND[s.storageType], lockName: s.lockName, tenant: s.tenant },
  };
}
