import type { schema } from '@koukan/db';
import { chainByName, type ServiceContext } from '../context.ts';
import { fieldError } from '../errors.ts';

/**
 * A sender whose output chain has the exploder fans a transaction out per recipient and so
 * accepts several (recipient policies such as `router` may screen them before it, as in the
 * default `smtp-mx` chain); every other sender takes exactly one recipient per transaction.
 */
async function acceptsManyRecipients(ctx: ServiceContext, sender: schema.Sender): Promise<boolean> {
  if (!sender.outputChain) return false;
  const chain = await chainByName(ctx, sender.outputChain);
  return chain?.filters.some((f) => f.filter === 'exploder') ?? false;
}

export async function checkRecipientCount(
  ctx: ServiceContext,
  sender: schema.Sender,
  count: number,
  field: string,
): Promise<void> {
  if (count <= 1 || (await acceptsManyRecipients(ctx, sender))) return;
  const message = `sender "${sender.name}" takes exactly one recipient per transaction (its output chain has no exploder); create one transaction per recipient`;
  throw fieldError('unprocessable', message, field, 'one recipient only');
}
