import { type DbOrTx, getSenderById, getTransaction, type schema } from '@koukan/db';
import { type Principal, requireEnabled } from '../auth/authenticate.ts';
import type { ServiceContext } from '../context.ts';
import { fieldError } from '../errors.ts';

interface Owned {
  transaction: schema.Transaction;
  sender: schema.Sender;
}

/**
 * Loads a transaction visible to the principal: one of its senders' own. Anything else, even an
 * existing transaction of another sender, is a 404; a disabled sender is a 403.
 */
export async function loadOwned(
  ctx: ServiceContext,
  principal: Principal,
  id: string,
  db: DbOrTx = ctx.db,
): Promise<Owned> {
  return ownedBy(principal, id, await getTransaction(db, id), db);
}

/** `loadOwned` for a transaction already read (or undefined when there is none). */
export async function ownedBy(
  principal: Principal,
  id: string,
  transaction: schema.Transaction | undefined,
  db: DbOrTx,
): Promise<Owned> {
  if (transaction && principal.anySender) {
    const owner = await getSenderById(db, transaction.senderId);
    if (owner) return { transaction, sender: owner };
  }
  const sender = transaction && principal.senders.find((s) => s.id === transaction.senderId);
  if (!transaction || !sender) {
    throw fieldError('not_found', `no transaction ${id}`, 'params.id', 'unknown transaction');
  }
  requireEnabled(sender);
  return { transaction, sender };
}
