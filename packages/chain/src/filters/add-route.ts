import type { FilterRun } from '../registry.ts';
import { temp } from '../responses.ts';
import type { FilterResult, Mailbox, Verdict } from '../types.ts';

/**
 * Copy the transaction to another sender's chain (archiving, journaling): `async` stores a
 * separate transaction; `sync` runs that chain now and folds its answer in.
 */
export const addRoute: FilterRun<'add_route'> = async (tx, config, ctx) => {
  const failAll = (message: string): FilterResult => {
    const v = temp(message, 451, '4.3.0');
    return { kind: 'done', data: v };
  };
  const softFail = (message: string, err?: unknown): FilterResult => {
    tx.event('route_failed', { sender: config.sender, error: message });
    if (err) ctx.logger.warn({ err, route: config.sender }, 'add_route copy failed');
    return config.ignore_failure
      ? { kind: 'continue' }
      : failAll(`copy to ${config.sender} failed`);
  };
  if (!ctx.routes) return softFail('route submitter is not available');
  if (!tx.body) return softFail('no message body');
  const rcptOverride = config.rcpt_to?.map((m): Mailbox => ({ m }));
  const copy = {
    mail_from: config.mail_from !== undefined ? { m: config.mail_from } : tx.mailFrom,
    rcpt_to: rcptOverride ?? tx.rcptTo,
  };
  try {
    if (config.mode === 'async') {
      const { id } = await ctx.routes.enqueue(config.sender, { ...copy, body: tx.openBody() });
      tx.event('route_added', { sender: config.sender, id, mode: 'async' });
      return { kind: 'continue' };
    }
    if (!ctx.routes.runSync) return softFail('synchronous routes are not available');
    const res = await ctx.routes.runSync(config.sender, { ...copy, body: tx.body });
    const failed = res.rcpt.filter((v) => v.kind !== 'accept').length;
    tx.event('route_added', { sender: config.sender, mode: 'sync', failed });
    if (failed === 0 || config.ignore_failure) return { kind: 'continue' };
    // same recipients: fail those the copy failed; other recipients: a failed copy fails all
    const rcpt = rcptOverride
      ? tx.rcptTo.map(() => temp(`copy to ${config.sender} failed`, 451, '4.3.0'))
      : res.rcpt.map((v): Verdict | undefined =>
          v.kind === 'accept'
            ? undefined
            : temp(`copy to ${config.sender} failed: ${v.response.message}`, 451, '4.3.0'),
        );
    return { kind: 'continue', rcpt };
  } catch (err) {
    return softFail(err instanceof Error ? err.message : String(err), err);
  }
};
