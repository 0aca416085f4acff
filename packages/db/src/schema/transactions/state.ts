/**
 * The transaction state machine: the statuses, the operator transitions between them and the
 * timeline event each writes. Pure data (no database code), so the console's client components
 * import it too (`@koukan/db/state`) and show only the actions a status allows. The columns
 * each transition sets are in `queries/transition.ts`, the one statement every caller uses.
 */
export const transactionStatuses = [
  'queued', // waiting for its next attempt (next_attempt_at) or for its body
  'inflight', // leased by a router instance (lease_owner, lease_expires_at)
  'held', // parked by an operator until released
  'delivered',
  'failed',
  'cancelled',
] as const;
export type TransactionStatus = (typeof transactionStatuses)[number];
export const finalStatuses: readonly TransactionStatus[] = ['delivered', 'failed', 'cancelled'];
export const isFinalStatus = (s: TransactionStatus): boolean => finalStatuses.includes(s);

export interface Transition {
  /** Statuses it applies to; from any other it is refused. */
  from: readonly TransactionStatus[];
  /** Timeline event type (`data`: actor, from, to). */
  event: string;
}

/**
 * The operator transitions (console, REST cancel, bulk actions, the exploder's follow-ups), in
 * the order the console shows them. `cancel` ends a transaction at once (`cancelled`), except
 * one in flight: that is only flagged (`cancel_requested`) and the engine ends it as cancelled
 * when its attempt returns (a delivery that succeeded stays delivered: the mail is gone).
 */
export const transitions = {
  release: { from: ['held'], event: 'released' },
  retry_now: { from: ['queued', 'held'], event: 'retry_now' },
  // Off the due index until released.
  hold: { from: ['queued'], event: 'held' },
  cancel: { from: ['queued', 'held', 'inflight'], event: 'cancelled' },
} as const satisfies Record<string, Transition>;
export type TransitionName = keyof typeof transitions;
export const transitionNames = [
  'release',
  'retry_now',
  'hold',
  'cancel',
] as const satisfies readonly TransitionName[];

/** The event of a cancel that only flags an in-flight transaction. */
export const CANCEL_REQUESTED_EVENT = 'cancel_requested';

export function isAllowed(name: TransitionName, status: TransactionStatus): boolean {
  return (transitions[name].from as readonly TransactionStatus[]).includes(status);
}

/** The transitions a transaction allows now (an in-flight one already flagged: none). */
export function allowedTransitions(
  status: TransactionStatus,
  cancelRequested = false,
): TransitionName[] {
  if (status === 'inflight' && cancelRequested) return [];
  return transitionNames.filter((name) => isAllowed(name, status));
}
