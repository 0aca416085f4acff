import type { ServiceCall } from '../context.ts';
import { AppError } from '../errors.ts';
import type { ListTransactionsInput, TransactionPage } from './list-schema.ts';

/**
 * Transactions, newest first, keyset-paginated (opaque cursor), filtered. The console's list
 * and the sender-scoped REST listing both call this.
 */
export async function listTransactions({
  ctx: _ctx,
  input: _input,
}: ServiceCall<ListTransactionsInput>): Promise<TransactionPage> {
  throw new AppError('internal', 'not implemented');
}
