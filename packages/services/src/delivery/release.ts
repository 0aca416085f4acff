import type { Transaction } from '@koukan/db/schema';
import { nowOf, type ServiceCall } from '../context.ts';
import { applyOperatorAction, type OperatorAction } from './operator-action.ts';

export const releaseAction: OperatorAction = {
  event: 'released',
  audit: 'transaction.release',
  from: ['held'],
  patch: (_t, now) => ({ status: 'queued', nextAttemptAt: now }),
};

/** Returns a held transaction to the queue, due now. `conflict` unless held. */
export function releaseTransaction({
  ctx,
  input,
}: ServiceCall<{ id: string }>): Promise<Transaction> {
  return applyOperatorAction(ctx, releaseAction, input.id, nowOf(ctx));
}
