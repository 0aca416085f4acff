import {
  appendEvent,
  type DbOrTx,
  getTransaction,
  recordAudit,
  type TransactionPatch,
  updateTransaction,
} from '@koukan/db';
import type { Transaction, TransactionStatus } from '@koukan/db/schema';
import type { ServiceContext } from '../context.ts';
import { AppError } from '../errors.ts';

export interface OperatorAction {
  /** Event type and audit action suffix, e.g. `held` / `transaction.hold`. */
  event: string;
  audit: string;
  /** Statuses the action applies to; anything else is a `conflict`. */
  from: readonly TransactionStatus[];
  patch(current: Transaction, now: Date): TransactionPatch;
}

/**
 * The shape every operator action shares: in one database transaction, lock the row, check its
 * status, apply the patch (bumping the version), and record a timeline event and an audit entry.
 */
export async function applyOperatorAction(
  ctx: ServiceContext,
  action: OperatorAction,
  id: string,
  now: Date,
): Promise<Transaction> {
  return ctx.db.transaction(async (tx: DbOrTx) => {
    const current = await getTransaction(tx, id);
    if (!current) throw new AppError('not_found', `no transaction ${id}`);
    if (!action.from.includes(current.status)) {
      throw new AppError('conflict', `transaction ${id} is ${current.status}`, {
        extra: { status: current.status },
      });
    }
    // The expected version turns a concurrent change between read and write into a conflict.
    const updated = await updateTransaction(
      tx,
      id,
      action.patch(current, now),
      current.version,
    ).catch((err: unknown) => {
      throw new AppError('conflict', `transaction ${id} changed concurrently`, { cause: err });
    });
    await appendEvent(tx, {
      transactionId: id,
      type: action.event,
      data: { actor: ctx.actor, from: current.status, to: updated.status },
    });
    await recordAudit(tx, {
      actor: ctx.actor,
      action: action.audit,
      entityType: 'transaction',
      entityId: id,
      details: { from: current.status, to: updated.status },
    });
    return updated;
  });
}
