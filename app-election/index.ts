// Highlander's leader election for an application's own code (`import { elect } from
// 'highlander/election'`): the operator's election core, on any of its four lock stores.
export { elect, Election } from './election.ts';
export type { ElectionEvents, LeaderWork, Term } from './election.ts';
export { runWhileLeader } from './run-while-leader.ts';
export type { RunOptions } from './run-while-leader.ts';
export type {
  Duration,
  ElectOptions,
  LeaseStoreOptions,
  PostgresStoreOptions,
  RedisStoreOptions,
  SpannerStoreOptions,
  StoreOptions,
  TimingOptions,
} from './options.ts';
export type { StopReason } from '../election/leader-gate.ts';
export type { LockStore } from '../locks/lock-store.ts';
export { ConfigError } from '../config/config.ts';
