import type { FilterRun } from '../registry.ts';
import { temp, verdictFromResponse } from '../responses.ts';

/** Terminal: store the message for the console's sandbox inbox instead of delivering it. */
export const sandbox: FilterRun<'sandbox'> = async (tx, config, ctx) => {
  const fail = (message: string) => {
    const v = temp(message, 451, '4.3.0');
    return { kind: 'done' as const, data: v };
  };
  if (!ctx.sandbox) return fail('sandbox store is not available');
  if (!tx.body) return fail('no message body');
  const stored = await ctx.sandbox.store({
    transaction_id: tx.id,
    sender: tx.sender,
    mail_from: tx.mailFrom,
    rcpt_to: tx.rcptTo,
    body: tx.openBody(),
    ...(config.mailbox ? { mailbox: config.mailbox } : {}),
  });
  tx.event('sandboxed', { id: stored.id, ...(config.mailbox ? { mailbox: config.mailbox } : {}) });
  const v = verdictFromResponse(config.response);
  return { kind: 'done', data: v };
};
