import type { schema } from '@koukan/db';
import { z } from 'zod';
import type { ServiceCall } from '../context.ts';
import { AppError } from '../errors.ts';

export const transactionActions = ['retry_now', 'hold', 'release', 'cancel'] as const;
export type TransactionActionName = (typeof transactionActions)[number];

export const transactionActionInputSchema = z.strictObject({
  id: z.uuid({ message: 'a transaction id (UUID)' }),
  action: z.enum(transactionActions),
});
export type TransactionActionInput = z.input<typeof transactionActionInputSchema>;

export interface TransactionActionResult {
  id: string;
  action: TransactionActionName;
  /** Status before and after. A cancel of an in-flight transaction stays `inflight` with */
  /** `cancel_requested` true: the engine ends it as cancelled when the attempt returns. */
  from: schema.TransactionStatus;
  to: schema.TransactionStatus;
  cancel_requested: boolean;
  next_attempt_at: string | null;
  version: number;
}

/**
 * One operator action on one transaction (retry now, hold, release, cancel), each recorded in
 * the audit log (actor, action, before/after status) and the timeline. `conflict` with a clear
 * message when the transaction's status does not allow it (e.g. cancel of a delivered one).
 */
export async function runTransactionAction(
  _call: ServiceCall<TransactionActionInput>,
): Promise<TransactionActionResult> {
  throw new AppError('internal', 'not implemented');
}
