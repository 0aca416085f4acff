import { type DbOrTx, getChainByName, type schema } from '@koukan/db';
import { AppError } from '../errors.ts';

/**
 * A sender whose output chain starts with the exploder fans a transaction out per recipient and
 * so accepts several; every other sender takes exactly one recipient per transaction.
 */
export async function acceptsManyRecipients(db: DbOrTx, sender: schema.Sender): Promise<boolean> {
  if (!sender.outputChain) return false;
  const chain = await getChainByName(db, sender.outputChain);
  return chain?.filters[0]?.filter === 'exploder';
}

export async function checkRecipientCount(
  db: DbOrTx,
  sender: schema.Sender,
  count: number,
  field: string,
): Promise<void> {
  if (count <= 1 || (await acceptsManyRecipients(db, sender))) return;
  const message = `sender "${sender.name}" takes exactly one recipient per transaction (its output chain does not start with the exploder); create one transaction per recipient`;
  throw new AppError('unprocessable', message, {
    details: [{ field, message: 'one recipient only' }],
  });
}
