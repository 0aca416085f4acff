import type { QueueFilter } from '@koukan/db';
import { senderNameSchema } from '@koukan/db/schema';
import { z } from 'zod';
import { nowOf, type ServiceContext } from '../context.ts';
import { requireSenderByName } from '../senders/schemas.ts';

/**
 * Which transactions a queue view, a group or a bulk action is about (the console's filter
 * form). A group of `listQueueGroups` is this filter with its `domain`, `reply_code` and
 * `reply_pattern` (null: no reply yet).
 */
export const queueFilterSchema = z.strictObject({
  queue: z.enum(['waiting', 'held', 'failed', 'any']).default('waiting'),
  sender: senderNameSchema.optional(),
  domain: z.string().min(1).max(253).optional(),
  reply_code: z.number().int().min(100).max(599).nullable().optional(),
  reply_pattern: z.string().max(300).nullable().optional(),
  /** `failed`: how many days back (default 7). */
  failed_days: z.number().int().min(1).max(365).optional(),
});
export type QueueFilterInput = z.input<typeof queueFilterSchema>;

/** The database filter of a validated input; `not_found` for an unknown sender. */
export async function toQueueFilter(
  ctx: ServiceContext,
  input: z.output<typeof queueFilterSchema>,
  ids?: string[],
): Promise<QueueFilter> {
  const filter: QueueFilter = { queue: input.queue };
  if (input.sender !== undefined) {
    filter.senderId = (await requireSenderByName(ctx.db, input.sender, 'sender')).id;
  }
  if (input.domain !== undefined) filter.domain = input.domain;
  if (input.reply_code !== undefined) filter.replyCode = input.reply_code;
  if (input.reply_pattern !== undefined) filter.replyPattern = input.reply_pattern;
  if (input.queue === 'failed') {
    filter.failedSince = new Date(nowOf(ctx).getTime() - (input.failed_days ?? 7) * 86_400_000);
  }
  if (ids) filter.ids = ids;
  return filter;
}
