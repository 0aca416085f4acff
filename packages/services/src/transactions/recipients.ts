import { type DbOrTx, getChainByName, type schema } from '@koukan/db';
import { AppError } from '../errors.ts';

/**
 * A sender whose output chain has the exploder fans a transaction out per recipient and so
 * accepts several (recipient policies such as `router` may screen them before it, as in the
 * default `smtp-mx` chain); every other sender takes exactly one recipient per transaction.
 */
export async function acceptsManyRecipients(db: DbOrTx, sender: schema.Sender): Promise<boolean> {
  if (!sender.outputChain) return false;
  const chain = await getChainByName(db, sender.outputChain);
  return chain?.filters.some((f) => f.filter === 'exploder') ?? false;
}

export async function checkRecipientCount(
  db: DbOrTx,
  sender: schema.Sender,
  count: number,
  field: string,
): Promise<void> {
  if (count <= 1 || (await acceptsManyRecipients(db, sender))) return;
  const message = `sender "${sender.name}" takes exactly one recipient per transaction (its output chain has no exploder); create one transaction per recipient`;
  throw new AppError('unprocessable', message, {
    details: [{ field, message: 'one recipient only' }],
  });
}
