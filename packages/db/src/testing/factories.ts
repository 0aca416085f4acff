import { randomBytes } from 'node:crypto';
import type { DbOrTx } from '../client/create-db.ts';
import type { OutcomeWrite } from '../queries/attempt-outcome.ts';
import { getChainByName, upsertChain } from '../queries/chains.ts';
import type { FilterConfig } from '../schema/chains/table.ts';

/** A name no other test uses, valid as a sender or chain name. */
export function uniqueName(prefix = 't'): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

/**
 * The chain `name` exists (created with `filters`, or left as it is): a sender's `output_chain`
 * must name a real chain (a foreign key). Returns the name, for `output_chain: await
 * ensureChain(db, 'out')`.
 */
export async function ensureChain(
  db: DbOrTx,
  name = uniqueName('c'),
  filters: FilterConfig[] = [],
): Promise<string> {
  if (!(await getChainByName(db, name))) {
    await db.transaction((tx) => upsertChain(tx, { name, filters, author: 'test' }));
  }
  return name;
}

/**
 * The outcome of an attempt that delivered (250 to MAIL, every RCPT and DATA) with one `final`
 * event: what a test hands `writeOutcomeIfUnchanged` for the claimed `transactionId`.
 */
export function deliveredOutcome(options: {
  transactionId: string;
  attemptId: string;
  owner: string;
  version: number;
  rcpts?: number;
  upstreamHost?: string | null;
  finishedAt?: Date;
  eventData?: Record<string, unknown>;
}): OutcomeWrite {
  const { transactionId, attemptId } = options;
  const ok = { code: 250, message: '2.0.0 ok' };
  const rcpt = Array.from({ length: options.rcpts ?? 1 }, () => ok);
  return {
    transactionId,
    attemptId,
    owner: options.owner,
    version: options.version,
    attempt: {
      outcome: 'success',
      upstreamHost: options.upstreamHost ?? null,
      mailResponse: ok,
      rcptResponse: rcpt,
      dataResponse: ok,
      error: null,
    },
    state: {
      status: 'delivered',
      mailResponse: ok,
      rcptResponse: rcpt,
      dataResponse: ok,
      attemptCount: 1,
      nextAttemptAt: null,
      finalAttemptReason: 'upstream_success',
      finishedAt: options.finishedAt ?? new Date(),
    },
    events: [{ transactionId, attemptId, type: 'final', data: options.eventData ?? {} }],
  };
}
