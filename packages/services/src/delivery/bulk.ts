import type { Transaction } from '@koukan/db/schema';
import { nowOf, type ServiceCall } from '../context.ts';
import { AppError, isAppError } from '../errors.ts';
import { cancelAction } from './cancel.ts';
import { holdAction } from './hold.ts';
import { applyOperatorAction, type OperatorAction } from './operator-action.ts';
import { releaseAction } from './release.ts';
import { retryNowAction } from './retry-now.ts';

const actions: Record<BulkActionName, OperatorAction> = {
  hold: holdAction,
  release: releaseAction,
  retry_now: retryNowAction,
  cancel: cancelAction,
};
export type BulkActionName = 'hold' | 'release' | 'retry_now' | 'cancel';

export const BULK_MAX_IDS = 1000;

export type BulkItemResult =
  | { id: string; ok: true; transaction: Transaction }
  | { id: string; ok: false; code: 'not_found' | 'conflict'; message: string };

/**
 * Applies one action to many transactions (the console acting on a retry queue). Each id is its
 * own database transaction, so one that does not apply does not undo the others; the result
 * says per id what happened. Ids are deduplicated; at most BULK_MAX_IDS.
 */
export async function bulkTransactionAction({
  ctx,
  input,
}: ServiceCall<{ action: BulkActionName; ids: string[] }>): Promise<BulkItemResult[]> {
  const ids = [...new Set(input.ids)];
  if (ids.length > BULK_MAX_IDS) {
    throw new AppError('bad_request', `at most ${BULK_MAX_IDS} ids at once`);
  }
  const action = actions[input.action];
  const results: BulkItemResult[] = [];
  for (const id of ids) {
    try {
      const transaction = await applyOperatorAction(ctx, action, id, nowOf(ctx));
      results.push({ id, ok: true, transaction });
    } catch (err) {
      if (isAppError(err) && (err.code === 'not_found' || err.code === 'conflict')) {
        results.push({ id, ok: false, code: err.code, message: err.message });
      } else {
        throw err;
      }
    }
  }
  return results;
}
