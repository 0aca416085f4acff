import { appendEvent, isDbError, schema, updateTransaction } from '@koukan/db';
import type { Principal } from '../auth/authenticate.ts';
import { nowOf, type ServiceCall } from '../context.ts';
import { AppError, parseInput } from '../errors.ts';
import {
  createUpstreams,
  type ExploderEnvelopeHook,
  exploderPlan,
  screenRecipients,
  submitterOf,
} from '../exploder/envelope.ts';
import { loadOwned } from './access.ts';
import { checkRecipientCount } from './recipients.ts';
import { patchTransactionRequestSchema, type TransactionView } from './schemas.ts';
import { isDeliverable, loadBlobs, toView } from './view.ts';

export interface PatchTransactionInput {
  principal: Principal;
  id: string;
  /** The version from `If-Match`; required. */
  ifMatch: number | undefined;
  request: unknown;
  /** The chain context for the exploder's envelope phase (default: the logger only). */
  exploder?: ExploderEnvelopeHook | undefined;
}

function stale(current: number, expected: number): AppError {
  return new AppError(
    'precondition_failed',
    `the transaction is at version ${current}, not ${expected}: GET it and retry`,
    { details: [{ field: 'headers.if-match', message: 'stale' }], extra: { version: current } },
  );
}

/**
 * Incremental updates from an incremental sender (the gateway): append recipients and/or
 * record a heartbeat. Optimistic concurrency: `If-Match` must name the current version (412
 * otherwise, 428 without it). Adding a recipient to a transaction whose body is complete makes
 * it due.
 */
export async function patchTransaction({
  ctx,
  input,
}: ServiceCall<PatchTransactionInput>): Promise<TransactionView> {
  const request = parseInput(patchTransactionRequestSchema, input.request, 'body');
  if (input.ifMatch === undefined) {
    throw new AppError('precondition_required', 'send If-Match with the ETag you last saw', {
      details: [{ field: 'headers.if-match', message: 'required' }],
    });
  }
  if (!request.add_rcpt_to?.length && !request.heartbeat) {
    throw new AppError('bad_request', 'nothing to do: send add_rcpt_to and/or heartbeat: true', {
      details: [{ field: 'body', message: 'empty update' }],
    });
  }
  const { transaction, sender } = await loadOwned(ctx, input.principal, input.id);
  if (transaction.version !== input.ifMatch) throw stale(transaction.version, input.ifMatch);
  const added = request.add_rcpt_to ?? [];
  if (added.length > 0) {
    if (transaction.status !== 'queued' && transaction.status !== 'held') {
      throw new AppError('conflict', `recipients cannot be added: it is ${transaction.status}`, {
        details: [{ field: 'body.add_rcpt_to', message: transaction.status }],
      });
    }
    const count = transaction.rcptTo.length + added.length;
    await checkRecipientCount(ctx, sender, count, 'body.add_rcpt_to');
  } else if (schema.finalStatuses.includes(transaction.status) && request.heartbeat) {
    throw new AppError('conflict', `the transaction is already ${transaction.status}`, {
      details: [{ field: 'status', message: transaction.status }],
    });
  }
  // A downstream (exploder) transaction: the added recipients are answered now (rcpt_response)
  // by the filters before the exploder, and each accepted one gets its upstream transaction.
  const plan =
    added.length > 0
      ? await exploderPlan(ctx, sender, submitterOf(transaction.metadata.session))
      : undefined;
  const answers = plan
    ? await screenRecipients(plan, input.exploder ?? { context: { logger: ctx.logger } }, {
        id: transaction.id,
        sender: sender.name,
        mail_from: transaction.mailFrom,
        rcpt_to: added,
      })
    : [];
  const now = nowOf(ctx);
  try {
    return await ctx.db.transaction(async (tx) => {
      const rcptTo = [...transaction.rcptTo, ...added];
      const blobs = await loadBlobs(tx, transaction);
      const becomesDue =
        added.length > 0 &&
        !transaction.nextAttemptAt &&
        transaction.status === 'queued' &&
        isDeliverable({ ...transaction, rcptTo }, blobs);
      const row = await updateTransaction(
        tx,
        transaction.id,
        {
          ...(added.length > 0 && { rcptTo }),
          ...(request.heartbeat && {
            metadata: { ...transaction.metadata, heartbeat_at: now.toISOString() },
          }),
          ...(becomesDue && { nextAttemptAt: now }),
          ...(plan && {
            rcptResponse: [
              ...transaction.rcptTo.map((_, i) => transaction.rcptResponse?.[i] ?? null),
              ...answers.map((a) => a.response),
            ],
          }),
        },
        input.ifMatch,
      );
      if (plan) await createUpstreams(tx, plan, row, transaction.rcptTo.length, answers);
      if (added.length > 0) {
        await appendEvent(tx, {
          transactionId: transaction.id,
          type: 'rcpt_added',
          data: { actor: ctx.actor, count: added.length },
        });
      }
      return toView(row, sender.name, blobs);
    });
  } catch (err) {
    if (isDbError(err, 'version_conflict')) {
      const { transaction: now2 } = await loadOwned(ctx, input.principal, input.id);
      throw stale(now2.version, input.ifMatch);
    }
    throw err;
  }
}
