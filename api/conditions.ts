// Status conditions, as the CRDs declare them (kstatus and Argo CD read them).
import type { WorkloadProcessStatus } from './generated.ts';

/** A standard metav1.Condition, as every kind's status.conditions holds it. */
export type Condition = NonNullable<WorkloadProcessStatus['conditions']>[number];

/** The condition types Highlander writes, one of each per status. */
export type ConditionType = 'Ready' | 'Reconciling' | 'Stalled';
