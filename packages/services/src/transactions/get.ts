import { getTransactionWithBody } from '@koukan/db';
import type { Principal } from '../auth/authenticate.ts';
import type { ServiceCall } from '../context.ts';
import { ownedBy } from './access.ts';
import type { TransactionView } from './schemas.ts';
import { toView, viewOf } from './view.ts';

/**
 * A transaction of one of the principal's senders; 404 for anyone else's. One query for the
 * row and its rfc822 body (the long-poll path); a message-builder body's blobs take a second.
 */
export async function getTransactionView({
  ctx,
  input,
}: ServiceCall<{ principal: Principal; id: string }>): Promise<TransactionView> {
  const found = await getTransactionWithBody(ctx.db, input.id);
  const { transaction, sender } = await ownedBy(
    input.principal,
    input.id,
    found?.transaction,
    ctx.db,
  );
  if (transaction.bodySpec) return viewOf(ctx.db, transaction, sender.name);
  const body = found?.bodyBlob;
  return toView(transaction, sender.name, new Map(body ? [[body.id, body]] : []));
}
