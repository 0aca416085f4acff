import { type QueueGroup, queueGroups } from '@koukan/db';
import { z } from 'zod';
import type { ServiceCall } from '../context.ts';
import { parseInput } from '../errors.ts';
import { queueFilterSchema, toQueueFilter } from './schemas.ts';

export const listQueueGroupsInput = z.strictObject({
  filter: queueFilterSchema.default({ queue: 'waiting' }),
  group_by: z.enum(['domain', 'reply', 'domain_reply']).default('domain_reply'),
  limit: z.number().int().min(1).max(1000).default(100),
});

/**
 * A queue (waiting, held, or failed in the last days) grouped by destination domain and/or
 * last reply (code and masked text pattern), largest group first, with counts, the oldest
 * message and the next attempt.
 */
export async function listQueueGroups({
  ctx,
  input,
}: ServiceCall<z.input<typeof listQueueGroupsInput>>): Promise<QueueGroup[]> {
  const i = parseInput(listQueueGroupsInput, input);
  return queueGroups(ctx.db, {
    filter: await toQueueFilter(ctx, i.filter),
    groupBy: i.group_by,
    limit: i.limit,
  });
}
