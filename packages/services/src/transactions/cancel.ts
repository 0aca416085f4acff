import type { Principal } from '../auth/authenticate.ts';
import { nowOf, type ServiceCall } from '../context.ts';
import { transitionOne } from '../delivery/transition.ts';
import { isAppError } from '../errors.ts';
import { cancelExplodedUpstreams } from '../exploder/cancel.ts';
import { loadOwned } from './access.ts';
import type { TransactionView } from './schemas.ts';
import { viewOf } from './view.ts';

/**
 * Cancels a transaction (the state machine's `cancel`): one that is not in flight becomes
 * `cancelled` at once; an in-flight one gets `cancel_requested_at` and the delivery engine
 * finishes it after its current attempt. Cancelling a cancelled transaction is a no-op; a
 * delivered or failed one is a 409.
 */
export async function cancelTransaction({
  ctx,
  input,
}: ServiceCall<{ principal: Principal; id: string }>): Promise<TransactionView> {
  const { transaction, sender } = await loadOwned(ctx, input.principal, input.id);
  if (transaction.status === 'cancelled') return viewOf(ctx.db, transaction, sender.name);
  try {
    const row = await ctx.db.transaction(async (tx) => {
      const { after } = await transitionOne(tx, ctx, { id: transaction.id, name: 'cancel' });
      // a downstream (exploder) transaction takes its not-yet-started fan-out with it
      await cancelExplodedUpstreams(tx, transaction.id, nowOf(ctx), ctx.actor);
      return after;
    });
    return viewOf(ctx.db, row, sender.name);
  } catch (err) {
    if (isAppError(err) && err.code === 'conflict' && err.extra.status === 'cancelled') {
      const { transaction: cancelled } = await loadOwned(ctx, input.principal, input.id);
      return viewOf(ctx.db, cancelled, sender.name);
    }
    throw err;
  }
}
