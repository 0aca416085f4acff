import type { Principal } from '../auth/authenticate.ts';
import type { ServiceCall } from '../context.ts';
import { loadOwned } from './access.ts';
import type { TransactionView } from './schemas.ts';
import { viewOf } from './view.ts';

/** A transaction of one of the principal's senders; 404 for anyone else's. */
export async function getTransactionView({
  ctx,
  input,
}: ServiceCall<{ principal: Principal; id: string }>): Promise<TransactionView> {
  const { transaction, sender } = await loadOwned(ctx, input.principal, input.id);
  return viewOf(ctx.db, transaction, sender.name);
}

/** The current version of a visible transaction, for cheap long-poll checks. */
export async function getTransactionVersion({
  ctx,
  input,
}: ServiceCall<{ principal: Principal; id: string }>): Promise<number> {
  const { transaction } = await loadOwned(ctx, input.principal, input.id);
  return transaction.version;
}
