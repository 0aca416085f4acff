import { durationToMs, type FinalAttemptReason, type RetryPolicy } from '@koukan/db/schema';

export type { FinalAttemptReason };

import type { Classification } from './verdict.ts';

export type NextState =
  | { status: 'delivered' | 'failed' | 'cancelled'; reason: FinalAttemptReason }
  | { status: 'queued'; nextAttemptAt: Date; delayMs: number };

export interface DecideInput {
  classification: Classification;
  /** The transaction's policy, else its sender's; null: a single attempt. */
  policy: RetryPolicy | null | undefined;
  /** Attempts made so far, including the one just finished. */
  attemptCount: number;
  createdAt: Date;
  now: Date;
  cancelRequested: boolean;
}

/**
 * What happens after an attempt. Pure: the caller persists it.
 *
 * - Success is delivered, even when a cancel arrived during the attempt (the mail is gone).
 * - A requested cancel otherwise wins over any retry or failure.
 * - Temporary failures retry after `schedule[attempt - 1]`, the last entry repeating, until
 *   `max_attempts` attempts were made or the next attempt would fall after
 *   `created_at + max_age` (then it fails now rather than waiting to fail).
 */
export function decideNext(input: DecideInput): NextState {
  const c = input.classification;
  if (c.kind === 'success') return { status: 'delivered', reason: 'upstream_success' };
  if (input.cancelRequested) return { status: 'cancelled', reason: 'cancelled' };
  if (c.kind === 'permanent') {
    return { status: 'failed', reason: `upstream_permanent_failure_${c.phase}` };
  }
  const policy = input.policy;
  if (!policy) return { status: 'failed', reason: 'no_retry_policy' };
  if (policy.max_attempts !== undefined && input.attemptCount >= policy.max_attempts) {
    return { status: 'failed', reason: 'retry_policy_max_attempts' };
  }
  const schedule = policy.schedule;
  const step = schedule[Math.min(Math.max(input.attemptCount, 1), schedule.length) - 1]!;
  const delayMs = durationToMs(step);
  const nextAttemptAt = new Date(input.now.getTime() + delayMs);
  if (policy.max_age !== undefined) {
    const deadline = input.createdAt.getTime() + durationToMs(policy.max_age);
    if (nextAttemptAt.getTime() > deadline) {
      return { status: 'failed', reason: 'retry_policy_deadline' };
    }
  }
  return { status: 'queued', nextAttemptAt, delayMs };
}
