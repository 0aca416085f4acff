import type { schema } from '@koukan/db';
import { z } from 'zod';
import { nowOf, type ServiceCall } from '../context.ts';
import { cancelAction } from '../delivery/cancel.ts';
import { holdAction } from '../delivery/hold.ts';
import { applyOperatorAction, type OperatorAction } from '../delivery/operator-action.ts';
import { releaseAction } from '../delivery/release.ts';
import { retryNowAction } from '../delivery/retry-now.ts';
import { AppError, isAppError, parseInput } from '../errors.ts';

export const transactionActions = ['retry_now', 'hold', 'release', 'cancel'] as const;
export type TransactionActionName = (typeof transactionActions)[number];

export const transactionActionInputSchema = z.strictObject({
  id: z.guid({ message: 'a transaction id (UUID)' }),
  action: z.enum(transactionActions),
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

const actions: Record<TransactionActionName, OperatorAction> = {
  retry_now: retryNowAction,
  hold: holdAction,
  release: releaseAction,
  cancel: cancelAction,
};

const verbs: Record<TransactionActionName, string> = {
  retry_now: 'retry now',
  hold: 'hold',
  release: 'release',
  cancel: 'cancel',
};

/**
 * One operator action on one transaction (retry now, hold, release, cancel), each recorded in
 * the audit log (actor, action, before/after status) and the timeline in the same database
 * transaction. `conflict` with a clear message when the transaction's status does not allow it
 * (e.g. cancel of a delivered one), `not_found` for an unknown id.
 */
export async function runTransactionAction({
  ctx,
  input,
}: ServiceCall<TransactionActionInput>): Promise<TransactionActionResult> {
  const { id, action } = parseInput(transactionActionInputSchema, input);
  const spec = actions[action];
  let before: schema.TransactionStatus | undefined;
  const tracking: OperatorAction = {
    ...spec,
    patch(current, now) {
      before = current.status;
      return spec.patch(current, now);
    },
  };
  try {
    const row = await applyOperatorAction(ctx, tracking, id, nowOf(ctx));
    return {
      id,
      action,
      from: before ?? row.status,
      to: row.status,
      cancel_requested: row.cancelRequestedAt !== null,
      next_attempt_at: row.nextAttemptAt?.toISOString() ?? null,
      version: row.version,
    };
  } catch (err) {
    if (isAppError(err) && err.code === 'conflict' && typeof err.extra.status === 'string') {
      const status = err.extra.status;
      const allowed = spec.from.join(', ');
      throw new AppError(
        'conflict',
        `cannot ${verbs[action]} a ${status} transaction (only ${allowed})`,
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
