import type { Transaction } from '@koukan/db/schema';
import { nowOf, type ServiceCall } from '../context.ts';
import { applyOperatorAction, type OperatorAction } from './operator-action.ts';

export const retryNowAction: OperatorAction = {
  event: 'retry_now',
  audit: 'transaction.retry_now',
  from: ['queued', 'held'],
  patch: (_t, now) => ({ status: 'queued', nextAttemptAt: now }),
};

/** Makes a queued or held transaction due immediately. `conflict` otherwise. */
export function retryTransactionNow({
  ctx,
  input,
}: ServiceCall<{ id: string }>): Promise<Transaction> {
  return applyOperatorAction(ctx, retryNowAction, input.id, nowOf(ctx));
}
