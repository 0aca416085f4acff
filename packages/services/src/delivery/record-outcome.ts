import {
  appendEvents,
  type EventInput,
  finishOpenAttempt,
  lockLeasedTransaction,
  type OutcomeState,
  updateTransaction,
  writeOutcomeIfUnchanged,
} from '@koukan/db';
import type {
  AttemptOutcome,
  NotificationPolicy,
  RetryPolicy,
  Transaction,
} from '@koukan/db/schema';
import { nowOf, type ServiceCall } from '../context.ts';
import { type DsnOptions, type DsnResult, generateDsn } from '../notifications/create-dsn.ts';
import { dsnDue, effectivePolicy, willRetryUntil } from '../notifications/due.ts';
import { decideNext, type NextState } from './decide.ts';
import { type AttemptVerdict, classifyVerdict } from './verdict.ts';

export interface RecordOutcomeInput {
  transactionId: string;
  attemptId: string;
  /** The instance holding the lease; nothing is written if it no longer does. */
  owner: string;
  /**
   * The row as this attempt claimed it. When given, an outcome that needs no DSN is written in
   * one statement if the row is still at that version; otherwise under a row lock.
   */
  claimed?: Transaction;
  verdict?: AttemptVerdict;
  /** Set when the attempt failed outside the SMTP dialogue (timeout, exception). */
  error?: string;
  /** The sender's policies, used when the transaction carries none of its own. */
  senderRetry?: RetryPolicy | null;
  senderNotification?: NotificationPolicy | null;
  dsn: DsnOptions;
}

export type RecordOutcomeResult =
  | { written: false }
  | { written: true; transaction: Transaction; next: NextState; dsn?: DsnResult };

const outcomeOf = { success: 'success', temporary: 'temp_failure', permanent: 'perm_failure' };

/** What an attempt's result does to the transaction as it is now (`current`). Pure. */
function planOutcome(current: Transaction, input: RecordOutcomeInput, now: Date) {
  const v = input.verdict;
  const classification = classifyVerdict(v, input.error);
  const attemptCount = current.attemptCount + 1;
  const next = decideNext({
    classification,
    policy: current.retry ?? input.senderRetry,
    attemptCount,
    createdAt: current.createdAt,
    now,
    cancelRequested: current.cancelRequestedAt !== null,
  });
  const attempt = {
    outcome: outcomeOf[classification.kind] as AttemptOutcome,
    upstreamHost: v?.upstreamHost ?? null,
    mailResponse: v?.mailResponse ?? null,
    rcptResponse: v?.rcptResponse ?? null,
    dataResponse: v?.dataResponse ?? null,
    error: input.error ?? (classification.kind === 'success' ? null : classification.message),
    chainName: v?.chain?.name ?? null,
    chainVersion: v?.chain?.version ?? null,
  };
  const final = next.status !== 'queued';
  const state: OutcomeState = {
    status: next.status,
    mailResponse: attempt.mailResponse,
    rcptResponse: attempt.rcptResponse,
    dataResponse: attempt.dataResponse,
    attemptCount,
    nextAttemptAt: next.status === 'queued' ? next.nextAttemptAt : null,
    finalAttemptReason: final ? next.reason : null,
    finishedAt: final ? now : null,
  };
  const base = { transactionId: current.id, attemptId: input.attemptId };
  const timeline: EventInput[] = [];
  if (v && (v.mailResponse || v.rcptResponse || v.dataResponse)) {
    timeline.push({
      ...base,
      type: 'responses',
      data: {
        upstream_host: v.upstreamHost ?? null,
        mail: v.mailResponse ?? null,
        rcpt: v.rcptResponse ?? null,
        data: v.dataResponse ?? null,
      },
    });
  }
  for (const e of v?.events ?? []) timeline.push({ ...base, type: e.type, data: e.data ?? {} });
  timeline.push({
    ...base,
    type: 'attempt_finished',
    // The claim numbered the attempt attempt_count + 1 of the row it left: this count.
    data: { number: attemptCount, outcome: attempt.outcome, error: attempt.error },
  });
  timeline.push(
    next.status === 'queued'
      ? {
          ...base,
          type: 'retry_scheduled',
          data: { next_attempt_at: next.nextAttemptAt.toISOString(), delay_ms: next.delayMs },
        }
      : { ...base, type: 'final', data: { status: next.status, reason: next.reason } },
  );
  return { next, attempt, state, timeline };
}

