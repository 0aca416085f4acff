import type { Transaction } from '@koukan/db/schema';
import { nowOf, type ServiceCall } from '../context.ts';
import { applyOperatorAction, type OperatorAction } from './operator-action.ts';

export const cancelAction: OperatorAction = {
  event: 'cancel_requested',
  audit: 'transaction.cancel',
  from: ['queued', 'held', 'inflight'],
  patch: (t, now) =>
    t.status === 'inflight'
      ? // The attempt runs on; the engine ends it as cancelled when it records the outcome
        // (a success stays delivered: the mail is gone).
        { cancelRequestedAt: t.cancelRequestedAt ?? now }
      : {
          status: 'cancelled',
          cancelRequestedAt: now,
          finalAttemptReason: 'cancelled',
          finishedAt: now,
          nextAttemptAt: null,
        },
};

/**
 * Cancels a transaction: at once when it is not in flight, after its running attempt when it
 * is (the returned row is then still `inflight` with `cancel_requested_at` set). `conflict`
 * once final.
 */
export function cancelTransactionByOperator({
  ctx,
  input,
}: ServiceCall<{ id: string }>): Promise<Transaction> {
  return applyOperatorAction(ctx, cancelAction, input.id, nowOf(ctx));
}
