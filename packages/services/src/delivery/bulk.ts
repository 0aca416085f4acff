import { randomUUID } from 'node:crypto';
import { applyTransition, countBulkTargets, pickBulkTargets, recordAudit } from '@koukan/db';
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
 * changes the rows and writes their timeline events, in its own database transaction, with
 * `concurrency` (default 2) batches applied at a time; the rules are the state machine's
 * (`@koukan/db/state`), as for a single message. One audit entry
 * records the action, its selection and its counts.
 *
 * In-flight messages: `cancel` flags them and the engine ends them as cancelled when their
 * attempt ends (a delivery that succeeded stays delivered); `hold`, `retry_now` and `release`
 * do not apply to them (they are counted in `countBulkAction`'s `inflight`).
 *
 * A database error stops the action and is thrown (`internal`, with `applied` so far): the
 * failing batch is rolled back whole, the batches applied before it (or beside it) stay
 * applied, and the audit entry says so. Nothing is reported per message.
 */
export async function applyBulkAction({
  ctx,
  input,
}: ServiceCall<{
  action: string;
  selection: BulkSelection;
  batch_size?: number;
  concurrency?: number;
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
      // One read picks the next `concurrency` batches; they are applied side by side, each in
      // its own database transaction and on its own connection (PostgreSQL's per-row cost of
      // a status change, not the statement, is the bound: two backends use both cores).
      const targets = await pickBulkTargets(ctx.db, {
        filter,
        name: i.action,
        ...(afterId && { afterId }),
        limit: i.batch_size * i.concurrency,
      });
      if (targets.length === 0) break;
      afterId = targets.at(-1)!.id;
      const chunks: (typeof targets)[] = [];
      for (let at = 0; at < targets.length; at += i.batch_size) {
        chunks.push(targets.slice(at, at + i.batch_size));
      }
      const settled = await Promise.allSettled(
        chunks.map((chunk) =>
          ctx.db.transaction((tx) =>
            applyTransition(tx, {
              name: i.action,
              rows: chunk,
              actor: ctx.actor,
              now,
              data: { bulk_id: bulkId },
            }),
          ),
        ),
      );
      for (const r of settled) {
        if (r.status === 'rejected') {
          failure ??= r.reason;
          continue;
        }
        batches++;
        applied += r.value;
      }
      if (failure !== undefined) break;
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
