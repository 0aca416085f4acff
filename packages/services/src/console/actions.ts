import { recordAudit, type schema } from '@koukan/db';
import { transitionNames, transitions } from '@koukan/db/schema';
import { z } from 'zod';
import type { ServiceCall } from '../context.ts';
import { transitionOne } from '../delivery/transition.ts';
import { AppError, isAppError, parseInput } from '../errors.ts';

export type TransactionActionName = schema.TransitionName;

export const transactionActionInputSchema = z.strictObject({
  id: z.guid({ message: 'a transaction id (UUID)' }),
  action: z.enum(transitionNames),
});
export type TransactionActionInput = z.input<typeof transactionActionInputSchema>;

export interface TransactionActionResult {
  id: string;
  action: TransactionActionName;
  /**
   * Status before and after. A cancel of an in-flight transaction stays `inflight` with
   * `cancel_requested` true: the engine ends it as cancelled when the attempt returns.
   */
  from: schema.TransactionStatus;
  to: schema.TransactionStatus;
  cancel_requested: boolean;
  next_attempt_at: string | null;
  version: number;
}

/**
 * One operator action on one transaction (retry now, hold, release, cancel: the state
 * machine's transitions), recorded in the audit log (actor, action, before/after status) and
 * the timeline in the same database transaction. `conflict` with a clear message when the
 * transaction's status does not allow it (e.g. cancel of a delivered one), `not_found` for an
 * unknown id.
 */
export async function runTransactionAction({
  ctx,
  input,
}: ServiceCall<TransactionActionInput>): Promise<TransactionActionResult> {
  const { id, action } = parseInput(transactionActionInputSchema, input);
  try {
    const { before, after } = await ctx.db.transaction(async (tx) => {
      const r = await transitionOne(tx, ctx, { id, name: action });
      await recordAudit(tx, {
        actor: ctx.actor,
        action: `transaction.${action}`,
        entityType: 'transaction',
        entityId: id,
        details: { from: r.before.status, to: r.after.status },
      });
      return r;
    });
    return {
      id,
      action,
      from: before.status,
      to: after.status,
      cancel_requested: after.cancelRequestedAt !== null,
      next_attempt_at: after.nextAttemptAt?.toISOString() ?? null,
      version: after.version,
    };
  } catch (err) {
    if (isAppError(err) && err.code === 'conflict' && typeof err.extra.status === 'string') {
      const status = err.extra.status;
      const only = transitions[action].from.join(', ');
      throw new AppError(
        'conflict',
        `cannot ${action.replace('_', ' ')} a ${status} transaction (only ${only})`,
        {
          details: [{ field: 'action', message: `not allowed when ${status}` }],
          extra: err.extra,
          cause: err,
        },
      );
    }
    throw err;
  }
}
