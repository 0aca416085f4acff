import {
  appendEvents,
  type EventInput,
  finishOpenAttempt,
  lockLeasedTransaction,
  updateTransaction,
} from '@koukan/db';
import type {
  AttemptOutcome,
  NotificationPolicy,
  RetryPolicy,
  Transaction,
} from '@koukan/db/schema';
import { nowOf, type ServiceCall } from '../context.ts';
import { type DsnOptions, type DsnResult, generateDsn } from '../notifications/create-dsn.ts';
import { decideNext, type NextState } from './decide.ts';
import { type AttemptVerdict, classifyVerdict } from './verdict.ts';

export interface RecordOutcomeInput {
  transactionId: string;
  attemptId: string;
  /** The instance holding the lease; nothing is written if it no longer does. */
  owner: string;
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

/**
 * Persists one attempt's result in one database transaction guarded by the lease: the attempt
 * row, the timeline, and the transaction's latest responses, attempt count, next state and
 * (when final) reason, cleared lease and bumped version; plus a DSN when it failed for good.
 */
export async function recordAttemptOutcome({
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
      const attempt = await finishOpenAttempt(tx, input.attemptId, {
        outcome: outcomeOf[classification.kind] as AttemptOutcome,
        upstreamHost: v?.upstreamHost ?? null,
        mailResponse: v?.mailResponse ?? null,
        rcptResponse: v?.rcptResponse ?? null,
        dataResponse: v?.dataResponse ?? null,
        error: input.error ?? (classification.kind === 'success' ? null : classification.message),
      });
      // Taken over between the lease check and now (the lock waited for the takeover to commit).
      if (!attempt) throw new LeaseLost();
      const final = next.status !== 'queued';
      const transaction = await updateTransaction(tx, current.id, {
        status: next.status,
        mailResponse: v?.mailResponse ?? null,
        rcptResponse: v?.rcptResponse ?? null,
        dataResponse: v?.dataResponse ?? null,
        attemptCount,
        leaseOwner: null,
        leaseExpiresAt: null,
        nextAttemptAt: next.status === 'queued' ? next.nextAttemptAt : null,
        ...(final && { finalAttemptReason: next.reason, finishedAt: now }),
      });
      const base = { transactionId: current.id, attemptId: attempt.id };
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
        data: { number: attempt.number, outcome: attempt.outcome, error: attempt.error },
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
      await appendEvents(tx, timeline);
      if (next.status !== 'failed') return { written: true, transaction, next } as const;
      const dsn = await generateDsn(tx, {
        original: transaction,
        policy: current.notification ?? input.senderNotification,
        ...(v && { verdict: v }),
        ...(input.error !== undefined && { error: input.error }),
        reason: next.reason,
        now,
        options: input.dsn,
      });
      return { written: true, transaction, next, dsn } as const;
    })
    .catch((err: unknown) => {
      if (err instanceof LeaseLost) return { written: false } as const;
      throw err;
    });
}

/** Rolls the outcome transaction back: this attempt no longer owns the transaction. */
class LeaseLost extends Error {}
