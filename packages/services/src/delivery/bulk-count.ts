import { countBulkTargets, type QueueFilter } from '@koukan/db';
import type { z } from 'zod';
import type { ServiceCall, ServiceContext } from '../context.ts';
import { AppError, parseInput } from '../errors.ts';
import { toQueueFilter } from '../queue/schemas.ts';
import { type BulkSelection, bulkCountInput } from './bulk-schemas.ts';

export interface BulkCountResult {
  /** Messages the selection names. */
  matched: number;
  /** Messages the action will change: "this touches N messages". */
  touches: number;
  /**
   * Matched messages in flight right now. `cancel` flags them (they end as cancelled when
   * their attempt ends, unless it delivered); `hold` and `retry_now` leave them alone.
   */
  inflight: number;
}

/** The database filter of a selection: ids are a filter over any queue. */
export async function selectionFilter(
  ctx: ServiceContext,
  selection: z.output<typeof bulkCountInput>['selection'],
): Promise<QueueFilter> {
  if ('ids' in selection) return { queue: 'any', ids: [...new Set(selection.ids)] };
  const f = selection.filter;
  if (
    f.queue === 'any' &&
    f.sender === undefined &&
    f.domain === undefined &&
    f.reply_code === undefined &&
    f.reply_pattern === undefined
  ) {
    // Every transaction ever stored is not a selection an operator means.
    throw new AppError('bad_request', 'a filter over every queue needs a sender, domain or reply', {
      details: [{ field: 'selection.filter.queue', message: 'too broad' }],
    });
  }
  return toQueueFilter(ctx, f);
}

/** What a bulk action would touch, for its confirmation. Changes nothing. */
export async function countBulkAction({
  ctx,
  input,
}: ServiceCall<{ action: string; selection: BulkSelection }>): Promise<BulkCountResult> {
  const i = parseInput(bulkCountInput, input);
  const count = await countBulkTargets(ctx.db, {
    filter: await selectionFilter(ctx, i.selection),
    name: i.action,
  });
  return { matched: count.matched, touches: count.eligible, inflight: count.inflight };
}
