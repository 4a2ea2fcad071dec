// The reasons Highlander gives, in one union: for Events on a CR, for the `reason` of its
// conditions, and for the labels of the workload metrics. A new reason is added here first.

/** A change a controller made to a workload's children (a Normal Event). */
export type ChangeReason = 'Created' | 'Repaired' | 'Replacing' | 'Stopped' | 'GaveUp' | 'Released';

/** A new leader took over a CR (a Normal Event, the `adopted` operation in metrics). */
export type AdoptionReason = 'LeaderChanged';

/**
 * The API server refused what the spec asks for (a Warning Event, the Stalled condition):
 * 422 Invalid, 403 Forbidden, any other 4xx as HTTP<code>; NameTaken when a child's name is held
 * by an object another controller owns.
 */
export type RefusalReason = 'Invalid' | 'Forbidden' | 'NameTaken' | `HTTP${number}`;

/** Why a workload is in its state (the Ready and Reconciling conditions). */
export type StateReason =
  | 'Creating'
  | 'Pending'
  | 'Running'
  | 'NotReady'
  | 'Restarting'
  | 'Completed'
  | 'Failed'
  | 'Replacing'
  | 'Scheduled'
  | 'LastRunFailed'
  | 'Suspended'
  | 'Progressing'
  | 'ScaledToZero'
  | 'Reconciled'
  | 'Stalled'
  | 'MaxRestartsExceeded';

/** What an Event on a CR says happened. */
export type EventReason = ChangeReason | AdoptionReason | RefusalReason;

/** Every reason Highlander writes. */
export type Reason = EventReason | StateReason;

/** One outcome: a reason and the sentence that explains it. */
export interface Outcome<R extends Reason = Reason> {
  reason: R;
  message: string;
}

/** K8 Highlander's `operation` label of workload_operations_total for each Normal Event. */
export const OPERATION_LABEL: Readonly<Record<ChangeReason | AdoptionReason, string>> = Object.freeze({
  Created: 'created',
  Repaired: 'repaired',
  Replacing: 'replacing',
  Stopped: 'stopped',
  GaveUp: 'gaveup',
  Released: 'released',
  LeaderChanged: 'adopted',
});

/** The `error_type` label of workload_errors_total for a refusal (invalid, forbidden, http404…). */
export function errorTypeLabel(reason: RefusalReason): string {
  return reason.toLowerCase();
}
