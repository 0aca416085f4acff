import { getSenderByName } from '@koukan/db';
import type { Sender } from '@koukan/db/schema';
import { chainByName, type ServiceContext, validatedChain } from '../context.ts';

/**
 * How a sender takes SMTP submission on the gateway's MSA (one key, REST and SMTP):
 * - `exploder`: its chain fans out itself (an exploder answers recipients at RCPT);
 * - `chain`: any other valid chain; the MSA's own sender (its `exploder(msa)`) fans the mail
 *   out into transactions of this sender, which run its chain with store-and-forward semantics;
 * - `refused`: it cannot (disabled, no chain, an invalid chain), with the reason.
 */
export type SubmissionMode =
  | { mode: 'exploder' | 'chain'; sender: Sender }
  | { mode: 'refused'; reason: string; sender?: Sender };

export async function submissionMode(
  ctx: Pick<ServiceContext, 'db' | 'config'>,
  name: string,
  known?: Sender,
): Promise<SubmissionMode> {
  const sender = known ?? (await getSenderByName(ctx.db, name));
  if (!sender) return { mode: 'refused', reason: `no sender "${name}"` };
  if (!sender.enabled) return { mode: 'refused', reason: `sender "${name}" is disabled`, sender };
  if (!sender.outputChain) {
    return { mode: 'refused', reason: `sender "${name}" has no output chain`, sender };
  }
  const chain = await chainByName(ctx, sender.outputChain);
  if (!chain) {
    return { mode: 'refused', reason: `chain "${sender.outputChain}" does not exist`, sender };
  }
  if (!validatedChain(chain).ok) {
    return { mode: 'refused', reason: `chain "${sender.outputChain}" is invalid`, sender };
  }
  const fansOut = chain.filters.some((f) => f.filter === 'exploder');
  return { mode: fansOut ? 'exploder' : 'chain', sender };
}
