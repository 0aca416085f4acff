import { appendEvent, isDbError, schema, updateTransaction } from '@koukan/db';
import type { Principal } from '../auth/authenticate.ts';
import { nowOf, type ServiceCall } from '../context.ts';
import { AppError } from '../errors.ts';
import { cancelExplodedUpstreams } from '../exploder/cancel.ts';
import { loadOwned } from './access.ts';
import type { TransactionView } from './schemas.ts';
import { viewOf } from './view.ts';

/**
 * Cancels a transaction. One that is not in flight becomes `cancelled` at once
 * (`final_attempt_reason = 'cancelled'`, `finished_at`); an in-flight one gets
 * `cancel_requested_at` and the delivery engine finishes it after its current attempt.
 * Cancelling a cancelled transaction is a no-op; a delivered or failed one is a 409.
 */
export async function cancelTransaction({
  ctx,
  input,
}: ServiceCall<{ principal: Principal; id: string }>): Promise<TransactionView> {
  for (let attempt = 0; ; attempt++) {
    const { transaction, sender } = await loadOwned(ctx, input.principal, input.id);
    if (transaction.status === 'cancelled') return viewOf(ctx.db, transaction, sender.name);
    if (schema.finalStatuses.includes(transaction.status)) {
      throw new AppError('conflict', `the transaction is already ${transaction.status}`, {
        details: [{ field: 'status', message: transaction.status }],
      });
    }
    const now = nowOf(ctx);
    const patch: Parameters<typeof updateTransaction>[2] =
      transaction.status === 'inflight'
        ? { cancelRequestedAt: transaction.cancelRequestedAt ?? now }
        : {
            status: 'cancelled',
            finalAttemptReason: 'cancelled',
            finishedAt: now,
            nextAttemptAt: null,
            cancelRequestedAt: now,
          };
    try {
      const row = await ctx.db.transaction(async (tx) => {
        const updated = await updateTransaction(tx, transaction.id, patch, transaction.version);
        await appendEvent(tx, {
          transactionId: transaction.id,
          type: updated.status === 'cancelled' ? 'cancelled' : 'cancel_requested',
          data: { actor: ctx.actor },
        });
        // a downstream (exploder) transaction takes its not-yet-started fan-out with it
        await cancelExplodedUpstreams(tx, transaction.id, now, ctx.actor);
        return updated;
      });
      return viewOf(ctx.db, row, sender.name);
    } catch (err) {
      // The engine changed it meanwhile (e.g. claimed it): look again.
      if (isDbError(err, 'version_conflict') && attempt < 5) continue;
      throw err;
    }
  }
}
