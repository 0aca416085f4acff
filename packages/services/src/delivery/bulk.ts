import { randomUUID } from 'node:crypto';
import { applyBulkBatch, countBulkTargets, recordAudit } from '@koukan/db';
import type { z } from 'zod';
import { nowOf, type ServiceCall } from '../context.ts';
import { AppError, parseInput } from '../errors.ts';
import { selectionFilter } from './bulk-count.ts';
import { type BulkSelection, bulkActionInput } from './bulk-schemas.ts';

export interface BulkActionResult {
  bulkId: string;
  /** Eligible when the action started (the confirmation's count, re-taken). */
  touches: number;
  /** Changed: fewer than `touches` when some moved on meanwhile (delivered, claimed…). */
  applied: number;
  batches: number;
}

/** The database's own message under drizzle's "Failed query: <sql>" wrapper. */
function rootMessage(err: unknown): string {
  let e: unknown = err;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  return e instanceof Error ? e.message : String(e);
}

/** How a selection is written into the audit log: ids beyond the first 1000 are counted. */
function auditSelection(selection: z.output<typeof bulkActionInput>['selection']) {
  if (!('ids' in selection)) return selection;
  return { ids: selection.ids.slice(0, 1000), ids_count: selection.ids.length };
}

/**
 * Retry now, hold, release or cancel the messages of a selection (ids, a queue group or a
 * filter), set-based: each batch of `batch_size` (default 10,000) is one statement that
 * changes the rows and writes their timeline events, in its own database transaction; the
 * rules are the state machine's (`@koukan/db/state`), as for a single message. One audit entry
 * records the action, its selection and its counts.
 *
 * In-flight messages: `cancel` flags them and the engine ends them as cancelled when their
 * attempt ends (a delivery that succeeded stays delivered); `hold`, `retry_now` and `release`
 * do not apply to them (they are counted in `countBulkAction`'s `inflight`).
 *
 * A database error stops the action and is thrown (`internal`, with `applied` so far): the
 * failing batch is rolled back whole, the batches before it stay applied, and the audit entry
 * says so. Nothing is reported per message.
 */
export async function applyBulkAction({
  ctx,
  input,
}: ServiceCall<{
  action: string;
  selection: BulkSelection;
  batch_size?: number;
}>): Promise<BulkActionResult> {
  const i = parseInput(bulkActionInput, input);
  const filter = await selectionFilter(ctx, i.selection);
  const now = nowOf(ctx);
  const bulkId = randomUUID();
  const { eligible } = await countBulkTargets(ctx.db, { filter, name: i.action });
  let applied = 0;
  let batches = 0;
  let afterId: string | undefined;
  let failure: unknown;
  try {
    for (;;) {
      const batch = await ctx.db.transaction((tx) =>
        applyBulkBatch(tx, {
          filter,
          name: i.action,
          actor: ctx.actor,
          bulkId,
          now,
          ...(afterId && { afterId }),
          limit: i.batch_size,
        }),
      );
      if (!batch.lastId) break;
      batches++;
      applied += batch.applied;
      afterId = batch.lastId;
    }
  } catch (err) {
    failure = err;
  }
  const error = failure === undefined ? undefined : rootMessage(failure);
  await recordAudit(ctx.db, {
    actor: ctx.actor,
    action: `transaction.${i.action}.bulk`,
    entityType: 'transaction',
    details: {
      bulk_id: bulkId,
      selection: auditSelection(i.selection),
      touches: eligible,
      applied,
      batches,
      ...(error !== undefined && { error }),
    },
  }).catch((err: unknown) => {
    ctx.logger.error({ err, bulkId }, 'bulk action: the audit entry could not be written');
    failure ??= err;
  });
  if (failure) {
    ctx.logger.error({ err: failure, bulkId, applied }, 'bulk action failed');
    throw new AppError(
      'internal',
      `${i.action} failed after ${applied} of ${eligible} messages (${batches} batches applied, the failing batch rolled back): ${error ?? 'database error'}`,
      { cause: failure, extra: { bulk_id: bulkId, applied, touches: eligible, batches } },
    );
  }
  ctx.logger.info({ bulkId, action: i.action, applied, batches }, 'bulk action applied');
  return { bulkId, touches: eligible, applied, batches };
}
