import type { Transaction } from '@koukan/db/schema';
import { nowOf, type ServiceCall } from '../context.ts';
import { applyOperatorAction, type OperatorAction } from './operator-action.ts';

export const holdAction: OperatorAction = {
  event: 'held',
  audit: 'transaction.hold',
  from: ['queued'],
  // Off the due index until released.
  patch: () => ({ status: 'held', nextAttemptAt: null }),
};

/** Parks a queued transaction until it is released. `conflict` unless queued. */
export function holdTransaction({ ctx, input }: ServiceCall<{ id: string }>): Promise<Transaction> {
  return applyOperatorAction(ctx, holdAction, input.id, nowOf(ctx));
}