/**
 * Persists one attempt's result, guarded by the lease: the attempt row, the timeline, and the
 * transaction's latest responses, attempt count, next state and (when final) reason, cleared
 * lease and bumped version; plus a DSN when one is due (failed for good, still retried past the
 * policy's delay wait, or delivered to a recipient whose NOTIFY has SUCCESS: notifications/
 * due.ts). Written in one statement when the row is as claimed and no DSN is due; else in one
 * database transaction under a row lock.
 */
export async function recordAttemptOutcome(
  call: ServiceCall<RecordOutcomeInput>,
): Promise<RecordOutcomeResult> {
  const { ctx, input } = call;
  const claimed = input.claimed;
  if (claimed) {
    const now = nowOf(ctx);
    const plan = planOutcome(claimed, input, now);
    const policy = effectivePolicy(claimed.notification, input.senderNotification);
    if (!dsnDue({ current: claimed, policy, next: plan.next, now, options: input.dsn })) {
      const transaction = await writeOutcomeIfUnchanged(ctx.db, {
        transactionId: claimed.id,
        attemptId: input.attemptId,
        owner: input.owner,
        version: claimed.version,
        attempt: plan.attempt,
        state: plan.state,
        events: plan.timeline,
      });
      if (transaction) return { written: true, transaction, next: plan.next };
    }
  }
  return recordUnderLock(call);
}

async function recordUnderLock({
  ctx,
  input,
}: ServiceCall<RecordOutcomeInput>): Promise<RecordOutcomeResult> {
  const now = nowOf(ctx);
  return ctx.db
    .transaction(async (tx) => {
      const current = await lockLeasedTransaction(tx, {
        id: input.transactionId,
        owner: input.owner,
        attemptId: input.attemptId,
      });
      if (!current) return { written: false } as const;
      const { next, attempt, state, timeline } = planOutcome(current, input, now);
      // Taken over between the lease check and now (the lock waited for the takeover to commit).
      if (!(await finishOpenAttempt(tx, input.attemptId, attempt))) throw new LeaseLost();
      const transaction = await updateTransaction(tx, current.id, {
        ...state,
        leaseOwner: null,
        leaseExpiresAt: null,
      });
      await appendEvents(tx, timeline);
      const policy = effectivePolicy(current.notification, input.senderNotification);
      const kind = dsnDue({ current, policy, next, now, options: input.dsn });
      if (!kind) return { written: true, transaction, next } as const;
      const v = input.verdict;
      const until =
        kind === 'delay' ? willRetryUntil(current, current.retry ?? input.senderRetry) : undefined;
      const dsn = await generateDsn(tx, {
        original: transaction,
        policy,
        kind,
        ...(v && { verdict: v }),
        ...(input.error !== undefined && { error: input.error }),
        reason: 'reason' in next ? next.reason : 'delayed',
        now,
        ...(until && { willRetryUntil: until }),
        options: input.dsn,
      });
      if (kind === 'delay' && dsn.created) {
        const delayed = await updateTransaction(tx, current.id, { delayDsnAt: now });
        return { written: true, transaction: delayed, next, dsn } as const;
      }
      return { written: true, transaction, next, dsn } as const;
    })
    .catch((err: unknown) => {
      if (err instanceof LeaseLost) return { written: false } as const;
      throw err;
    });
}

/** Rolls the outcome transaction back: this attempt no longer owns the transaction. */
class LeaseLost extends Error {}
